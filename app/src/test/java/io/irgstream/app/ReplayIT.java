package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.client.Submission;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** Replay rebuilds a trajectory from the topics, re-runs every step identically, and catches a tampered image. */
class ReplayIT {
    @TempDir
    Path dir;

    @Test
    void shouldReproduceEveryStepAndReportATamperedImage() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("replay", 1);
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout,
                stack -> stack.imageInlineMaxBytes(0).models(step -> new DeterministicTestModel(step, 0)))) {
            EmbeddedStack stack = pipeline.stack();
            String id = pipeline.submitAndAwait(new Submission("a photo of a replayed square", 4L, 3, null),
                    Duration.ofSeconds(60)).id();

            CollectedTrajectory t = Replay.collect(KafkaFixture.bootstrapServers(), stack.registryClient(), layout.prefix(),
                    id, Instant.EPOCH);
            assertThat(t.events()).hasSameSizeAs(pipeline.watcher().snapshot(id).events());
            BiFunction<Step, String, Optional<StepModel>> models = (step, sha) -> {
                DeterministicTestModel m = new DeterministicTestModel(step, 0);
                return m.info().sha256().equals(sha) ? Optional.of(m) : Optional.empty();
            };
            List<Replay.StepCheck> checks = Replay.verify(t, stack.imageStore(), models);
            assertThat(checks).extracting(Replay.StepCheck::step).startsWith("think", "draw", "reflect", "refine");
            assertThat(checks.size()).as("think, draw and one reflect+refine per round").isEven().isBetween(4, 8);
            assertThat(checks).allSatisfy(c -> {
                assertThat(c.outcome()).as(c.step() + " " + c.round()).isEqualTo(Replay.Outcome.IDENTICAL);
                assertThat(c.imageCheck()).isIn("ok", "-");
            });
            assertThat(Replay.verify(t, stack.imageStore(), (step, sha) -> Optional.empty()))
                    .filteredOn(c -> c.provenance().getBatchSize() > 0)
                    .allSatisfy(c -> assertThat(c.outcome()).isEqualTo(Replay.Outcome.MODEL_MISSING));

            // The audit page is self-contained: every image embedded, nothing fetched from elsewhere.
            Path html = dir.resolve("audit.html");
            InProcessCli.Result audit = pipeline.runCli("audit", id, "--html", html.toString());
            assertThat(audit.exitCode()).as("audit; err: %s", audit.err()).isZero();
            String page = Files.readString(html);
            assertThat(page).contains("a photo of a replayed square", "data:image/png;base64,", "verified", "test-draw")
                    .doesNotContain("src=\"http", "TAMPERED");

            // An edited blob is reported as tampered.
            Path draftBlob = Path.of(URI.create(t.draft().getImage().getUri()));
            Files.write(draftBlob, new byte[]{1, 2, 3});
            List<Replay.StepCheck> after = Replay.verify(t, stack.imageStore(), null);
            assertThat(after.get(1).step()).isEqualTo("draw");
            assertThat(after.get(1).imageCheck()).startsWith("TAMPERED").contains(t.draft().getImage().getSha256());

            InProcessCli.Result replayed = pipeline.runCli("replay", id);
            assertThat(replayed.exitCode()).as("a tampered trajectory exits non-zero").isEqualTo(1);
            assertThat(replayed.out()).contains("a photo of a replayed square", "TAMPERED", "NOT_CHECKED");
        }
    }
}
