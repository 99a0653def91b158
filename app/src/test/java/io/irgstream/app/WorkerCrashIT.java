package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.WorkerProcessMain;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.model.Step;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A draw worker in its own JVM is killed with SIGKILL while batches are in flight and then restarted: every
 * trajectory still completes with exactly one committed draft (none lost, none duplicated).
 */
class WorkerCrashIT {
    @TempDir
    Path dir;
    private Path lastLog;

    @Test
    void shouldLoseAndDuplicateNothingWhenAWorkerIsKilledMidBatch() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("crash", 2);
        int n = 24;
        // think, reflect and refine run in this JVM; draw runs in a child JVM that we kill.
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout)
                .steps(List.of(Step.THINK, Step.REFLECT, Step.REFINE))
                .models(step -> new DeterministicTestModel(step, 0)).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            Process first = startDrawWorker(stack, layout, 400);
            List<PromptSubmitted> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                events.add(client.event(new Submission("crash test prompt " + i, 7L * i, 1, null)));
            }
            List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
            ids.forEach(id -> watcher.watch(id));
            client.submitEvents(events);

            // Let some batches commit, then kill the worker while it is inside a (400 ms) batch.
            long deadline = System.currentTimeMillis() + 60_000;
            while (drafts(layout, stack).size() < 4 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            int committedBeforeKill = drafts(layout, stack).size();
            assertThat(committedBeforeKill).as("drafts committed before the kill").isBetween(4, n - 1);
            Thread.sleep(150);
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no abort
            assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();

            Process second = startDrawWorker(stack, layout, 50);
            Path secondLog = lastLog;
            try {
                Map<String, CollectedTrajectory> done = watcher.awaitAll(ids, Duration.ofSeconds(120), null);
                assertThat(done.values()).allSatisfy(t -> {
                    assertThat(t.deadLetters()).isEmpty();
                    assertThat(t.finals()).hasSize(1);
                });
            } finally {
                second.destroy(); // SIGTERM: the worker finishes its open batch, commits and closes
            }
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("worker exits within 30 s of SIGTERM").isTrue();
            assertThat(java.nio.file.Files.readString(secondLog)).contains("draw worker draw-crash stopped (");
            List<ConsumerRecord<String, DraftImageProduced>> drafts = drafts(layout, stack);
            assertThat(drafts).as("committed drafts").hasSize(n);
            assertThat(drafts.stream().map(ConsumerRecord::key).collect(Collectors.toSet())).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    private static List<ConsumerRecord<String, DraftImageProduced>> drafts(TopicLayout layout, EmbeddedStack stack) {
        return PipelineHarness.readAllCommitted(layout.prefix() + "draft-images", DraftImageProduced.class, stack.registryClient());
    }

    private Process startDrawWorker(EmbeddedStack stack, TopicLayout layout, long delayMs) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                WorkerProcessMain.class.getName(), KafkaFixture.bootstrapServers(), stack.registryUrl(), layout.prefix(),
                "draw", "draw-crash", stack.blobStorePath().toString(), Long.toString(delayMs), "4");
        pb.redirectErrorStream(true);
        lastLog = dir.resolve("draw-worker-" + System.nanoTime() + ".log");
        pb.redirectOutput(lastLog.toFile());
        return pb.start();
    }
}
