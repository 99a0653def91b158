package io.irgstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.model.Step;
import io.irgstream.schemas.client.Submission;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A deadline that passes mid-way, through the real workers and topology: the trajectory ends EXPIRED. */
class DeadlineIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldExpireAndRunNoLaterStepWhenTheDeadlinePassesWhileASlowStepRuns() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("deadline", 1);
        Map<Step, DeterministicTestModel> models = new ConcurrentHashMap<>();
        // draw takes 7 s per batch: it starts before the 5 s deadline and finishes after it
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout, stack -> stack
                .models(step -> models.computeIfAbsent(step,
                        s -> new DeterministicTestModel(s, s == Step.DRAW ? 7_000 : 0)))
                .topology(0)
                .topologySetting(TopologyConfig.STALL_CHECK_INTERVAL_MS_CONFIG, 200))) {
            EmbeddedStack stack = pipeline.stack();
            PromptSubmitted prompt = pipeline.client().event(new Submission("a large red circle", 7L, 1, null,
                    Instant.now().plusSeconds(5)));
            String id = prompt.getContext().getTrajectoryId();
            pipeline.watcher().watch(id);
            pipeline.client().submitEvents(List.of(prompt));

            // the topology expires it at the deadline, while draw runs; reflect then skips the late draft
            JsonNode t = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> trajectory(stack.topology().url(), id),
                            n -> n != null && n.path("status").asText().equals("EXPIRED")
                                    && n.path("draft").isObject() && n.path("expiredStep").isTextual());

            assertThat(t.path("expiredStep").asText()).as("reflect reported the late draft").isEqualTo("reflect");
            assertThat(t.path("pendingStep").isNull()).isTrue();
            assertThat(t.path("deadline").asText()).isEqualTo(prompt.getContext().getDeadline().toString());
            var registry = stack.registryClient();
            String prefix = layout.prefix();
            assertThat(PipelineHarness.readAllCommitted(prefix + "thoughts", ThoughtProduced.class, registry)).hasSize(1);
            assertThat(PipelineHarness.readAllCommitted(prefix + "draft-images", DraftImageProduced.class, registry))
                    .hasSize(1);
            assertThat(PipelineHarness.readAllCommitted(prefix + "reflections", ReflectionProduced.class, registry))
                    .as("no step after the deadline produced anything").isEmpty();
            assertThat(PipelineHarness.readAllCommitted(prefix + "final-images", FinalImageProduced.class, registry))
                    .isEmpty();
            assertThat(models.get(Step.REFLECT).calls()).as("reflect model never called").isZero();
            assertThat(models.get(Step.REFINE).calls()).isZero();
            assertThat(stack.workers().stream().mapToLong(w -> w.stats().expiredSkips()).sum()).isEqualTo(1);
            // what ./irg generate waits for: the client-side watcher sees the report and calls the trajectory done
            var collected = pipeline.watcher().awaitAll(List.of(id), Duration.ofSeconds(20), null).get(id);
            assertThat(collected.expiry().getStep()).isEqualTo("reflect");
            assertThat(collected.finals()).isEmpty();
        }
    }

    private static JsonNode trajectory(String baseUrl, String id) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(baseUrl + "/api/trajectories/" + id)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    }
}
