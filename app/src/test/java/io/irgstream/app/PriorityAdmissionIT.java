package io.irgstream.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.worker.testing.DeterministicTestModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Priorities and fair share end to end on the embedded stack (broker, the four workers with test-double models that
 * take 150 ms per batch of at most 4, the topology with a window of 2 per partition and 2 partitions): an interactive
 * trajectory submitted behind a backlog of 24 batch ones overtakes most of them; a second tenant's single trajectory
 * overtakes most of a first tenant's backlog of 24 of the same class; every trajectory completes once (nothing lost,
 * no step run twice) and the queue ends empty. Ordering only, no timing assertion: the figures are the bench's
 * ({@code ./irg bench --simulated-device --priority-backlog}).
 */
class PriorityAdmissionIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BACKLOG = 24;
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldLetInteractiveAndASecondTenantOvertakeABacklogAndDrainIt() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("prio", 2);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).topology(0)
                .topologySetting(TopologyConfig.SCHEDULER_WINDOW_CONFIG, 2)
                .topologySetting(TopologyConfig.SCHEDULER_INTERACTIVE_HEADROOM_CONFIG, 2)
                .workerSetting(WorkerConfig.MAX_BATCH_SIZE, 4)
                .models(step -> new DeterministicTestModel(step, 150)).build().start()) {
            String base = stack.topology().url();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/readyz").statusCode() == 200);

            HttpResponse<String> bad = post(base, "{\"prompt\": \"a red circle\", \"priority\": \"urgent\"}");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(bad.body()).path("error").asText())
                    .isEqualTo("unknown priority 'urgent': expected one of interactive, normal, batch");

            // 1. an interactive one behind a batch backlog
            List<String> backlog = new ArrayList<>();
            Map<String, Integer> answered = new HashMap<>();
            for (int i = 0; i < BACKLOG; i++) {
                backlog.add(submit(base, "a batch shape " + i, "batch", "bulk", answered));
            }
            assertThat(answered.get("QUEUED")).as("submits that went through the scheduler: %s", answered)
                    .isGreaterThan(BACKLOG / 2);
            String interactive = submit(base, "an interactive shape", "interactive", "alice", answered);
            awaitCompleted(base, backlog, interactive);
            Instant interactiveDone = completedAt(base, interactive);
            long overtaken = backlog.stream().filter(id -> completedAt(base, id).isAfter(interactiveDone)).count();
            assertThat(overtaken).as("batch trajectories that completed after the interactive one")
                    .isGreaterThanOrEqualTo(BACKLOG / 2);
            assertThat(trajectory(base, interactive).path("priority").asText()).isEqualTo("interactive");

            // 2. a second tenant's single trajectory behind a first tenant's backlog, same class
            List<String> tenantA = new ArrayList<>();
            for (int i = 0; i < BACKLOG; i++) {
                tenantA.add(submit(base, "a normal shape " + i, null, "tenant-a", answered));
            }
            String tenantB = submit(base, "tenant b's shape", null, "tenant-b", answered);
            awaitCompleted(base, tenantA, tenantB);
            Instant bDone = completedAt(base, tenantB);
            long overtakenA = tenantA.stream().filter(id -> completedAt(base, id).isAfter(bDone)).count();
            assertThat(overtakenA).as("tenant-a trajectories that completed after tenant-b's")
                    .isGreaterThanOrEqualTo(BACKLOG / 2);

            // 3. drained: every one completed once, nothing in flight or queued
            List<String> all = new ArrayList<>(backlog);
            all.addAll(tenantA);
            all.add(interactive);
            all.add(tenantB);
            for (String id : all) {
                JsonNode t = trajectory(base, id);
                assertThat(t.path("status").asText()).as(id).isEqualTo("COMPLETED");
                for (JsonNode step : t.path("steps")) {
                    assertThat(step.path("deliveries").asInt()).as("%s %s", id, step.path("step")).isEqualTo(1);
                }
            }
            for (String tenant : List.of("bulk", "alice", "tenant-a", "tenant-b")) {
                assertThat(JSON.readTree(get(base + "/api/tenants/" + tenant).body()).path("inFlight").asLong())
                        .as(tenant).isZero();
            }
            assertThat(stack.workers()).allSatisfy(w -> assertThat(w.stats().deadLetters()).isZero());
        }
    }

    private String submit(String base, String prompt, String priority, String tenant, Map<String, Integer> answered)
            throws Exception {
        String body = "{\"prompt\": \"" + prompt + "\", \"tenant\": \"" + tenant + "\""
                + (priority == null ? "" : ", \"priority\": \"" + priority + "\"") + "}";
        HttpResponse<String> r = post(base, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode answer = JSON.readTree(r.body());
        answered.merge(answer.path("status").asText(), 1, Integer::sum);
        assertThat(answer.path("priority").asText()).isEqualTo(priority == null ? "normal" : priority);
        return answer.path("id").asText();
    }

    private void awaitCompleted(String base, List<String> ids, String one) {
        List<String> all = new ArrayList<>(ids);
        all.add(one);
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() ->
                all.stream().allMatch(id -> "COMPLETED".equals(trajectory(base, id).path("status").asText())));
    }

    private Instant completedAt(String base, String id) {
        return Instant.parse(trajectory(base, id).path("completedAt").asText());
    }

    private JsonNode trajectory(String base, String id) {
        try {
            HttpResponse<String> r = get(base + "/api/trajectories/" + id);
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> post(String base, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/trajectories"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
