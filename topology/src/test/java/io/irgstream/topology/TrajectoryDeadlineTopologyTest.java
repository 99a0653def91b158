package io.irgstream.topology;

import static io.irgstream.events.TrajectoryStatus.COMPLETED;
import static io.irgstream.events.TrajectoryStatus.EXPIRED;
import static io.irgstream.events.TrajectoryStatus.STALLED;
import static io.irgstream.events.TrajectoryStatus.SUBMITTED;
import static io.irgstream.events.TrajectoryStatus.THOUGHT;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.Trajectory;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Deadlines in the fold: a worker's skip report and the punctuator both end a trajectory EXPIRED. */
class TrajectoryDeadlineTopologyTest {

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private TopologyHarness harness;

    @BeforeEach
    void startDriver() {
        harness = new TopologyHarness(registry.registry());
    }

    @AfterEach
    void closeDriver() {
        harness.close();
    }

    private static Events withDeadline(String id, int secondsAfterSubmit) {
        Events e = new Events(id, 1);
        e.deadline = Events.SUBMITTED_AT.plusSeconds(secondsAfterSubmit);
        return e;
    }

    @Test
    void shouldExpireAndStayExpiredWhenAWorkerReportsASkipPastTheDeadline() {
        Events e = withDeadline("t-expired-by-worker", 10);
        harness.send(e.id, e.prompt(), e.thought());
        assertThat(harness.stored(e.id).getDeadline()).isEqualTo(e.deadline);

        harness.send(e.id, e.expiryReport("draw"), e.draft(), e.cancel());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(EXPIRED);
        assertThat(t.getExpiredStep()).isEqualTo("draw");
        assertThat(t.getPendingStep()).isNull();
        assertThat(t.getCompletedAt()).isNotNull();
        assertThat(t.getCancelRequestedAt()).as("a later cancellation is recorded only").isNotNull();
        assertThat(t.getDraft()).as("a late result is still recorded").isNotNull();
        harness.advance(TopologyHarness.REFINE_TIMEOUT.multipliedBy(3));
        assertThat(harness.stored(e.id).getStatus()).as("an ended trajectory never stalls").isEqualTo(EXPIRED);
    }

    @Test
    void shouldExpireWhenTheDeadlinePassesWhileItWaitsForAStep() {
        Events e = withDeadline("t-expired-waiting", 10);
        harness.send(e.id, e.prompt());

        harness.advance(Duration.ofSeconds(8));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(SUBMITTED);
        harness.advance(Duration.ofSeconds(3));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(EXPIRED);
        assertThat(t.getExpiredStep()).as("no worker reported it").isNull();
        assertThat(t.getPendingStep()).isNull();
        harness.advance(TopologyHarness.THINK_TIMEOUT.multipliedBy(2));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(EXPIRED);
        harness.send(e.id, e.expiryReport("think"), e.expiryReport("draw"));
        assertThat(harness.stored(e.id).getExpiredStep()).as("the first worker's report names its step")
                .isEqualTo("think");
    }

    @Test
    void shouldExpireAStalledTrajectoryWhenItsDeadlinePasses() {
        Events e = withDeadline("t-stalled-then-expired", 45);
        harness.send(e.id, e.prompt());

        harness.advance(TopologyHarness.THINK_TIMEOUT.plusSeconds(2));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(STALLED);
        harness.advance(Duration.ofSeconds(15));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(EXPIRED);
        assertThat(t.getStatusBeforeStall()).isNull();
        assertThat(t.getStalledAt()).isNull();
    }

    @Test
    void shouldStillStallBeforeALaterDeadline() {
        Events e = withDeadline("t-stall-before-deadline", 3600);
        harness.send(e.id, e.prompt(), e.thought());

        harness.advance(TopologyHarness.DRAW_TIMEOUT.plusSeconds(2));

        assertThat(harness.stored(e.id).getStatus()).isEqualTo(STALLED);
        assertThat(harness.stored(e.id).getStatusBeforeStall()).isEqualTo(THOUGHT);
    }

    @Test
    void shouldStayCompletedWhenTheDeadlinePassesAfterCompletion() {
        Events e = withDeadline("t-completed-in-time", 100);
        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, SATISFIED), e.finalImage(1, SATISFIED));

        harness.advance(Duration.ofSeconds(200));
        harness.send(e.id, e.expiryReport("reflect"));

        assertThat(harness.stored(e.id).getStatus()).isEqualTo(COMPLETED);
        assertThat(harness.stored(e.id).getExpiredStep()).isNull();
    }

    @Test
    void shouldCompleteAnExpiredTrajectoryOnlyWhenItsLastImageWasMadeByTheDeadline() {
        Events inTime = withDeadline("t-final-in-time", 5);
        Events late = withDeadline("t-final-late", 3);
        harness.send(inTime.id, inTime.prompt(), inTime.thought(), inTime.draft(), inTime.reflection(1, SATISFIED));
        harness.send(late.id, late.prompt(), late.thought(), late.draft(), late.reflection(1, SATISFIED));
        harness.advance(Duration.ofSeconds(6));
        assertThat(harness.stored(inTime.id).getStatus()).isEqualTo(EXPIRED);
        assertThat(harness.stored(late.id).getStatus()).isEqualTo(EXPIRED);

        // the refine events are produced 4 s after the submission
        harness.send(inTime.id, inTime.finalImage(1, SATISFIED));
        harness.send(late.id, late.finalImage(1, SATISFIED));

        assertThat(harness.stored(inTime.id).getStatus()).isEqualTo(COMPLETED);
        assertThat(harness.stored(inTime.id).getFinalImage()).isNotNull();
        assertThat(harness.stored(late.id).getStatus()).isEqualTo(EXPIRED);
    }

    @Test
    void shouldExpireWhenTheWorkersReportArrivesBeforeThePrompt() {
        Events e = withDeadline("t-report-first", 10);

        harness.send(e.id, e.expiryReport("think"), e.prompt());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(EXPIRED);
        assertThat(t.getExpiredStep()).isEqualTo("think");
        assertThat(t.getPrompt()).isEqualTo("a large red circle");
    }
}
