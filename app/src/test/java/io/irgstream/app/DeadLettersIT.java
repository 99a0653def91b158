package io.irgstream.app;

import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** A step that cannot process a record dead-letters it; after a fix, retry-dead-letters lets the trajectory finish. */
class DeadLettersIT {
    @TempDir
    Path dir;

    @Test
    void shouldListDeadLettersAndCompleteTheTrajectoryWhenRetriedAfterAFix() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("dl", 1);
        AtomicBoolean broken = new AtomicBoolean(true);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout)
                .models(step -> step == Step.DRAW ? new BreakableDraw(broken) : new DeterministicTestModel(step, 0))
                .workerSetting(io.irgstream.worker.WorkerConfig.RETRY_BACKOFF_MS, "100")
                .build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            PromptSubmitted bad = client.event(new Submission("a photo of a cross", 1L, 1, null));
            PromptSubmitted good = client.event(new Submission("a photo of a circle", 2L, 1, null));
            String badId = bad.getContext().getTrajectoryId();
            watcher.watch(badId);
            watcher.watch(good.getContext().getTrajectoryId());
            client.submitEvents(List.of(bad, good));
            watcher.awaitAll(List.of(badId, good.getContext().getTrajectoryId()), Duration.ofSeconds(60), null);
            assertThat(watcher.snapshot(badId).failed()).isTrue();
            assertThat(watcher.snapshot(good.getContext().getTrajectoryId()).lastFinal()).isNotNull();

            String[] cluster = {"--bootstrap-servers", KafkaFixture.bootstrapServers(), "--schema-registry", stack.registryUrl(),
                    "--topic-prefix", layout.prefix()};
            String listed = run(concat(new String[]{"dead-letters"}, cluster));
            assertThat(listed).contains("draw\t" + badId + "\t2\t").contains("draw model is broken").contains("1 dead letters since");

            broken.set(false); // the fix
            TrajectoryWatcher after = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
            after.watch(badId);
            String retried = run(concat(new String[]{"retry-dead-letters", "--step", "draw", "--id", badId}, cluster));
            assertThat(retried).contains("1 of 1 dead letters re-submitted");
            after.awaitAll(List.of(badId), Duration.ofSeconds(60), null);
            assertThat(after.snapshot(badId).lastFinal()).isNotNull();
            after.close();
        }
    }

    private static String run(String... args) {
        InProcessCli.Result r = InProcessCli.run(args);
        assertThat(r.exitCode()).as("irg %s; stderr: %s", String.join(" ", args), r.err()).isZero();
        return r.out();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A draw model that fails on crosses while broken. */
    static final class BreakableDraw implements StepModel {
        private final DeterministicTestModel inner = new DeterministicTestModel(Step.DRAW, 0);
        private final AtomicBoolean broken;

        BreakableDraw(AtomicBoolean broken) {
            this.broken = broken;
        }

        @Override
        public Step step() {
            return Step.DRAW;
        }

        @Override
        public ModelInfo info() {
            return inner.info();
        }

        @Override
        public List<StepResult> run(List<StepRequest> batch) {
            if (broken.get() && batch.stream().anyMatch(r -> r.prompt().contains("cross"))) {
                throw new IllegalStateException("draw model is broken for crosses");
            }
            return inner.run(batch);
        }

        @Override
        public void close() {
        }
    }
}
