package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Deadlines through the HTTP API on a real broker: a bad deadline or time to live is a 400 with the reason and
 * submits nothing; a good one is stored, and the topology expires the trajectory when it passes with no worker.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrajectoryDeadlineApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private static TopologyService service;
    private static Topics topics;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("irg-deadline-it-");
        String prefix = KafkaFixture.uniqueTopicPrefix("deadline-it");
        topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            TopicSpec spec = TopicSpec.of(t.name(), 1);
            specs.add(t.compacted() ? spec.compacted() : spec);
        }
        KafkaFixture.createTopics(specs.toArray(TopicSpec[]::new));
        Map<String, Object> settings = new HashMap<>();
        settings.put(TopologyConfig.APPLICATION_ID_CONFIG, prefix + "topology");
        settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        settings.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(TopologyConfig.BLOB_STORE_PATH_CONFIG, dir.resolve("blobs").toString());
        settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        settings.put(TopologyConfig.STALL_CHECK_INTERVAL_MS_CONFIG, 200);
        settings.put("streams.replication.factor", 1);
        service = new TopologyService(settings).start();
        assertThat(service.awaitRunning(WAIT)).as("streams state %s", service.state()).isTrue();
    }

    @AfterAll
    static void stop() throws IOException {
        if (service != null) {
            service.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void shouldAnswer400WithTheReasonAndSubmitNothingWhenTheDeadlineIsBad() throws Exception {
        String past = Instant.now().minusSeconds(60).toString();
        String soon = Instant.now().plusSeconds(600).toString();
        String farAway = Instant.now().plus(Duration.ofDays(31)).toString();
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("{\"prompt\": \"a red circle\", \"deadline\": \"" + past + "\"}", "is not in the future");
        bad.put("{\"prompt\": \"a red circle\", \"deadline\": \"" + soon + "\", \"ttlSeconds\": 60}",
                "give a deadline or ttlSeconds, not both");
        bad.put("{\"prompt\": \"a red circle\", \"ttlSeconds\": 0}", "ttlSeconds must be between 1 and 2592000");
        bad.put("{\"prompt\": \"a red circle\", \"ttlSeconds\": 2592001}", "got 2592001");
        bad.put("{\"prompt\": \"a red circle\", \"ttlSeconds\": 1.5}", "ttlSeconds must be an integer");
        bad.put("{\"prompt\": \"a red circle\", \"deadline\": \"" + farAway + "\"}", "more than 30 days ahead");
        bad.put("{\"prompt\": \"a red circle\", \"deadline\": \"tomorrow\"}", "deadline must be an ISO-8601");
        bad.put("{\"prompt\": \"a red circle\", \"deadline\": 1767225600000}", "deadline must be an ISO-8601");
        long before = countRecords(topics.prompts().name());
        for (Map.Entry<String, String> b : bad.entrySet()) {
            HttpResponse<String> r = post("/api/trajectories", b.getKey());
            assertThat(r.statusCode()).as(b.getKey()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).path("error").asText()).as(b.getKey()).contains(b.getValue());
        }
        assertThat(countRecords(topics.prompts().name())).as("nothing submitted").isEqualTo(before);
    }

    @Test
    void shouldAnswer400AndSubmitNothingForABadIdempotencyKeyOrTenant() throws Exception {
        long before = countRecords(topics.prompts().name());
        Map<String, String[]> bad = new java.util.LinkedHashMap<>();
        bad.put("the idempotency key has 256 characters; the limit is 255",
                new String[] {"k".repeat(256), "{\"prompt\": \"a red circle\"}"});
        bad.put("the idempotency key contains a control character",
                new String[] {"a\tb", "{\"prompt\": \"a red circle\"}"});
        bad.put("the tenant has 256 characters", new String[] {"k", "{\"prompt\": \"a red circle\", \"tenant\": \""
                + "t".repeat(256) + "\"}"});
        bad.put("the tenant contains a control character",
                new String[] {"k", "{\"prompt\": \"a red circle\", \"tenant\": \"a\\u0001b\"}"});
        bad.put("tenant must be a string", new String[] {"k", "{\"prompt\": \"a red circle\", \"tenant\": 7}"});
        for (Map.Entry<String, String[]> b : bad.entrySet()) {
            HttpResponse<String> r = HTTP.send(request("/api/trajectories").header("Content-Type", "application/json")
                    .header("Idempotency-Key", b.getValue()[0])
                    .POST(HttpRequest.BodyPublishers.ofString(b.getValue()[1])).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(b.getKey()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).path("error").asText()).contains(b.getKey());
        }
        assertThat(countRecords(topics.prompts().name())).as("nothing submitted").isEqualTo(before);
    }

    @Test
    void shouldStoreTheDeadlineAndExpireATrajectoryNoWorkerTakesInTime() throws Exception {
        HttpResponse<String> r = post("/api/trajectories", "{\"prompt\": \"a red circle\", \"ttlSeconds\": 2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode answer = JSON.readTree(r.body());
        String id = answer.path("id").asText();
        Instant deadline = Instant.parse(answer.path("deadline").asText());
        assertThat(deadline).isBetween(Instant.now().plusSeconds(0), Instant.now().plusSeconds(3));

        JsonNode t = awaitStatus(id, "EXPIRED");
        assertThat(t.path("deadline").asText()).isEqualTo(deadline.toString());
        assertThat(t.path("expiredStep").isNull()).isTrue();
        assertThat(t.path("completedAt").isTextual()).isTrue();

        HttpResponse<String> cancel = post("/api/trajectories/" + id + "/cancel", "{}");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(409);
        assertThat(cancel.body()).contains("has expired");
    }

    private static long countRecords(String topic) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "count-" + UUID.randomUUID());
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            Map<TopicPartition, Long> begin = c.beginningOffsets(parts);
            return parts.stream().mapToLong(tp -> end.get(tp) - begin.get(tp)).sum();
        }
    }

    private static JsonNode awaitStatus(String id, String status) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            HttpResponse<String> r = HTTP.send(request("/api/trajectories/" + id).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            last[0] = JSON.readTree(r.body());
            assertThat(last[0].path("status").asText()).isEqualTo(status);
        });
        return last[0];
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(WAIT);
    }
}
