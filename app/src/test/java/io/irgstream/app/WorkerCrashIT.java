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
import io.irgstream.model.StepModel;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A draw worker in its own JVM is killed with SIGKILL while a batch is provably running (its model has said so and
 * blocks), then restarted: every trajectory still completes with exactly one committed draft (none lost, none
 * duplicated). The steps in this JVM run two workers each, each with its own model instance.
 */
class WorkerCrashIT {
    @TempDir
    Path dir;
    private Path lastLog;

    @Test
    void shouldLoseAndDuplicateNothingWhenAWorkerIsKilledInsideABatch() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("crash", 2);
        int n = 24;
        Map<Step, List<StepModel>> made = new java.util.concurrent.ConcurrentHashMap<>();
        // think, reflect and refine run in this JVM; draw runs in a child JVM that we kill.
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout)
                .steps(List.of(Step.THINK, Step.REFLECT, Step.REFINE)).workersPerStep(2)
                .models(step -> {
                    StepModel m = new DeterministicTestModel(step, 0);
                    made.computeIfAbsent(step, s -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(m);
                    return m;
                }).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            assertThat(made).as("each worker its own model instance").hasSize(3)
                    .allSatisfy((step, models) -> assertThat(models).hasSize(2).doesNotHaveDuplicates());
            // the draw worker's third model call says which trajectories it holds and blocks: batches 1 and 2 are
            // committed, batch 3 is running
            Process first = startDrawWorker(stack, layout, "block:3");
            Path firstLog = lastLog;
            List<PromptSubmitted> events = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                events.add(client.event(new Submission("crash test prompt " + i, 7L * i, 1, null)));
            }
            List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
            ids.forEach(id -> watcher.watch(id));
            client.submitEvents(events);

            List<String> running = awaitBatchRunning(firstLog, first);
            Set<String> committedBeforeKill = keys(drafts(layout, stack));
            first.destroyForcibly(); // SIGKILL inside the batch: no shutdown hook, no commit, no abort
            assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(running).as("the batch the worker was killed in").isNotEmpty().isSubsetOf(ids);
            assertThat(committedBeforeKill).as("drafts of batches 1 and 2").isNotEmpty().doesNotContainAnyElementsOf(running);
            assertThat(keys(drafts(layout, stack))).as("nothing of the killed batch is visible").doesNotContainAnyElementsOf(running);

            Process second = startDrawWorker(stack, layout, "50");
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
            assertThat(keys(drafts)).containsExactlyInAnyOrderElementsOf(ids);
        }
    }

    /** The trajectory ids of the batch the child worker's model reported running; fails if it never does. */
    private static List<String> awaitBatchRunning(Path log, Process worker) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline && worker.isAlive()) {
            for (String line : java.nio.file.Files.readAllLines(log)) {
                if (line.startsWith(WorkerProcessMain.BATCH_RUNNING)) {
                    return List.of(line.substring(WorkerProcessMain.BATCH_RUNNING.length()).trim().split(","));
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the draw worker never reported its third batch running:\n" + java.nio.file.Files.readString(log));
    }

    private static Set<String> keys(List<ConsumerRecord<String, DraftImageProduced>> drafts) {
        return drafts.stream().map(ConsumerRecord::key).collect(Collectors.toSet());
    }

    private static List<ConsumerRecord<String, DraftImageProduced>> drafts(TopicLayout layout, EmbeddedStack stack) {
        return PipelineHarness.readAllCommitted(layout.prefix() + "draft-images", DraftImageProduced.class, stack.registryClient());
    }

    /** Starts a draw worker JVM with {@code model} (see {@link WorkerProcessMain}), logging to {@link #lastLog}. */
    private Process startDrawWorker(EmbeddedStack stack, TopicLayout layout, String model) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                WorkerProcessMain.class.getName(), KafkaFixture.bootstrapServers(), stack.registryUrl(), layout.prefix(),
                "draw", "draw-crash", stack.blobStorePath().toString(), model, "4");
        pb.redirectErrorStream(true);
        lastLog = dir.resolve("draw-worker-" + System.nanoTime() + ".log");
        pb.redirectOutput(lastLog.toFile());
        return pb.start();
    }
}
