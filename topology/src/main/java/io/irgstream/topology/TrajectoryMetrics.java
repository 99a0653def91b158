package io.irgstream.topology;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.client.Priority;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Trajectory meters, fed with every committed change of {@code irg.trajectories} seen since the process started:
 * trajectories in flight by status, trajectories ended by status, and the end-to-end latency of completed ones
 * (submit to the last final image). Every topology instance follows the whole topic, so each reports the global
 * figures. Memory: one entry per trajectory in flight, plus the ids of the last 100,000 ended ones.
 *
 * <p>Per tenant: trajectories in flight, ended by status, and the API's submits accepted and refused (over the
 * tenant's {@code tenant.max.in.flight}). Tenant names come from clients, so at most {@value #MAX_TENANT_LABELS}
 * tenants get series of their own; the rest are counted under the tenant label {@value #OTHER_TENANTS}.
 *
 * <p>Per priority class (the admission scheduler's view, see docs/scheduling.md): trajectories queued by the scheduler
 * (status QUEUED) and trajectories in the pipeline, and the time queued ones waited for admission. A growing
 * {@code irg_priority_trajectories_queued} is the scheduler's backlog, which the step topics' consumer lag does not
 * show (queued trajectories are not on a step topic yet).
 */
public final class TrajectoryMetrics implements Consumer<Trajectory> {
    private static final Set<TrajectoryStatus> ENDED = Set.of(TrajectoryStatus.COMPLETED, TrajectoryStatus.FAILED,
            TrajectoryStatus.CANCELLED, TrajectoryStatus.EXPIRED);

    /** Most tenants with series of their own. */
    public static final int MAX_TENANT_LABELS = 1_000;
    /** The tenant label of the tenants beyond {@link #MAX_TENANT_LABELS}. */
    public static final String OTHER_TENANTS = "_other";

    private final MeterRegistry registry;
    private final Map<String, TrajectoryStatus> inFlight = new ConcurrentHashMap<>();
    /** The tenant label of each trajectory in flight. */
    private final Map<String, String> inFlightTenant = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> tenantInFlight = new ConcurrentHashMap<>();
    private final Map<TrajectoryStatus, Counter> ended = new EnumMap<>(TrajectoryStatus.class);
    private final Timer endToEnd;
    /** The class of each trajectory in flight. */
    private final Map<String, Priority> inFlightPriority = new ConcurrentHashMap<>();
    private final Map<Priority, Timer> queueWait = new EnumMap<>(Priority.class);
    /** Ids of ended trajectories, so later changes of one are not counted again; the oldest are forgotten. */
    private final Map<String, Boolean> recentlyEnded = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 100_000;
        }
    };

    public TrajectoryMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (TrajectoryStatus s : TrajectoryStatus.values()) {
            if (ENDED.contains(s)) {
                ended.put(s, Counter.builder("irg.trajectories.ended").tag("status", s.name())
                        .description("trajectories that ended with this status").register(registry));
            } else {
                Gauge.builder("irg.trajectories.in.flight", inFlight, m -> m.values().stream().filter(s::equals).count())
                        .tag("status", s.name()).description("trajectories in flight with this status")
                        .register(registry);
            }
        }
        for (Priority p : Priority.values()) {
            Gauge.builder("irg.priority.trajectories.queued", this, m -> m.count(p, true)).tag("priority", p.wireName())
                    .description("trajectories of this class waiting in the admission scheduler (status QUEUED)")
                    .register(registry);
            Gauge.builder("irg.priority.trajectories.running", this, m -> m.count(p, false)).tag("priority", p.wireName())
                    .description("trajectories of this class in the pipeline (in flight and not QUEUED)")
                    .register(registry);
            queueWait.put(p, Timer.builder("irg.priority.queue.wait").tag("priority", p.wireName())
                    .description("how long trajectories of this class waited in the admission scheduler, from queued"
                            + " to admitted").publishPercentiles(0.5, 0.95, 0.99).register(registry));
        }
        endToEnd = Timer.builder("irg.trajectory.end.to.end").description("from submit to the last final image of a completed trajectory")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
    }

    /** The tenant's label: itself, 'default' for none, or {@value #OTHER_TENANTS} beyond the first 1,000. */
    private String label(String tenant) {
        String name = tenant == null ? io.irgstream.schemas.client.Submission.DEFAULT_TENANT : tenant;
        if (tenantInFlight.containsKey(name)) {
            return name;
        }
        synchronized (tenantInFlight) {
            if (!tenantInFlight.containsKey(name)) {
                if (tenantInFlight.size() >= MAX_TENANT_LABELS) {
                    name = OTHER_TENANTS;
                    if (tenantInFlight.containsKey(name)) {
                        return name;
                    }
                }
                java.util.concurrent.atomic.AtomicLong n = new java.util.concurrent.atomic.AtomicLong();
                Gauge.builder("irg.tenant.trajectories.in.flight", n, java.util.concurrent.atomic.AtomicLong::get)
                        .tag("tenant", name).description("a tenant's trajectories not yet ended")
                        .register(registry);
                tenantInFlight.put(name, n);
            }
        }
        return name;
    }

    /**
     * Counts a submit of the HTTP API.
     *
     * @param tenant  the submit's tenant
     * @param outcome accepted, or refused (the tenant had its limit of trajectories in flight)
     */
    public void submit(String tenant, String outcome) {
        Counter.builder("irg.tenant.submits").tag("tenant", label(tenant)).tag("outcome", outcome)
                .description("submits of the HTTP API by tenant: accepted, or refused over tenant.max.in.flight")
                .register(registry).increment();
    }

    /** Trajectories in flight of class {@code p}, queued ones or the others. */
    private long count(Priority p, boolean queued) {
        return inFlight.entrySet().stream().filter(e -> (e.getValue() == TrajectoryStatus.QUEUED) == queued
                && inFlightPriority.get(e.getKey()) == p).count();
    }

    @Override
    public void accept(Trajectory t) {
        TrajectoryStatus status = t.getStatus();
        Priority priority = Priority.ofRecord(t.getPriority());
        TrajectoryStatus before = status == TrajectoryStatus.QUEUED ? null : inFlight.get(t.getId());
        if (before == TrajectoryStatus.QUEUED && t.getQueuedAt() != null && t.getAdmittedAt() != null) {
            queueWait.get(priority).record(Duration.between(t.getQueuedAt(), t.getAdmittedAt()));
        }
        if (!ENDED.contains(status)) {
            inFlightPriority.put(t.getId(), priority);
            inFlight.put(t.getId(), status);
            if (!inFlightTenant.containsKey(t.getId())) {
                String tenant = label(t.getTenant());
                inFlightTenant.put(t.getId(), tenant);
                tenantInFlight.get(tenant).incrementAndGet();
            }
            return;
        }
        inFlight.remove(t.getId());
        inFlightPriority.remove(t.getId());
        String wasInFlight = inFlightTenant.remove(t.getId());
        if (wasInFlight != null) {
            tenantInFlight.get(wasInFlight).decrementAndGet();
        }
        synchronized (recentlyEnded) {
            if (recentlyEnded.put(t.getId(), Boolean.TRUE) != null) {
                return; // a later change of an ended trajectory (a redelivery, a recorded cancellation)
            }
        }
        ended.get(status).increment();
        Counter.builder("irg.tenant.trajectories.ended").tag("tenant", label(t.getTenant()))
                .tag("status", status.name()).description("a tenant's trajectories that ended with this status")
                .register(registry).increment();
        if (status == TrajectoryStatus.COMPLETED && t.getSubmittedAt() != null && t.getCompletedAt() != null) {
            endToEnd.record(Duration.between(t.getSubmittedAt(), t.getCompletedAt()));
        }
    }
}
