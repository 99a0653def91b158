package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TrajectoryMetricsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TrajectoryMetrics metrics = new TrajectoryMetrics(registry);

    @org.junit.jupiter.api.BeforeAll
    static void trustTheEventClasses() {
        io.irgstream.schemas.AvroClassTrust.install();
    }

    @Test
    void shouldCountQueuedAndRunningTrajectoriesPerClassAndTimeTheirWaitForAdmission() {
        metrics.accept(trajectory("b1", "batch", TrajectoryStatus.QUEUED, null));
        metrics.accept(trajectory("b2", "batch", TrajectoryStatus.QUEUED, null));
        metrics.accept(trajectory("i1", "interactive", TrajectoryStatus.SUBMITTED, null));
        metrics.accept(trajectory("n1", null, TrajectoryStatus.QUEUED, null));
        assertThat(gauge("irg.priority.trajectories.queued", "batch")).isEqualTo(2);
        assertThat(gauge("irg.priority.trajectories.queued", "normal")).as("no class is normal").isEqualTo(1);
        assertThat(gauge("irg.priority.trajectories.running", "interactive")).isEqualTo(1);
        assertThat(gauge("irg.priority.trajectories.running", "batch")).isZero();

        // b1 admitted after 1.5 s in the queue, then the same change again (a redelivery): one wait recorded
        Trajectory admitted = trajectory("b1", "batch", TrajectoryStatus.SUBMITTED, T0.plusMillis(1_500));
        metrics.accept(admitted);
        metrics.accept(admitted);
        assertThat(gauge("irg.priority.trajectories.queued", "batch")).isEqualTo(1);
        assertThat(gauge("irg.priority.trajectories.running", "batch")).isEqualTo(1);
        var wait = registry.get("irg.priority.queue.wait").tag("priority", "batch").timer();
        assertThat(wait.count()).isEqualTo(1);
        assertThat(wait.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1_500);

        // b2 cancelled while queued: it leaves the queue, no admission wait
        metrics.accept(trajectory("b2", "batch", TrajectoryStatus.CANCELLED, null));
        metrics.accept(trajectory("b1", "batch", TrajectoryStatus.COMPLETED, T0.plusMillis(1_500)));
        assertThat(gauge("irg.priority.trajectories.queued", "batch")).isZero();
        assertThat(gauge("irg.priority.trajectories.running", "batch")).isZero();
        assertThat(wait.count()).isEqualTo(1);
    }

    private double gauge(String name, String priority) {
        return registry.get(name).tag("priority", priority).gauge().value();
    }

    private static Trajectory trajectory(String id, String priority, TrajectoryStatus status, Instant admittedAt) {
        return Trajectory.newBuilder().setId(id).setRevision(1).setStatus(status).setPendingStep("think")
                .setPrompt("a red circle").setPriority(priority).setQueuedAt(T0).setAdmittedAt(admittedAt)
                .setReflectionRounds(List.of()).setSteps(List.of()).setErrors(List.of())
                .setCreatedAt(T0).setUpdatedAt(T0).setProgressedAt(T0).setSubmittedAt(T0).build();
    }
}
