package io.irgstream.app;

import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.model.torch.StepModels;
import io.irgstream.schemas.client.Submission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code irg replay ID --verify} on a trajectory made by the shipped TorchScript models (models/shapes) on this
 * machine's CPU: every step re-runs IDENTICAL. (When reflect says SATISFIED, refine keeps the judged image and its
 * check compares that, as the worker did, without a model call.)
 */
class ShippedModelsReplayIT {
    private static final Path MODELS = Path.of("..", "models", "shapes");

    @TempDir
    Path dir;

    @Test
    void shouldReportEveryStepIdenticalWhenReplayingATrajectoryOfTheShippedModels() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("replay-shipped", 1);
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout,
                stack -> stack.models(step -> StepModels.load(step, MODELS.resolve(step.id() + ".pt"))))) {
            String id = pipeline.submitAndAwait(new Submission("a photo of a red circle and a blue square", 7L, 1, null),
                    Duration.ofSeconds(180)).id();
            assertThat(pipeline.watcher().snapshot(id).finals()).as("the final image of round 1").hasSize(1);
            assertThat(pipeline.watcher().snapshot(id).deadLetters()).isEmpty();

            InProcessCli.Result replay = pipeline.runCli("replay", id, "--verify", "--models", MODELS.toString());
            System.out.println(replay.out());
            assertThat(replay.exitCode()).as("exit code; out: %s; err: %s", replay.out(), replay.err()).isZero();
            List<String> rows = replay.out().lines().filter(l -> l.matches("^(think|draw|reflect|refine)\t.*")).toList();
            assertThat(rows).extracting(l -> l.split("\t")[0]).containsExactly("think", "draw", "reflect", "refine");
            assertThat(rows).allSatisfy(l -> {
                String[] f = l.split("\t");
                // "IDENTICAL", or for a SATISFIED verdict "IDENTICAL (kept the judged image (no model call))"
                assertThat(f[f.length - 1]).as(l).matches("IDENTICAL( \\(kept the judged image.*\\))?");
                assertThat(f[4]).as("made by the shipped model, not a test double: " + l).doesNotStartWith("test-");
            });

            // the CLI's real write path: redrive draw with the shipped draw.pt itself (--force, since the same model
            // already made the original); the revision is a new event and re-runs bit-identical
            InProcessCli.Result redrive = pipeline.runCli("redrive", "--step", "draw", "--from",
                    java.time.Instant.now().minusSeconds(600).toString(), "--trajectory", id, "--force", "--model",
                    MODELS.resolve("draw.pt").toString());
            assertThat(redrive.exitCode()).as("redrive; out: %s; err: %s", redrive.out(), redrive.err()).isZero();
            assertThat(redrive.out()).contains("redriven\t" + id + "\t");

            InProcessCli.Result replay2 = pipeline.runCli("replay", id, "--verify", "--models", MODELS.toString());
            assertThat(replay2.exitCode()).as("replay; out: %s; err: %s", replay2.out(), replay2.err()).isZero();
            System.out.println(replay2.out());
            List<String> draws = replay2.out().lines().filter(l -> l.startsWith("draw\t")).toList();
            assertThat(draws).as("the original draft and its revision 1").hasSize(2);
            assertThat(draws).extracting(l -> l.split("\t")[2]).containsExactly("0", "1");
            assertThat(draws).allSatisfy(l -> assertThat(l).endsWith("IDENTICAL"));
            var collected = io.irgstream.app.client.Replay.collect(KafkaFixture.bootstrapServers(), pipeline.stack().registryClient(),
                    layout.prefix(), id, java.time.Instant.EPOCH);
            List<io.irgstream.events.DraftImageProduced> revised = collected.revisions().stream()
                    .filter(io.irgstream.events.DraftImageProduced.class::isInstance)
                    .map(io.irgstream.events.DraftImageProduced.class::cast).toList();
            assertThat(revised).hasSize(1);
            assertThat(revised.get(0).getImage().getSha256()).as("same model, same seed, same pixels")
                    .isEqualTo(collected.draft().getImage().getSha256());
            assertThat(revised.get(0).getProvenance().getRevision()).isEqualTo(1);
        }
    }
}
