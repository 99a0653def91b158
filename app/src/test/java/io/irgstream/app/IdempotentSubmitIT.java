package io.irgstream.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.model.Step;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.topology.TopologyService;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Idempotent submits through the HTTP API, with the real think workers: a key runs its trajectory once. */
class IdempotentSubmitIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldRunOneTrajectoryForRepeatedAndConcurrentSubmitsOfOneKey() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("idempotent", 2);
        Map<Step, DeterministicTestModel> models = new ConcurrentHashMap<>();
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout, stack -> stack
                .models(step -> models.computeIfAbsent(step, s -> new DeterministicTestModel(s, 0)))
                .topology(0))) {
            EmbeddedStack stack = pipeline.stack();
            String first = stack.topology().url();
            assertThat(stack.topology().awaitRunning(Duration.ofSeconds(60))).isTrue();

            // the same key twice at one instance: 202, then 200 with the same id
            HttpResponse<String> a = submit(first, "key-1", "default");
            HttpResponse<String> b = submit(first, "key-1", "default");
            assertThat(a.statusCode()).as(a.body()).isEqualTo(202);
            assertThat(b.statusCode()).as(b.body()).isEqualTo(200);
            String id = JSON.readTree(a.body()).path("id").asText();
            assertThat(JSON.readTree(b.body()).path("id").asText()).isEqualTo(id);
            // another tenant's key-1 is another trajectory
            HttpResponse<String> other = submit(first, "key-1", "acme");
            assertThat(other.statusCode()).isEqualTo(202);
            assertThat(JSON.readTree(other.body()).path("id").asText()).isNotEqualTo(id);

            // a second API instance (same application id, own state); both take a new key at the same moment
            Map<String, Object> settings = new HashMap<>();
            settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
            settings.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, stack.registryUrl());
            settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, layout.prefix());
            settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
            settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("streams-2").toString());
            settings.put(TopologyConfig.APPLICATION_ID_CONFIG,
                    layout.topics().prefix().replaceAll("[^A-Za-z0-9_-]", "-") + "topology");
            try (TopologyService second = new TopologyService(settings).start()) {
                assertThat(second.awaitRunning(Duration.ofSeconds(60))).isTrue();
                CompletableFuture<HttpResponse<String>> x = CompletableFuture.supplyAsync(() -> submitQuietly(first, "key-2"));
                CompletableFuture<HttpResponse<String>> y = CompletableFuture.supplyAsync(() -> submitQuietly(second.url(), "key-2"));
                String idX = JSON.readTree(x.get().body()).path("id").asText();
                String idY = JSON.readTree(y.get().body()).path("id").asText();
                assertThat(List.of(x.get().statusCode(), y.get().statusCode())).allMatch(c -> c == 200 || c == 202);
                assertThat(idY).isEqualTo(idX);

                await().atMost(Duration.ofSeconds(60)).until(() -> thoughtsOf(layout, stack, idX) == 1
                        && thoughtsOf(layout, stack, id) == 1);
                Thread.sleep(2_000); // a second thought would have been written by now
                assertThat(thoughtsOf(layout, stack, idX)).as("one thought for key-2").isEqualTo(1);
                assertThat(thoughtsOf(layout, stack, id)).as("one thought for key-1").isEqualTo(1);
                long prompts = PipelineHarness.readAllCommitted(layout.prefix() + "prompts", PromptSubmitted.class,
                        stack.registryClient()).stream().filter(r -> r.key().equals(idX)).count();
                long skipped = stack.workers().stream().mapToLong(w -> w.stats().repeatedPromptSkips()).sum();
                assertThat(skipped).as("every prompt record of key-2 beyond the first skipped").isEqualTo(prompts - 1);
                int thinkRequests = models.get(Step.THINK).batchSizes().stream().mapToInt(Integer::intValue).sum();
                assertThat(thinkRequests).as("think ran key-1, acme's key-1 and key-2 once each").isEqualTo(3);
            }
        }
    }

    private static long thoughtsOf(TopicLayout layout, EmbeddedStack stack, String id) {
        return PipelineHarness.readAllCommitted(layout.prefix() + "thoughts", ThoughtProduced.class,
                stack.registryClient()).stream().filter(r -> r.key().equals(id)).count();
    }

    /** Submits as a client with an idempotency key does: again on a 503 (e.g. while the instances rebalance). */
    private static HttpResponse<String> submitQuietly(String base, String key) {
        try {
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            HttpResponse<String> r = submit(base, key, "default");
            while (r.statusCode() == 503 && System.nanoTime() < until) {
                Thread.sleep(100);
                r = submit(base, key, "default");
            }
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> submit(String base, String key, String tenant) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/trajectories"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\": \"a large red circle\", \"tenant\": \"" + tenant + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
