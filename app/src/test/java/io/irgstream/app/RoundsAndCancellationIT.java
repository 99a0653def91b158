package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Verdict;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Extra reflection rounds with early stop, and cancellation, through the real workers. */
class RoundsAndCancellationIT {
    @TempDir
    Path dir;

    @Test
    void shouldReflectAgainOnFinalImagesUntilSatisfiedOrOutOfRounds() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("rounds", 2);
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout,
                stack -> stack.models(step -> new DeterministicTestModel(step, 0)))) {
            List<PromptSubmitted> events = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                events.add(pipeline.client().event(new Submission("rounds prompt " + i, 100L + i, 3, null)));
            }
            Map<String, CollectedTrajectory> done = pipeline.submitAndAwait(events, Duration.ofSeconds(120));
            int multiRound = 0;
            for (CollectedTrajectory t : done.values()) {
                List<FinalImageProduced> finals = t.finals();
                List<ReflectionProduced> refl = t.reflections();
                assertThat(finals).isNotEmpty();
                assertThat(refl).hasSameSizeAs(finals);
                for (int r = 0; r < finals.size(); r++) {
                    assertThat(finals.get(r).getRound()).isEqualTo(r + 1);
                    assertThat(refl.get(r).getRound()).isEqualTo(r + 1);
                    if (r > 0) {
                        // round r+1 judges round r's final image
                        assertThat(refl.get(r).getImage().getSha256()).isEqualTo(finals.get(r - 1).getImage().getSha256());
                    }
                }
                FinalImageProduced last = finals.get(finals.size() - 1);
                assertThat(finals.size() == 3 || last.getVerdict() == Verdict.SATISFIED)
                        .as("trajectory %s stopped after round %d with verdict %s", t.id(), last.getRound(), last.getVerdict()).isTrue();
                for (int r = 0; r < finals.size() - 1; r++) {
                    assertThat(finals.get(r).getVerdict()).as("only the last round may be SATISFIED").isEqualTo(Verdict.NEEDS_CHANGES);
                }
                if (finals.size() > 1) {
                    multiRound++;
                }
            }
            assertThat(multiRound).as("trajectories that needed more than one round").isPositive();
        }
    }

    @Test
    void shouldSkipCancelledTrajectoriesBeforeSpendingCompute() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("cancel", 1);
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout,
                stack -> stack.models(step -> new DeterministicTestModel(step, 0)))) {
            EmbeddedStack stack = pipeline.stack();
            TrajectoryWatcher watcher = pipeline.watcher();
            TrajectoryClient client = pipeline.client();
            PromptSubmitted cancelled = client.event(new Submission("cancel me", 1L, 1, null));
            PromptSubmitted kept = client.event(new Submission("keep me", 2L, 1, null));
            String cancelledId = cancelled.getContext().getTrajectoryId();
            client.cancel(cancelledId, "test", "changed my mind");
            await().atMost(Duration.ofSeconds(20)).until(() -> stack.cancellations().isCancelled(cancelledId));
            watcher.watch(cancelledId);
            watcher.watch(kept.getContext().getTrajectoryId());
            client.submitEvents(List.of(cancelled, kept));
            watcher.awaitAll(List.of(kept.getContext().getTrajectoryId()), Duration.ofSeconds(60), null);
            // the kept one went through; the cancelled one never reached a model
            assertThat(watcher.snapshot(cancelledId).events()).hasSize(1);
            assertThat(PipelineHarness.readAllCommitted(layout.prefix() + "thoughts", ThoughtProduced.class, stack.registryClient()))
                    .extracting(r -> r.key()).containsExactly(kept.getContext().getTrajectoryId());
            assertThat(stack.workers().stream().mapToLong(w -> w.stats().cancelledSkips()).sum()).isEqualTo(1);
        }
    }
}
