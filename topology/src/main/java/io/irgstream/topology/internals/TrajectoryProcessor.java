package io.irgstream.topology.internals;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.topology.TopologyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import io.irgstream.schemas.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Folds every event of a trajectory into its record in the trajectory store (see {@link TrajectoryFold}), keeps the
 * image index and the stall deadlines, and forwards each changed record. A wall-clock punctuator marks trajectories
 * EXPIRED whose own deadline passed while they waited, and STALLED those whose stall deadline passed.
 *
 * <p>Records whose key is missing, or does not match the trajectory id inside the event, are skipped with a warning:
 * the key decides the partition, hence the store that holds the trajectory.
 *
 * <p>It is also the admission scheduler ({@link AdmissionScheduler}): a submission read from the submissions topic
 * (named by {@code submissionsTopic}) goes on to the prompts topic at once when its partition has room and nothing is
 * queued, else it is queued (status QUEUED) and released later, by class and tenant, when trajectories of the
 * partition end. It forwards {@link Trajectory} records (to the trajectories topic) and released
 * {@link PromptSubmitted} records (to the prompts topic).
 */
public final class TrajectoryProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    private static final Logger LOG = LoggerFactory.getLogger(TrajectoryProcessor.class);

    private final TopologyConfig config;
    private final String trajectoryStoreName;
    private final String imageIndexStoreName;
    private final String deadlineStoreName;
    private final String tenantStoreName;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, Trajectory> trajectories;
    private KeyValueStore<String, String> images;
    private KeyValueStore<String, Long> deadlines;
    private KeyValueStore<String, Long> tenants;
    private String submissionsTopic;
    private String queueStoreName;
    private String admissionStoreName;
    private AdmissionScheduler admission;

    /**
     * @param config              stall timeouts and check interval
     * @param trajectoryStoreName store of trajectories by id
     * @param imageIndexStoreName store of trajectory ids by image sha256
     * @param deadlineStoreName   store of stall deadlines (epoch millis) by id, for running trajectories only
     * @param tenantStoreName     store of the number of trajectories in flight (not ended) by tenant
     */
    public TrajectoryProcessor(TopologyConfig config, String trajectoryStoreName, String imageIndexStoreName,
            String deadlineStoreName, String tenantStoreName) {
        this.config = config;
        this.trajectoryStoreName = trajectoryStoreName;
        this.imageIndexStoreName = imageIndexStoreName;
        this.deadlineStoreName = deadlineStoreName;
        this.tenantStoreName = tenantStoreName;
    }

    /**
     * Also schedules admissions: submissions read from {@code submissionsTopic} are queued in {@code queueStoreName}
     * and released by the counters in {@code admissionStoreName} (see {@link AdmissionScheduler}).
     */
    public TrajectoryProcessor(TopologyConfig config, String trajectoryStoreName, String imageIndexStoreName,
            String deadlineStoreName, String tenantStoreName, String submissionsTopic, String queueStoreName,
            String admissionStoreName) {
        this(config, trajectoryStoreName, imageIndexStoreName, deadlineStoreName, tenantStoreName);
        this.submissionsTopic = submissionsTopic;
        this.queueStoreName = queueStoreName;
        this.admissionStoreName = admissionStoreName;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.trajectories = context.getStateStore(trajectoryStoreName);
        this.images = context.getStateStore(imageIndexStoreName);
        this.deadlines = context.getStateStore(deadlineStoreName);
        this.tenants = context.getStateStore(tenantStoreName);
        countTenantsOnce();
        if (queueStoreName != null) {
            admission = new AdmissionScheduler(context.getStateStore(queueStoreName),
                    context.getStateStore(admissionStoreName), config.schedulerWindow(),
                    config.schedulerInteractiveHeadroom(), config.schedulerWeights());
            admission.countOnce(trajectories);
            // releases what a larger window (after a restart with another setting) or a missed end allows
            context.schedule(java.time.Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::release);
        }
        context.schedule(config.stallCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::markStalled);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        String id = record.key();
        SpecificRecord event = record.value();
        if (event == null) {
            return;
        }
        if (id == null || id.isBlank()) {
            LOG.warn("skipped a {} without a key: every irg event is keyed by its trajectory id",
                    event.getClass().getSimpleName());
            return;
        }
        String inner = trajectoryId(event);
        if (inner != null && !inner.equals(id)) {
            LOG.warn("skipped a {} keyed '{}' that names trajectory '{}': key and trajectory id must match",
                    event.getClass().getSimpleName(), id, inner);
            return;
        }
        Span span = KafkaTracing.tracer().spanBuilder("irg topology " + event.getSchema().getName())
                .setParent(KafkaTracing.extract(record.headers())).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("irg.trajectory.id", id).startSpan();
        try {
            if (admission != null && event instanceof PromptSubmitted p && submissionsTopic != null
                    && context.recordMetadata().map(m -> submissionsTopic.equals(m.topic())).orElse(false)) {
                submitted(id, p, record);
                release(context.currentSystemTimeMs());
                return;
            }
            Trajectory current = trajectories.get(id);
            Trajectory next = TrajectoryFold.apply(current, id, event, record.timestamp(),
                    context.currentSystemTimeMs());
            if (next != current) {
                save(current, next, record.timestamp());
            }
            span.setAttribute("irg.status", next == null ? "" : String.valueOf(next.getStatus()));
            if (admission != null) {
                release(context.currentSystemTimeMs());
            }
        } finally {
            span.end();
        }
    }

    /**
     * A submission from the submissions topic: on to the prompts topic at once when the partition has room and
     * nothing is queued, else queued. A repeat of a known trajectory (an idempotent submit taken by two API instances,
     * a redelivery) is not queued again.
     */
    private void submitted(String id, PromptSubmitted p, Record<String, SpecificRecord> record) {
        long now = context.currentSystemTimeMs();
        Trajectory current = trajectories.get(id);
        if (current != null) {
            if (current.getPrompt() == null) { // a cancellation or dead letter came first: fill the request in
                Trajectory next = TrajectoryFold.apply(current, id, p, record.timestamp(), now);
                if (next != current) {
                    save(current, next, record.timestamp());
                }
            }
            return;
        }
        if (admission.admitsAtOnce(AdmissionScheduler.priorityOf(p))) {
            Trajectory next = TrajectoryFold.apply(null, id, p, record.timestamp(), now);
            admission.admittedAtOnce(p);
            context.forward(new Record<String, SpecificRecord>(id, p, now, record.headers()));
            save(null, next, record.timestamp());
        } else {
            admission.enqueue(p);
            save(null, TrajectoryFold.queued(id, p, record.timestamp(), now), record.timestamp());
        }
    }

    /** Releases queued submissions while their classes have room in this partition's window. */
    private void release(long now) {
        PromptSubmitted p;
        while ((p = admission.next()) != null) {
            String id = p.getContext().getTrajectoryId();
            Trajectory current = trajectories.get(id);
            if (current == null || current.getStatus() != TrajectoryStatus.QUEUED) {
                continue; // ended while queued (cancelled, expired): its entry was stale
            }
            org.apache.kafka.common.header.internals.RecordHeaders headers =
                    new org.apache.kafka.common.header.internals.RecordHeaders();
            if (p.getContext().getIdempotencyKey() != null) { // what the think workers' de-duplication looks for
                headers.add(io.irgstream.schemas.client.TrajectoryClient.IDEMPOTENT_HEADER,
                        TrajectoryProcessor.tenantOf(current).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            context.forward(new Record<String, SpecificRecord>(id, p, now, headers));
            save(current, TrajectoryFold.admitted(current, now), now);
        }
    }

    private void markStalled(long now) {
        List<String> due = new ArrayList<>();
        try (KeyValueIterator<String, Long> it = deadlines.all()) {
            while (it.hasNext()) {
                KeyValue<String, Long> entry = it.next();
                if (entry.value <= now) {
                    due.add(entry.key);
                }
            }
        }
        for (String id : due) {
            Trajectory current = trajectories.get(id);
            Trajectory next = current == null ? null : TrajectoryFold.expire(current, now);
            if (next != null && next != current) {
                LOG.info("trajectory {} expired: its deadline {} passed while it waited for {}", id,
                        current.getDeadline(), current.getPendingStep());
                save(current, next, now);
                continue;
            }
            next = current == null ? null : TrajectoryFold.stall(current, now);
            if (next == null || next == current) {
                if (current != null && current.getStatus() == TrajectoryStatus.STALLED
                        && current.getDeadline() != null) {
                    deadlines.put(id, current.getDeadline().toEpochMilli());
                } else {
                    deadlines.delete(id);
                }
            } else {
                LOG.info("trajectory {} stalled: no {} within {} ms", id, next.getPendingStep(),
                        config.stallTimeout(next.getPendingStep()).toMillis());
                save(current, next, now);
            }
        }
    }

    /** The key under which the tenant store marks that it holds the counts of this task's trajectories. */
    private static final String COUNTED = "\u0000counted";

    /**
     * Counts the trajectories in flight by tenant from the trajectory store, once: a store written before tenant
     * counts existed starts with them right.
     */
    private void countTenantsOnce() {
        if (tenants.get(COUNTED) != null) {
            return;
        }
        java.util.Map<String, Long> counts = new java.util.HashMap<>();
        try (KeyValueIterator<String, Trajectory> it = trajectories.all()) {
            while (it.hasNext()) {
                Trajectory t = it.next().value;
                if (t != null && !TrajectoryFold.isEnded(t.getStatus())) {
                    counts.merge(tenantOf(t), 1L, Long::sum);
                }
            }
        }
        counts.forEach(tenants::put);
        tenants.put(COUNTED, 1L);
    }

    /** The tenant a trajectory counts against: its own, or 'default' for one written before tenants. */
    public static String tenantOf(Trajectory t) {
        return t.getTenant() == null ? io.irgstream.schemas.client.Submission.DEFAULT_TENANT : t.getTenant();
    }

    /** Keeps the count of trajectories in flight by tenant when a trajectory starts, ends or resumes. */
    private void countTenant(Trajectory previous, Trajectory next) {
        String before = previous == null || TrajectoryFold.isEnded(previous.getStatus()) ? null : tenantOf(previous);
        String after = TrajectoryFold.isEnded(next.getStatus()) ? null : tenantOf(next);
        if (java.util.Objects.equals(before, after)) {
            return;
        }
        if (before != null) {
            Long n = tenants.get(before);
            if (n == null || n <= 1) {
                tenants.delete(before);
            } else {
                tenants.put(before, n - 1);
            }
        }
        if (after != null) {
            Long n = tenants.get(after);
            tenants.put(after, n == null ? 1 : n + 1);
        }
    }

    private void save(Trajectory previous, Trajectory next, long timestamp) {
        String id = next.getId();
        trajectories.put(id, next);
        countTenant(previous, next);
        if (admission != null) {
            admission.changed(previous, next);
        }
        Set<String> shas = TrajectoryFold.imageShas(next);
        if (previous != null) {
            shas.removeAll(TrajectoryFold.imageShas(previous));
        }
        for (String sha : shas) {
            images.putIfAbsent(sha, id);
        }
        boolean waits = TrajectoryFold.isRunning(next.getStatus())
                || (next.getStatus() == TrajectoryStatus.STALLED || next.getStatus() == TrajectoryStatus.QUEUED)
                && next.getDeadline() != null;
        if (waits) {
            long deadline = next.getStatus() == TrajectoryStatus.STALLED
                    || next.getStatus() == TrajectoryStatus.QUEUED ? Long.MAX_VALUE
                    : next.getProgressedAt().toEpochMilli() + config.stallTimeout(next.getPendingStep()).toMillis();
            if (next.getDeadline() != null) {
                deadline = Math.min(deadline, next.getDeadline().toEpochMilli());
            }
            Long old = deadlines.get(id);
            if (old == null || old != deadline) {
                deadlines.put(id, deadline);
            }
        } else if (previous == null || TrajectoryFold.isRunning(previous.getStatus())
                || previous.getStatus() == TrajectoryStatus.STALLED
                || previous.getStatus() == TrajectoryStatus.QUEUED) {
            deadlines.delete(id);
        }
        context.forward(new Record<>(id, next, timestamp));
    }

    private static String trajectoryId(SpecificRecord event) {
        if (event instanceof PromptSubmitted e) {
            return e.getContext().getTrajectoryId();
        } else if (event instanceof ThoughtProduced e) {
            return e.getContext().getTrajectoryId();
        } else if (event instanceof DraftImageProduced e) {
            return e.getContext().getTrajectoryId();
        } else if (event instanceof ReflectionProduced e) {
            return e.getContext().getTrajectoryId();
        } else if (event instanceof FinalImageProduced e) {
            return e.getContext().getTrajectoryId();
        } else if (event instanceof DeadLetter e) {
            return e.getTrajectoryId();
        } else if (event instanceof CancellationRequested e) {
            return e.getTrajectoryId();
        }
        return null;
    }
}
