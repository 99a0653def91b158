package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.OutputWriter;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Verdict;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.images.Png;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole pipeline on a real broker: 20 trajectories through the four step workers (test-double models), each
 * producing exactly one committed event per step, in order, with verified images.
 */
class PipelineIT {
    @TempDir
    Path dir;

    @Test
    void shouldRunTwentyTrajectoriesThroughAllFourStepsExactlyOnceInOrder() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("pipeline", 3);
        List<DeterministicTestModel> models = new ArrayList<>();
        Function<Step, io.irgstream.model.StepModel> source = step -> {
            DeterministicTestModel m = new DeterministicTestModel(step, 30);
            models.add(m);
            return m;
        };
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).models(source)
                .imageInlineMaxBytes(700) // some images inline, some in the blob store
                .workerSetting(WorkerConfig.MAX_BATCH_SIZE, 8).workerSetting(WorkerConfig.MAX_BATCH_WAIT_MS, 50L)
                .build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            List<Submission> subs = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                subs.add(new Submission("a photo of shape number " + i, 1000L + i, 1, null));
            }
            List<PromptSubmitted> events = new ArrayList<>();
            subs.forEach(s -> events.add(client.event(s)));
            List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
            ids.forEach(id -> watcher.watch(id));
            client.submitEvents(events);

            Map<String, CollectedTrajectory> done = watcher.awaitAll(ids, Duration.ofSeconds(120), null);

            ImageStore images = stack.imageStore();
            int satisfied = 0;
            for (PromptSubmitted e : events) {
                CollectedTrajectory t = done.get(e.getContext().getTrajectoryId());
                assertThat(t.deadLetters()).as("dead letters of %s", t.id()).isEmpty();
                assertThat(t.events().stream().map(x -> x.getClass().getSimpleName()).toList())
                        .as("events of %s", t.id())
                        .containsExactly("PromptSubmitted", "ThoughtProduced", "DraftImageProduced", "ReflectionProduced",
                                "FinalImageProduced");
                ThoughtProduced th = t.thought();
                DraftImageProduced dr = t.draft();
                ReflectionProduced rf = t.reflections().get(0);
                FinalImageProduced fi = t.finals().get(0);
                assertThat(th.getProvenance().getProducedAt()).isBeforeOrEqualTo(dr.getProvenance().getProducedAt());
                assertThat(dr.getProvenance().getProducedAt()).isBeforeOrEqualTo(rf.getProvenance().getProducedAt());
                assertThat(rf.getProvenance().getProducedAt()).isBeforeOrEqualTo(fi.getProvenance().getProducedAt());
                long seed = e.getContext().getSeed();
                assertThat(th.getProvenance().getStepSeed()).isEqualTo(Seeds.stepSeed(seed, Step.THINK, 0));
                assertThat(fi.getProvenance().getStepSeed()).isEqualTo(Seeds.stepSeed(seed, Step.REFINE, 1));
                assertThat(th.getThought()).startsWith("plan for: " + e.getContext().getPrompt());
                // images: hashes verified on read, and the draft is exactly what the model drew for this seed
                assertThat(Png.load(images, dr.getImage())).isEqualTo(DeterministicTestModel.image(
                        Seeds.stepSeed(seed, Step.DRAW, 0) ^ th.getThought().hashCode()));
                images.bytes(fi.getImage());
                assertThat(fi.getSourceImage().getSha256()).isEqualTo(dr.getImage().getSha256());
                if (rf.getVerdict() == Verdict.SATISFIED) {
                    satisfied++;
                    assertThat(fi.getImage().getSha256()).isEqualTo(dr.getImage().getSha256());
                    assertThat(fi.getProvenance().getBatchSize()).isZero();
                } else {
                    assertThat(fi.getImage().getSha256()).isNotEqualTo(dr.getImage().getSha256());
                }
            }
            assertThat(satisfied).as("both refine paths ran").isBetween(1, 19);

            // Exactly once on the topics themselves: 20 committed records per step topic, one per trajectory.
            for (String topic : List.of("thoughts", "draft-images", "reflections", "final-images")) {
                Class<? extends SpecificRecord> type = switch (topic) {
                    case "thoughts" -> ThoughtProduced.class;
                    case "draft-images" -> DraftImageProduced.class;
                    case "reflections" -> ReflectionProduced.class;
                    default -> FinalImageProduced.class;
                };
                List<? extends ConsumerRecord<String, ? extends SpecificRecord>> recs =
                        PipelineHarness.readAllCommitted(layout.prefix() + topic, type, stack.registryClient());
                assertThat(recs.stream().map(ConsumerRecord::key).collect(Collectors.toSet()))
                        .as(topic).containsExactlyInAnyOrderElementsOf(ids);
                assertThat(recs).as(topic).hasSize(20);
            }
            // The model ran in batches, not record by record.
            DeterministicTestModel draw = models.stream().filter(m -> m.step() == Step.DRAW).findFirst().orElseThrow();
            assertThat(draw.batchSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(20);
            assertThat(draw.batchSizes().stream().mapToInt(Integer::intValue).max().orElse(0)).isGreaterThan(1);

            // The output folder of one trajectory has everything the README promises.
            Path folder = new OutputWriter(dir.resolve("out"), images).write(done.get(ids.get(0)));
            assertThat(folder.resolve("prompt.txt")).hasContent(subs.get(0).prompt());
            assertThat(Files.readString(folder.resolve("reflection-1.txt"))).contains("Verdict:");
            assertThat(Png.decode(Files.readAllBytes(folder.resolve("draft.png")))).isEqualTo(Png.load(images, done.get(ids.get(0)).draft().getImage()));
            assertThat(folder.resolve("final.png")).exists();
            assertThat(Files.readString(folder.resolve("trajectory.json"))).contains("\"status\" : \"COMPLETED\"", "FinalImageProduced");
        }
    }
}
