package io.irgstream.topology;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
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
 */
public final class TrajectoryMetrics implements Consumer<Trajectory> {
    private static final Set<TrajectoryStatus> ENDED = Set.of(TrajectoryStatus.COMPLETED, TrajectoryStatus.FAILED,
            TrajectoryStatus.CANCELLED, TrajectoryStatus.EXPIRED);

    private final Map<String, TrajectoryStatus> inFlight = new ConcurrentHashMap<>();
    private final Map<TrajectoryStatus, Counter> ended = new EnumMap<>(TrajectoryStatus.class);
    private final Timer endToEnd;
    /** Ids of ended trajectories, so later changes of one are not counted again; the oldest are forgotten. */
    private final Map<String, Boolean> recentlyEnded = new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 100_000;
        }
    };

    public TrajectoryMetrics(MeterRegistry registry) {
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
        endToEnd = Timer.builder("irg.trajectory.end.to.end").description("from submit to the last final image of a completed trajectory")
                .publishPercentiles(0.5, 0.95, 0.99).register(registry);
    }

    @Override
    public void accept(Trajectory t) {
        TrajectoryStatus status = t.getStatus();
        if (!ENDED.contains(status)) {
            inFlight.put(t.getId(), status);
            return;
        }
        inFlight.remove(t.getId());
        synchronized (recentlyEnded) {
            if (recentlyEnded.put(t.getId(), Boolean.TRUE) != null) {
                return; // a later change of an ended trajectory (a redelivery, a recorded cancellation)
            }
        }
        ended.get(status).increment();
        if (status == TrajectoryStatus.COMPLETED && t.getSubmittedAt() != null && t.getCompletedAt() != null) {
            endToEnd.record(Duration.between(t.getSubmittedAt(), t.getCompletedAt()));
        }
    }
}
