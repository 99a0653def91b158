package io.irgstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded stack with the topology: 20 prompts submitted through the HTTP API all end COMPLETED, and every image
 * of every trajectory is served by its hash, verified.
 */
class HttpApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldCompleteTwentyPromptsSubmittedOverHttpAndServeEveryImageByHash() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("http", 2);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).topology(0)
                .models(step -> new DeterministicTestModel(step, 0)).imageInlineMaxBytes(700).build().start()) {
            String base = stack.topology().url();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/readyz").statusCode() == 200);

            HttpResponse<String> bad = post(base + "/api/trajectories", "{\"prompt\": \"  \"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("prompt");

            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = post(base + "/api/trajectories",
                        "{\"prompt\": \"a photo of http shape " + i + "\", \"seed\": " + (500 + i) + ", \"rounds\": 2}");
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                ids.add(JSON.readTree(r.body()).get("id").asText());
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
                for (String id : ids) {
                    HttpResponse<String> r = get(base + "/api/trajectories/" + id);
                    if (r.statusCode() != 200 || !"COMPLETED".equals(JSON.readTree(r.body()).path("status").asText())) {
                        return false;
                    }
                }
                return true;
            });

            Set<String> hashes = new HashSet<>();
            for (String id : ids) {
                JsonNode t = JSON.readTree(get(base + "/api/trajectories/" + id).body());
                assertThat(t.path("prompt").asText()).startsWith("a photo of http shape");
                hashes.add(t.path("draft").path("sha256").asText());
                hashes.add(t.path("finalImage").path("sha256").asText());
                for (JsonNode round : t.path("reflectionRounds")) {
                    hashes.add(round.path("finalImage").path("sha256").asText());
                }
            }
            hashes.remove("");
            assertThat(hashes.size()).isGreaterThanOrEqualTo(20);
            for (String sha : hashes) {
                HttpResponse<byte[]> img = http.send(HttpRequest.newBuilder(URI.create(base + "/api/images/" + sha)).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(img.statusCode()).as("image %s", sha).isEqualTo(200);
                assertThat(ImageStore.sha256(img.body())).isEqualTo(sha);
            }
            assertThat(get(base + "/api/images/" + "0".repeat(64)).statusCode()).isEqualTo(404);

            JsonNode list = JSON.readTree(get(base + "/api/trajectories?status=COMPLETED&limit=5").body());
            assertThat(list.toString()).contains("COMPLETED");

            // ./irg get and ./irg watch against the same API
            InProcessCli.Result got = InProcessCli.run("get", ids.get(0), "--api", base);
            assertThat(got.exitCode()).isZero();
            assertThat(JSON.readTree(got.out()).path("status").asText()).isEqualTo("COMPLETED");
            InProcessCli.Result watched = InProcessCli.run("watch", ids.get(0), "--api", base);
            assertThat(watched.exitCode()).as("watch of a completed trajectory exits 0").isZero();
            assertThat(watched.out()).contains("COMPLETED", "verdict");
            assertThat(InProcessCli.run("get", "no-such-id", "--api", base).err()).contains("not found");

            String metrics = get(base + "/metrics").body();
            java.nio.file.Files.writeString(Path.of("target", "metrics-sample.txt"), metrics);
            assertThat(metrics).contains("irg_worker_records_in_total{step=\"think\",worker=\"think-0\"} 20.0",
                    "irg_worker_batch_size_count{step=\"draw\"", "irg_worker_compute_seconds_count{step=\"refine\"",
                    "irg_worker_queue_wait_seconds{step=\"reflect\",worker=\"reflect-0\",quantile=\"0.99\"}", "irg_worker_dead_letters_total",
                    "irg_process_resident_memory_bytes", "irg_native_allocated_bytes", "jvm_memory_used_bytes",
                    "kafka_consumer_fetch_manager_records_lag_max", "irg_trajectories_ended_total{status=\"COMPLETED\"} 20.0",
                    "irg_trajectory_end_to_end_seconds_count 20", "irg_trajectories_in_flight{status=\"THOUGHT\"} 0.0",
                    "irg_tenant_submits_total{outcome=\"accepted\",tenant=\"default\"} 20.0",
                    "irg_tenant_trajectories_ended_total{status=\"COMPLETED\",tenant=\"default\"} 20.0",
                    "irg_tenant_trajectories_in_flight{tenant=\"default\"} 0.0");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
