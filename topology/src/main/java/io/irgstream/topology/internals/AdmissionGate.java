package io.irgstream.topology.internals;

import io.irgstream.schemas.client.Priority;
import io.irgstream.topology.TrajectoryTopology;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The API's side of the admission scheduler: decides whether a new submission goes straight to the prompts topic
 * (the scheduler is off the path: no extra hop, idle latency unchanged) or to the submissions topic, where the
 * scheduler queues it.
 *
 * <p>Straight on only when this instance hosts the trajectory's partition (its admission counters are in the local
 * store), nothing of its class or a higher one is queued there and the partition has room for the trajectory's class
 * (so an interactive trajectory passes a queued batch backlog without the scheduler's hop): fewer than the window in
 * the pipeline (window plus headroom for interactive), counting this instance's straight submits of the last
 * {@value #UNSEEN_MS} ms, which the fold may not have counted yet. Anything else - another instance's partition, a
 * store that is not queryable, a queue - goes through the scheduler, which is always right, only slower. Concurrent
 * submits to several instances can pass the window by the few the others sent in the fold's lag.
 */
public final class AdmissionGate {
    /** How long a straight submit is counted here before the fold is expected to count it itself. */
    static final long UNSEEN_MS = 500;

    private final int window;
    private final int headroom;
    private final Map<Integer, Deque<Long>> unseen = new HashMap<>();
    private volatile KafkaStreams streams;

    /**
     * @param window   the scheduler's window per partition ({@code scheduler.window.per.partition}); 0: no scheduler,
     *                 every submit goes straight on
     * @param headroom interactive trajectories' room beyond the window
     */
    public AdmissionGate(int window, int headroom) {
        this.window = window;
        this.headroom = headroom;
    }

    /** The Kafka Streams app whose admission state this gate reads. */
    public AdmissionGate attach(KafkaStreams streams) {
        this.streams = streams;
        return this;
    }

    /** @return true when the scheduler is on */
    public boolean enabled() {
        return window > 0;
    }

    /**
     * @param id       the new trajectory's id
     * @param priority its class
     * @return true: submit it straight to the prompts topic (and it is counted here as such); false: to the
     *     submissions topic
     */
    public boolean straightOn(String id, Priority priority) {
        if (window <= 0) {
            return true;
        }
        KafkaStreams s = streams;
        if (s == null || s.state() != KafkaStreams.State.RUNNING) {
            return false;
        }
        try {
            KeyQueryMetadata md = s.queryMetadataForKey(TrajectoryTopology.ADMISSION_STATE_STORE, id,
                    Serdes.String().serializer());
            if (md == null || md.partition() < 0) {
                return false;
            }
            int partition = md.partition();
            ReadOnlyKeyValueStore<String, String> store = s.store(StoreQueryParameters.fromNameAndType(
                    TrajectoryTopology.ADMISSION_STATE_STORE, QueryableStoreTypes.<String, String>keyValueStore())
                    .withPartition(partition));
            long queued = 0; // of its class or a higher one: those go first
            for (int r = 0; r <= priority.rank(); r++) {
                queued += parse(store.get(AdmissionScheduler.QUEUED + "." + r));
            }
            long inFlight = parse(store.get(AdmissionScheduler.IN_FLIGHT));
            long limit = window + (priority == Priority.INTERACTIVE ? (long) headroom : 0L);
            synchronized (unseen) {
                Deque<Long> recent = unseen.computeIfAbsent(partition, p -> new ArrayDeque<>());
                long now = System.currentTimeMillis();
                while (!recent.isEmpty() && recent.peekFirst() < now - UNSEEN_MS) {
                    recent.removeFirst();
                }
                if (queued > 0 || inFlight + recent.size() >= limit) {
                    return false;
                }
                recent.addLast(now);
                return true;
            }
        } catch (RuntimeException e) { // not hosted here, rebalancing, closing: the scheduler decides
            return false;
        }
    }

    private static long parse(String v) {
        return v == null ? 0 : Long.parseLong(v);
    }
}
