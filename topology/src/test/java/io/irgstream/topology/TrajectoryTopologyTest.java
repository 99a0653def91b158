package io.irgstream.topology;

import static io.irgstream.events.TrajectoryStatus.CANCELLED;
import static io.irgstream.events.TrajectoryStatus.COMPLETED;
import static io.irgstream.events.TrajectoryStatus.DRAFTED;
import static io.irgstream.events.TrajectoryStatus.FAILED;
import static io.irgstream.events.TrajectoryStatus.REFLECTED;
import static io.irgstream.events.TrajectoryStatus.STALLED;
import static io.irgstream.events.TrajectoryStatus.SUBMITTED;
import static io.irgstream.events.TrajectoryStatus.THOUGHT;
import static io.irgstream.events.Verdict.NEEDS_CHANGES;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryRound;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.events.TrajectoryStep;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.topology.internals.TrajectoryFold;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TrajectoryTopologyTest {

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

    @Test
    void shouldBeSubmittedWithTheRequestWhenPromptArrives() {
        Events e = new Events("t-submit", 1);

        harness.send(e.id, e.prompt());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(SUBMITTED);
        assertThat(t.getPendingStep()).isEqualTo("think");
        assertThat(t.getPrompt()).isEqualTo("a large red circle");
        assertThat(t.getSeed()).isEqualTo(42L);
        assertThat(t.getRounds()).isEqualTo(1);
        assertThat(t.getSubmittedAt()).isEqualTo(Events.SUBMITTED_AT);
        assertThat(t.getRevision()).isEqualTo(1);
        assertThat(harness.written()).hasSize(1).allSatisfy(w -> assertSameContent(w, t));
    }

    @Test
    void shouldPassEveryNormalStatusWhenStepsArriveInOrder() {
        Events e = new Events("t-happy", 1);

        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES),
                e.finalImage(1, NEEDS_CHANGES));

        List<Trajectory> written = harness.written();
        assertThat(statuses(written)).containsExactly(SUBMITTED, THOUGHT, DRAFTED, REFLECTED, COMPLETED);
        assertThat(written).extracting(Trajectory::getPendingStep)
                .containsExactly("think", "draw", "reflect", "refine", null);
        assertThat(written).extracting(Trajectory::getRevision).containsExactly(1L, 2L, 3L, 4L, 5L);
        Trajectory t = harness.stored(e.id);
        assertSameContent(t, written.get(4));
        assertThat(t.getThought()).isEqualTo(Events.THOUGHT);
        assertThat(t.getDraft()).isEqualTo(e.image(0, "draft"));
        assertThat(t.getReflectionRounds()).hasSize(1);
        TrajectoryRound round = t.getReflectionRounds().get(0);
        assertThat(round.getJudgedImage()).isEqualTo(e.image(0, "draft"));
        assertThat(round.getVerdict()).isEqualTo(NEEDS_CHANGES);
        assertThat(round.getReflection()).contains("Verdict: NEEDS_CHANGES");
        assertThat(round.getFinalImage()).isEqualTo(e.image(1, "final"));
        assertThat(t.getFinalImage()).isEqualTo(e.image(1, "final"));
        assertThat(t.getCompletedAt()).isNotNull();
        assertThat(t.getSteps()).extracting(TrajectoryStep::getStep)
                .containsExactly("think", "draw", "reflect", "refine");
        TrajectoryStep refine = t.getSteps().get(3);
        assertThat(refine.getRound()).isEqualTo(1);
        assertThat(refine.getQueueWaitMs()).isEqualTo(40);
        assertThat(refine.getComputeMs()).isEqualTo(400);
        assertThat(refine.getEndToEndMs()).isEqualTo(4_000);
        assertThat(refine.getProvenance().getWorkerId()).isEqualTo("refine-worker-0");
        assertThat(t.getAttempts()).isEqualTo(4);
        assertThat(harness.imageOwner(e.image(1, "final").getSha256())).isEqualTo(e.id);
        assertThat(harness.imageOwner(e.image(0, "draft").getSha256())).isEqualTo(e.id);
    }

    @ParameterizedTest(name = "rounds={0}")
    @ValueSource(ints = {1, 2, 3})
    void shouldCompleteAfterTheLastRequestedRoundWhenNoVerdictIsSatisfied(int rounds) {
        Events e = new Events("t-rounds-" + rounds, rounds);
        harness.send(e.id, e.prompt(), e.thought(), e.draft());

        for (int r = 1; r <= rounds; r++) {
            harness.send(e.id, e.reflection(r, NEEDS_CHANGES));
            assertThat(harness.stored(e.id).getStatus()).isEqualTo(REFLECTED);
            assertThat(harness.stored(e.id).getPendingStep()).isEqualTo("refine");
            harness.send(e.id, e.finalImage(r, NEEDS_CHANGES));
            Trajectory t = harness.stored(e.id);
            assertThat(t.getCurrentRound()).isEqualTo(r);
            if (r < rounds) {
                assertThat(t.getStatus()).isEqualTo(REFLECTED);
                assertThat(t.getPendingStep()).isEqualTo("reflect");
            }
        }

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(COMPLETED);
        assertThat(t.getReflectionRounds()).extracting(TrajectoryRound::getRound)
                .containsExactlyElementsOf(range(1, rounds));
        for (int r = 2; r <= rounds; r++) {
            assertThat(t.getReflectionRounds().get(r - 1).getJudgedImage())
                    .isEqualTo(t.getReflectionRounds().get(r - 2).getFinalImage());
        }
        assertThat(t.getFinalImage()).isEqualTo(e.image(rounds, "final"));
    }

    @Test
    void shouldCompleteEarlyWhenRoundTwoOfThreeIsSatisfied() {
        Events e = new Events("t-early", 3);

        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES),
                e.finalImage(1, NEEDS_CHANGES), e.reflection(2, SATISFIED), e.finalImage(2, SATISFIED));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(COMPLETED);
        assertThat(t.getCurrentRound()).isEqualTo(2);
        assertThat(t.getReflectionRounds()).hasSize(2);
        assertThat(t.getFinalImage()).isEqualTo(e.image(1, "final"));
        assertThat(t.getPendingStep()).isNull();
    }

    @Test
    void shouldStallWhenAStepTakesLongerThanItsTimeout() {
        Events e = new Events("t-stall", 1);
        harness.send(e.id, e.prompt());

        harness.advance(TopologyHarness.THINK_TIMEOUT.minusSeconds(2));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(SUBMITTED);
        harness.advance(Duration.ofSeconds(3));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(STALLED);
        assertThat(t.getStatusBeforeStall()).isEqualTo(SUBMITTED);
        assertThat(t.getPendingStep()).isEqualTo("think");
        assertThat(t.getStalledAt()).isNotNull();
        assertThat(statuses(harness.written())).containsExactly(SUBMITTED, STALLED);
    }

    @Test
    void shouldUseThePendingStepsTimeoutWhenDecidingAStall() {
        Events e = new Events("t-stall-draw", 1);
        harness.send(e.id, e.prompt(), e.thought());

        harness.advance(TopologyHarness.THINK_TIMEOUT.plusSeconds(5));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(THOUGHT);
        harness.advance(TopologyHarness.DRAW_TIMEOUT.minus(TopologyHarness.THINK_TIMEOUT));

        assertThat(harness.stored(e.id).getStatus()).isEqualTo(STALLED);
        assertThat(harness.stored(e.id).getStatusBeforeStall()).isEqualTo(THOUGHT);
    }

    @Test
    void shouldResumeItsNormalStatusWhenAStalledTrajectoryMovesOn() {
        Events e = new Events("t-resume", 1);
        harness.send(e.id, e.prompt(), e.thought());
        harness.advance(TopologyHarness.DRAW_TIMEOUT.plusSeconds(2));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(STALLED);

        harness.send(e.id, e.draft());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(DRAFTED);
        assertThat(t.getStatusBeforeStall()).isNull();
        assertThat(t.getStalledAt()).isNull();
        assertThat(statuses(harness.written())).containsExactly(SUBMITTED, THOUGHT, STALLED, DRAFTED);
        harness.advance(TopologyHarness.REFLECT_TIMEOUT.minusSeconds(5));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(DRAFTED);
        harness.advance(Duration.ofSeconds(10));
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(STALLED);
    }

    @Test
    void shouldStayStalledWhenOnlyARedeliveredEventArrives() {
        Events e = new Events("t-stall-dup", 1);
        harness.send(e.id, e.prompt(), e.thought());
        harness.advance(TopologyHarness.DRAW_TIMEOUT.plusSeconds(2));

        harness.send(e.id, e.thought(), e.prompt());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(STALLED);
        assertThat(t.getSteps().get(0).getDeliveries()).isEqualTo(2);
    }

    @Test
    void shouldNeverStallWhenTheTrajectoryHasEnded() {
        Events done = new Events("t-done", 1);
        Events cancelled = new Events("t-cancelled-no-stall", 1);
        harness.send(done.id, done.prompt(), done.thought(), done.draft(), done.reflection(1, SATISFIED),
                done.finalImage(1, SATISFIED));
        harness.send(cancelled.id, cancelled.prompt(), cancelled.cancel());

        harness.advance(TopologyHarness.REFINE_TIMEOUT.multipliedBy(3));

        assertThat(harness.stored(done.id).getStatus()).isEqualTo(COMPLETED);
        assertThat(harness.stored(cancelled.id).getStatus()).isEqualTo(CANCELLED);
    }

    @Test
    void shouldBeCancelledAndStayCancelledWhenStepsArriveAfterTheCancellation() {
        Events e = new Events("t-cancel", 1);
        harness.send(e.id, e.prompt(), e.thought());

        harness.send(e.id, e.cancel(), e.draft(), e.reflection(1, NEEDS_CHANGES), e.finalImage(1, NEEDS_CHANGES));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(CANCELLED);
        assertThat(t.getPendingStep()).isNull();
        assertThat(t.getCancelRequestedBy()).isEqualTo("test");
        assertThat(t.getCancelReason()).isEqualTo("changed my mind");
        assertThat(t.getCompletedAt()).isNotNull();
        assertThat(t.getDraft()).as("late results are still recorded").isNotNull();
        assertThat(statuses(harness.written())).containsExactly(SUBMITTED, THOUGHT, CANCELLED, CANCELLED, CANCELLED,
                CANCELLED);
    }

    @Test
    void shouldBeCancelledWhenTheCancellationArrivesBeforeThePrompt() {
        Events e = new Events("t-cancel-first", 1);

        harness.send(e.id, e.cancel());
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(CANCELLED);
        assertThat(harness.stored(e.id).getPrompt()).isNull();
        harness.send(e.id, e.prompt());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(CANCELLED);
        assertThat(t.getPrompt()).isEqualTo("a large red circle");
    }

    @Test
    void shouldStayCompletedAndRecordTheRequestWhenCancelledAfterCompletion() {
        Events e = new Events("t-cancel-late", 1);
        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, SATISFIED), e.finalImage(1, SATISFIED));

        harness.send(e.id, e.cancel(), e.cancel());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(COMPLETED);
        assertThat(t.getCancelRequestedAt()).isNotNull();
        assertThat(harness.written()).hasSize(6);
    }

    @Test
    void shouldStayFailedWithItsReasonWhenCancelledAfterTheFailure() {
        Events e = new Events("t-cancel-failed", 1);
        harness.send(e.id, e.prompt(), e.thought());
        harness.send(e.id, e.deadLetter("draw", 17, Events.SUBMITTED_AT.plusSeconds(10)));

        harness.send(e.id, e.cancel());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(FAILED);
        assertThat(t.getFailureReason()).isEqualTo("draw: model returned NaN pixels");
        assertThat(t.getCancelRequestedAt()).isNotNull();
    }

    @Test
    void shouldFailWithTheDeadLettersReasonWhenAStepGivesUp() {
        Events e = new Events("t-fail", 1);
        harness.send(e.id, e.prompt(), e.thought());

        harness.send(e.id, e.deadLetter("draw", 17, Events.SUBMITTED_AT.plusSeconds(10)));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(FAILED);
        assertThat(t.getFailureReason()).isEqualTo("draw: model returned NaN pixels");
        assertThat(t.getPendingStep()).isNull();
        assertThat(t.getCompletedAt()).isNotNull();
        assertThat(t.getErrors()).hasSize(1);
        assertThat(t.getErrors().get(0).getErrorClass()).isEqualTo("java.lang.IllegalStateException");
        assertThat(t.getErrors().get(0).getOffset()).isEqualTo(17);
        assertThat(t.getAttempts()).isEqualTo(1 + 3);
        harness.advance(TopologyHarness.REFINE_TIMEOUT.multipliedBy(2));
        assertThat(harness.stored(e.id).getStatus()).as("a failed trajectory does not stall").isEqualTo(FAILED);
    }

    @Test
    void shouldRecordADeadLetterOnceWhenItIsRedelivered() {
        Events e = new Events("t-fail-dup", 1);
        harness.send(e.id, e.prompt(), e.thought());
        harness.send(e.id, e.deadLetter("draw", 17, Events.SUBMITTED_AT.plusSeconds(10)));
        harness.written();

        harness.send(e.id, e.deadLetter("draw", 17, Events.SUBMITTED_AT.plusSeconds(10)));

        assertThat(harness.stored(e.id).getErrors()).hasSize(1);
        assertThat(harness.written()).isEmpty();
    }

    @Test
    void shouldStayFailedWhenAnOlderEventArrivesButResumeWhenARedrivenStepSucceeds() {
        Events e = new Events("t-redrive", 1);
        harness.send(e.id, e.prompt(), e.deadLetter("draw", 5, Events.SUBMITTED_AT.plusSeconds(1)));
        harness.send(e.id, e.thought());
        assertThat(harness.stored(e.id).getStatus())
                .as("the thought was produced at +1 s, not after the failure").isEqualTo(FAILED);

        harness.send(e.id, e.draft());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(DRAFTED);
        assertThat(t.getFailureReason()).isNull();
        assertThat(t.getCompletedAt()).isNull();
        assertThat(t.getErrors()).hasSize(1);
    }

    @Test
    void shouldNotMoveTheStatusBackWhenALateThoughtArrivesAfterTheDraft() {
        Events e = new Events("t-late-thought", 1);
        harness.send(e.id, e.prompt(), e.draft());
        harness.written();

        harness.send(e.id, e.thought());

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(DRAFTED);
        assertThat(t.getPendingStep()).isEqualTo("reflect");
        assertThat(t.getSteps()).extracting(TrajectoryStep::getStep).containsExactly("draw", "think");
        assertThat(statuses(harness.written())).containsExactly(DRAFTED);
    }

    @Test
    void shouldEndWithTheSameRecordWhenEventsArriveInReverseOrder() {
        Events e = new Events("t-reverse", 2);
        List<SpecificRecord> inOrder = List.of(e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES),
                e.finalImage(1, NEEDS_CHANGES), e.reflection(2, NEEDS_CHANGES), e.finalImage(2, NEEDS_CHANGES));
        Events r = new Events("t-reverse", 2);
        harness.send(e.id, inOrder.toArray(SpecificRecord[]::new));
        Trajectory ordered = harness.stored(e.id);

        try (TopologyHarness other = new TopologyHarness(registry.registry())) {
            List<SpecificRecord> reversed = new ArrayList<>(inOrder);
            java.util.Collections.reverse(reversed);
            other.send(r.id, reversed.toArray(SpecificRecord[]::new));
            Trajectory t = other.stored(r.id);

            assertThat(statuses(other.written())).as("the prompt, last, adds nothing the events did not carry")
                    .containsExactly(COMPLETED, COMPLETED, COMPLETED, COMPLETED, COMPLETED, COMPLETED);
            assertSameContent(comparable(t), comparable(ordered));
        }
    }

    @Test
    void shouldFoldEachEventOnceWhenEveryEventIsDeliveredTwice() {
        Events e = new Events("t-dup", 2);
        SpecificRecord[] events = {e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES),
            e.finalImage(1, NEEDS_CHANGES), e.reflection(2, NEEDS_CHANGES), e.finalImage(2, NEEDS_CHANGES)};
        harness.send(e.id, events);
        Trajectory once = harness.stored(e.id);

        harness.send(e.id, events);

        Trajectory twice = harness.stored(e.id);
        assertThat(twice.getStatus()).isEqualTo(COMPLETED);
        assertThat(twice.getSteps()).hasSize(6).allSatisfy(s -> assertThat(s.getDeliveries()).isEqualTo(2));
        assertThat(twice.getAttempts()).isEqualTo(once.getAttempts());
        assertThat(twice.getCompletedAt()).isEqualTo(once.getCompletedAt());
        Trajectory normalized = comparable(twice);
        normalized.getSteps().forEach(s -> s.setDeliveries(1));
        assertSameContent(normalized, comparable(once));
    }

    @Test
    void shouldSkipAnEventWhenItsKeyIsNotItsTrajectoryId() {
        Events e = new Events("t-key", 1);

        harness.send("some-other-id", e.prompt());

        assertThat(harness.stored("some-other-id")).isNull();
        assertThat(harness.stored(e.id)).isNull();
        assertThat(harness.written()).isEmpty();
    }

    private static void assertSameContent(Trajectory actual, Trajectory expected) {
        assertThat(actual.toString()).isEqualTo(expected.toString());
        assertThat(TrajectoryFold.sameContent(actual, expected)).isTrue();
    }

    private static List<TrajectoryStatus> statuses(List<Trajectory> ts) {
        return ts.stream().map(Trajectory::getStatus).toList();
    }

    private static List<Integer> range(int from, int to) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            r.add(i);
        }
        return r;
    }

    /** The record without what depends on arrival order and wall-clock time. */
    private static Trajectory comparable(Trajectory t) {
        Trajectory c = Trajectory.newBuilder(t).build();
        c.setRevision(0);
        c.setCreatedAt(java.time.Instant.EPOCH);
        c.setUpdatedAt(java.time.Instant.EPOCH);
        c.setProgressedAt(java.time.Instant.EPOCH);
        c.setCompletedAt(null);
        c.setLastEventAt(null);
        List<TrajectoryStep> steps = new ArrayList<>(c.getSteps());
        steps.forEach(s -> s.setRecordedAt(java.time.Instant.EPOCH));
        steps.sort(java.util.Comparator.comparing(TrajectoryStep::getStep).thenComparing(TrajectoryStep::getRound));
        c.setSteps(steps);
        return c;
    }
}
