package io.irgstream.app;

import io.irgstream.app.cli.IrgCli;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.model.torch.StepModels;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout)
                .models(step -> StepModels.load(step, MODELS.resolve(step.id() + ".pt"))).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            PromptSubmitted e = client.event(new Submission("a photo of a red circle and a blue square", 7L, 1, null));
            String id = e.getContext().getTrajectoryId();
            watcher.watch(id);
            client.submitEvents(List.of(e));
            watcher.awaitAll(List.of(id), Duration.ofSeconds(180), null);
            assertThat(watcher.snapshot(id).finals()).as("the final image of round 1").hasSize(1);
            assertThat(watcher.snapshot(id).deadLetters()).isEmpty();

            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = IrgCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute("replay", id, "--verify", "--bootstrap-servers", KafkaFixture.bootstrapServers(),
                    "--schema-registry", stack.registryUrl(), "--topic-prefix", layout.prefix(), "--data-dir",
                    dir.toString(), "--models", MODELS.toString());
            System.out.println(out);
            assertThat(code).as("exit code; out: %s; err: %s", out, err).isZero();
            List<String> rows = out.toString().lines().filter(l -> l.matches("^(think|draw|reflect|refine)\t.*")).toList();
            assertThat(rows).extracting(l -> l.split("\t")[0]).containsExactly("think", "draw", "reflect", "refine");
            assertThat(rows).allSatisfy(l -> {
                String[] f = l.split("\t");
                // "IDENTICAL", or for a SATISFIED verdict "IDENTICAL (kept the judged image (no model call))"
                assertThat(f[f.length - 1]).as(l).matches("IDENTICAL( \\(kept the judged image.*\\))?");
                assertThat(f[4]).as("made by the shipped model, not a test double: " + l).doesNotStartWith("test-");
            });

            // the CLI's real write path: redrive draw with the shipped draw.pt itself (--force, since the same model
            // already made the original); the revision is a new event and re-runs bit-identical
            String[] cluster = {"--bootstrap-servers", KafkaFixture.bootstrapServers(), "--schema-registry",
                    stack.registryUrl(), "--topic-prefix", layout.prefix(), "--data-dir", dir.toString()};
            StringWriter rOut = new StringWriter();
            CommandLine redrive = IrgCli.commandLine();
            redrive.setOut(new PrintWriter(rOut, true));
            redrive.setErr(new PrintWriter(err, true));
            List<String> args = new java.util.ArrayList<>(List.of("redrive", "--step", "draw", "--from",
                    java.time.Instant.now().minusSeconds(600).toString(), "--trajectory", id, "--force", "--model",
                    MODELS.resolve("draw.pt").toString()));
            args.addAll(List.of(cluster));
            assertThat(redrive.execute(args.toArray(String[]::new))).as("redrive; out: %s; err: %s", rOut, err).isZero();
            assertThat(rOut.toString()).contains("redriven\t" + id + "\t");

            StringWriter out2 = new StringWriter();
            CommandLine replay2 = IrgCli.commandLine();
            replay2.setOut(new PrintWriter(out2, true));
            replay2.setErr(new PrintWriter(err, true));
            List<String> replayArgs = new java.util.ArrayList<>(List.of("replay", id, "--verify", "--models", MODELS.toString()));
            replayArgs.addAll(List.of(cluster));
            assertThat(replay2.execute(replayArgs.toArray(String[]::new))).as("replay; out: %s; err: %s", out2, err).isZero();
            System.out.println(out2);
            List<String> draws = out2.toString().lines().filter(l -> l.startsWith("draw\t")).toList();
            assertThat(draws).as("the original draft and its revision 1").hasSize(2);
            assertThat(draws).extracting(l -> l.split("\t")[2]).containsExactly("0", "1");
            assertThat(draws).allSatisfy(l -> assertThat(l).endsWith("IDENTICAL"));
            var collected = io.irgstream.app.client.Replay.collect(KafkaFixture.bootstrapServers(), stack.registryClient(),
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
