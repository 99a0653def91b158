package io.irgstream.app;

import io.irgstream.app.cli.IrgCli;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
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
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).imageInlineMaxBytes(0)
                .models(step -> new DeterministicTestModel(step, 0)).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            PromptSubmitted e = client.event(new Submission("a photo of a replayed square", 4L, 3, null));
            String id = e.getContext().getTrajectoryId();
            watcher.watch(id);
            client.submitEvents(List.of(e));
            watcher.awaitAll(List.of(id), Duration.ofSeconds(60), null);

            CollectedTrajectory t = Replay.collect(KafkaFixture.bootstrapServers(), stack.registryClient(), layout.prefix(),
                    id, Instant.EPOCH);
            assertThat(t.events()).hasSameSizeAs(watcher.snapshot(id).events());
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
            CommandLine audit = IrgCli.commandLine();
            audit.setOut(new PrintWriter(new StringWriter(), true));
            assertThat(audit.execute("audit", id, "--html", html.toString(), "--bootstrap-servers", KafkaFixture.bootstrapServers(),
                    "--schema-registry", stack.registryUrl(), "--topic-prefix", layout.prefix(), "--data-dir", dir.toString())).isZero();
            String page = Files.readString(html);
            assertThat(page).contains("a photo of a replayed square", "data:image/png;base64,", "verified", "test-draw")
                    .doesNotContain("src=\"http", "TAMPERED");

            // An edited blob is reported as tampered.
            Path draftBlob = Path.of(URI.create(t.draft().getImage().getUri()));
            Files.write(draftBlob, new byte[]{1, 2, 3});
            List<Replay.StepCheck> after = Replay.verify(t, stack.imageStore(), null);
            assertThat(after.get(1).step()).isEqualTo("draw");
            assertThat(after.get(1).imageCheck()).startsWith("TAMPERED").contains(t.draft().getImage().getSha256());

            StringWriter out = new StringWriter();
            CommandLine cl = IrgCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(new StringWriter(), true));
            int code = cl.execute("replay", id, "--bootstrap-servers", KafkaFixture.bootstrapServers(), "--schema-registry",
                    stack.registryUrl(), "--topic-prefix", layout.prefix(), "--data-dir", dir.toString());
            assertThat(code).as("a tampered trajectory exits non-zero").isEqualTo(1);
            assertThat(out.toString()).contains("a photo of a replayed square", "TAMPERED", "NOT_CHECKED");
        }
    }
}
