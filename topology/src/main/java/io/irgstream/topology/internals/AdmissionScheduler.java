package io.irgstream.topology.internals;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.schemas.client.Priority;
import io.irgstream.schemas.client.Submission;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The admission scheduler's state of one task (one partition): the queued submissions, by (class, tenant), and the
 * number of this partition's trajectories in the pipeline. Used by {@link TrajectoryProcessor}, which folds the same
 * partition's step events and so sees each trajectory end.
 *
 * <p>Which queued trajectory goes next ({@link #next}): a smooth weighted round-robin over the classes that have
 * trajectories queued and room in the window (each such class adds its weight to its credit, the class with the
 * most credit goes and gives back the sum of the weights; so with weights 6, 3, 1 and all three waiting, 6 of every
 * 10 admissions are interactive, 3 normal, 1 batch, and a class alone gets every admission); inside the class, round
 * robin over its tenants (the tenant after the one served last, in name order), oldest first inside a tenant. A
 * class's credit is reset when its queue empties, so idle time earns nothing.
 *
 * <p>Room: fewer than {@code window} trajectories of the partition in the pipeline (SUBMITTED, THOUGHT, DRAFTED or
 * REFLECTED; not STALLED, which waits for no worker), or fewer than {@code window + headroom} for interactive ones.
 *
 * <p>Stores: the queue {@code <rank> NUL <tenant> NUL <sequence, 19 digits>} -> submission (ordered, so a range
 * finds the next tenant and its oldest), and a small state store of counters: {@value #IN_FLIGHT}, {@value #SEQ},
 * {@code queued.<rank>}, {@code credit.<rank>}, {@code last.<rank>} (the tenant served last) and {@code q:<id>} (the
 * queue key of a queued trajectory, to take it out when it is cancelled or expires).
 */
public final class AdmissionScheduler {
    /** State key: trajectories of this partition in the pipeline. */
    public static final String IN_FLIGHT = "inflight";
    /** State key: trajectories of this partition queued, all classes; {@code queued.<rank>} per class. */
    public static final String QUEUED = "queued";
    static final String SEQ = "seq";
    private static final String CREDIT = "credit.";
    private static final String LAST = "last.";
    private static final String INDEX = "q:";
    private static final String COUNTED = "\u0000counted";
    private static final int CLASSES = Priority.values().length;

    private final KeyValueStore<String, PromptSubmitted> queue;
    private final KeyValueStore<String, String> state;
    private final int window;
    private final int headroom;
    private final int[] weights;

    /**
     * @param queue    the queued submissions of this partition
     * @param state    the counters of this partition
     * @param window   trajectories in the pipeline below which queued ones are released; 0: no scheduling
     * @param headroom how many more interactive ones may be admitted beyond the window
     * @param weights  the weight of each class, by {@link Priority#rank()}
     */
    public AdmissionScheduler(KeyValueStore<String, PromptSubmitted> queue, KeyValueStore<String, String> state,
            int window, int headroom, int[] weights) {
        if (weights.length != CLASSES) {
            throw new IllegalArgumentException("one weight per class: " + CLASSES + ", got " + weights.length);
        }
        this.queue = queue;
        this.state = state;
        this.window = window;
        this.headroom = headroom;
        this.weights = weights.clone();
    }

    /** @return true when the scheduler is on (a window above 0) */
    public boolean enabled() {
        return window > 0;
    }

    /**
     * Counts this partition's trajectories in the pipeline from the trajectory store, once: a store written before the
     * scheduler starts with the right count.
     */
    public void countOnce(ReadOnlyKeyValueStore<String, Trajectory> trajectories) {
        if (state.get(COUNTED) != null) {
            return;
        }
        long n = 0;
        try (KeyValueIterator<String, Trajectory> it = trajectories.all()) {
            while (it.hasNext()) {
                if (inPipeline(it.next().value)) {
                    n++;
                }
            }
        }
        put(IN_FLIGHT, n);
        state.put(COUNTED, "1");
    }

    /** @return true when {@code t} holds a place in the window: SUBMITTED, THOUGHT, DRAFTED or REFLECTED */
    public static boolean inPipeline(Trajectory t) {
        return t != null && TrajectoryFold.isRunning(t.getStatus());
    }

    /** @return the trajectory's class (normal when it has none or an unknown one) */
    public static Priority priorityOf(Trajectory t) {
        return Priority.ofRecord(t.getPriority());
    }

    /** @return the submission's class (normal when it has none or an unknown one) */
    public static Priority priorityOf(PromptSubmitted p) {
        return Priority.ofRecord(p.getContext().getPriority());
    }

    /** Keeps the count of trajectories in the pipeline as one changes from {@code previous} to {@code next}. */
    public void changed(Trajectory previous, Trajectory next) {
        boolean before = inPipeline(previous);
        boolean after = inPipeline(next);
        if (before != after) {
            put(IN_FLIGHT, Math.max(0, get(IN_FLIGHT) + (after ? 1 : -1)));
        }
        if (previous != null && previous.getStatus() == io.irgstream.events.TrajectoryStatus.QUEUED
                && next.getStatus() != io.irgstream.events.TrajectoryStatus.QUEUED) {
            remove(next.getId());
        }
    }

    /** @return this partition's trajectories in the pipeline */
    public long inFlight() {
        return get(IN_FLIGHT);
    }

    /** @return this partition's queued trajectories of every class */
    public long queued() {
        return get(QUEUED);
    }

    /** @return this partition's queued trajectories of class {@code p} */
    public long queued(Priority p) {
        return get(QUEUED + "." + p.rank());
    }

    /** @return true when a trajectory of class {@code p} may enter the pipeline now */
    public boolean hasRoom(Priority p) {
        return inFlight() < window + (p == Priority.INTERACTIVE ? (long) headroom : 0L);
    }

    /**
     * @return true when a new submission of class {@code p} may skip the queue: room for its class, and nothing of its
     *     class or a higher one queued (lower ones queued means the window is full for them, not for it)
     */
    public boolean admitsAtOnce(Priority p) {
        if (!enabled()) {
            return true;
        }
        for (int r = 0; r <= p.rank(); r++) {
            if (get(QUEUED + "." + r) > 0) {
                return false;
            }
        }
        return hasRoom(p);
    }

    /**
     * Records that a submission of its class and tenant went into the pipeline without queueing, so that the round
     * robin serves the class's other tenants first.
     */
    public void admittedAtOnce(PromptSubmitted p) {
        state.put(LAST + priorityOf(p).rank(), tenantOf(p));
    }

    private static String tenantOf(PromptSubmitted p) {
        return p.getContext().getTenant() == null ? Submission.DEFAULT_TENANT : p.getContext().getTenant();
    }

    /** Queues a submission (its trajectory must not be queued already). */
    public void enqueue(PromptSubmitted p) {
        String id = p.getContext().getTrajectoryId();
        int rank = priorityOf(p).rank();
        long seq = get(SEQ) + 1;
        put(SEQ, seq);
        String tenant = tenantOf(p);
        String key = rank + "\u0000" + tenant + "\u0000" + String.format("%019d", seq);
        queue.put(key, p);
        state.put(INDEX + id, key);
        put(QUEUED, get(QUEUED) + 1);
        put(QUEUED + "." + rank, get(QUEUED + "." + rank) + 1);
    }

    /** Takes trajectory {@code id} out of the queue, when it is there. */
    public void remove(String id) {
        String key = state.get(INDEX + id);
        if (key == null) {
            return;
        }
        state.delete(INDEX + id);
        queue.delete(key);
        int rank = key.charAt(0) - '0';
        put(QUEUED, Math.max(0, get(QUEUED) - 1));
        long left = Math.max(0, get(QUEUED + "." + rank) - 1);
        put(QUEUED + "." + rank, left);
        if (left == 0) {
            put(CREDIT + rank, 0);
        }
    }

    /**
     * Picks the next queued submission to release and takes it out of the queue, or answers null when nothing is
     * queued or no class with queued trajectories has room.
     */
    public PromptSubmitted next() {
        if (!enabled() || queued() == 0) {
            return null;
        }
        long total = 0;
        int pick = -1;
        long[] credit = new long[CLASSES];
        for (Priority p : Priority.values()) {
            int r = p.rank();
            credit[r] = get(CREDIT + r);
            if (queued(p) > 0 && hasRoom(p)) {
                credit[r] += weights[r];
                total += weights[r];
                if (pick < 0 || credit[r] > credit[pick]) {
                    pick = r;
                }
            }
        }
        if (pick < 0) {
            return null;
        }
        for (Priority p : Priority.values()) {
            int r = p.rank();
            if (queued(p) > 0 && hasRoom(p)) {
                put(CREDIT + r, r == pick ? credit[r] - total : credit[r]);
            }
        }
        KeyValue<String, PromptSubmitted> entry = nextOfClass(pick);
        if (entry == null) { // counters out of step with the queue: mend them
            put(QUEUED, Math.max(0, get(QUEUED) - get(QUEUED + "." + pick)));
            put(QUEUED + "." + pick, 0);
            put(CREDIT + pick, 0);
            return next();
        }
        String tenant = entry.key.substring(2, entry.key.lastIndexOf('\u0000'));
        state.put(LAST + pick, tenant);
        remove(entry.value.getContext().getTrajectoryId());
        return entry.value;
    }

    /** The oldest queued submission of the tenant after the one served last in class {@code rank}, wrapping. */
    private KeyValue<String, PromptSubmitted> nextOfClass(int rank) {
        String last = state.get(LAST + rank);
        String end = rank + "\u0001";
        if (last != null) {
            KeyValue<String, PromptSubmitted> after = first(rank + "\u0000" + last + "\u0001", end);
            if (after != null) {
                return after;
            }
        }
        return first(rank + "\u0000", end);
    }

    private KeyValue<String, PromptSubmitted> first(String from, String to) {
        try (KeyValueIterator<String, PromptSubmitted> it = queue.range(from, to)) {
            return it.hasNext() ? it.next() : null;
        }
    }

    private long get(String key) {
        String v = state.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    private void put(String key, long value) {
        state.put(key, Long.toString(value));
    }
}
