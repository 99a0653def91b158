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
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Per-tenant limits on a real broker, with two topology instances that split the two partitions: a tenant with
 * tenant.max.in.flight trajectories in flight (one in each instance's store) gets 429 with the limit in the body from
 * either instance, another tenant does not, an idempotent repeat is still answered, and a trajectory that ends makes
 * room; the per-tenant counters are in the meter registry behind /metrics.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TenantQuotaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private static TopologyService service;
    private static TopologyService other;
    private static Path dir;

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("irg-tenant-it-");
        String prefix = KafkaFixture.uniqueTopicPrefix("tenant-it");
        Topics topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            TopicSpec spec = TopicSpec.of(t.name(), 2);
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
        settings.put(TopologyConfig.TENANT_MAX_IN_FLIGHT_CONFIG, 2);
        settings.put("streams.replication.factor", 1);
        service = new TopologyService(settings).metrics(meters, () -> "").start();
        Map<String, Object> second = new HashMap<>(settings);
        second.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state-2").toString());
        other = new TopologyService(second).start();
        assertThat(service.awaitRunning(WAIT)).as("streams state %s", service.state()).isTrue();
        assertThat(other.awaitRunning(WAIT)).as("streams state %s", other.state()).isTrue();
        // both instances hold a partition and answer for the whole cluster
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (TopologyService s : List.of(service, other)) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.url()
                        + "/api/tenants/nobody")).timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                assertThat(service.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
                assertThat(other.state()).isEqualTo(org.apache.kafka.streams.KafkaStreams.State.RUNNING);
            }
        });
    }

    @AfterAll
    static void stop() throws IOException {
        if (other != null) {
            other.close();
        }
        if (service != null) {
            service.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void shouldAnswer429OverTheTenantsLimitUntilOneOfItsTrajectoriesEnds() throws Exception {
        // two keys whose trajectory ids fall on different partitions, so each instance's store holds one
        String key0 = keyOnPartition("quota-a", 0);
        String key1 = keyOnPartition("quota-a", 1);
        HttpResponse<String> first = submit("quota-a", key0);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        String firstId = JSON.readTree(first.body()).path("id").asText();
        assertThat(submit("quota-a", key1).statusCode()).isEqualTo(202);
        awaitInFlight("quota-a", 2);
        long here = localInFlight(service, "quota-a");
        long there = localInFlight(other, "quota-a");
        assertThat(List.of(here, there)).as("each instance counts its own partition's").containsExactly(1L, 1L);
        HttpResponse<String> viaOther = HTTP.send(HttpRequest.newBuilder(URI.create(other.url() + "/api/trajectories"))
                .timeout(WAIT).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"prompt\": \"a red circle\", \"tenant\": \"quota-a\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(viaOther.statusCode()).as("the other instance counts both: " + viaOther.body()).isEqualTo(429);

        // refused at once; the count in the answer may include, for a moment, a submit of this instance that another
        // instance's store counts already but this instance's feed has not shown yet
        JsonNode[] answer = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            HttpResponse<String> refused = submit("quota-a", null);
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(429);
            answer[0] = JSON.readTree(refused.body());
            assertThat(answer[0].path("inFlight").asLong()).isEqualTo(2);
        });
        JsonNode body = answer[0];
        assertThat(body.path("limit").asInt()).isEqualTo(2);
        assertThat(body.path("inFlight").asLong()).isEqualTo(2);
        assertThat(body.path("tenant").asText()).isEqualTo("quota-a");
        assertThat(body.path("error").asText()).contains("tenant 'quota-a' has 2 trajectories in flight")
                .contains("tenant.max.in.flight");

        HttpResponse<String> repeat = submit("quota-a", key0);
        assertThat(repeat.statusCode()).as("an idempotent repeat is answered: " + repeat.body()).isEqualTo(200);
        assertThat(JSON.readTree(repeat.body()).path("id").asText()).isEqualTo(firstId);
        HttpResponse<String> other = submit("quota-b", null);
        assertThat(other.statusCode()).as("another tenant: " + other.body()).isEqualTo(202);
        awaitInFlight("quota-b", 1);

        HttpResponse<String> cancel = HTTP.send(request("/api/trajectories/" + firstId + "/cancel")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
        awaitInFlight("quota-a", 1);
        assertThat(submit("quota-a", null).statusCode()).isEqualTo(202);
        awaitInFlight("quota-a", 2);

        assertThat(meters.get("irg.tenant.submits").tag("tenant", "quota-a").tag("outcome", "refused").counter()
                .count()).isGreaterThanOrEqualTo(1.0);
        assertThat(meters.get("irg.tenant.submits").tag("tenant", "quota-a").tag("outcome", "accepted").counter()
                .count()).isEqualTo(3.0);
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(meters.get("irg.tenant.trajectories.in.flight").tag("tenant", "quota-a").gauge().value())
                    .isEqualTo(2.0);
            assertThat(meters.get("irg.tenant.trajectories.ended").tag("tenant", "quota-a")
                    .tag("status", "CANCELLED").counter().count()).isEqualTo(1.0);
        });
    }

    @Test
    void shouldNotPassTheLimitWithABurstOfConcurrentSubmits() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(12);
        List<Integer> codes = new ArrayList<>();
        try {
            List<java.util.concurrent.Future<HttpResponse<String>>> burst = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                burst.add(pool.submit(() -> submit("burst", null)));
            }
            for (var f : burst) {
                codes.add(f.get().statusCode());
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(codes).as("submitted faster than the fold counts them").containsOnly(202, 429);
        assertThat(codes.stream().filter(c -> c == 202).count()).as("%s", codes).isBetween(1L, 2L);
        awaitInFlight("burst", codes.stream().filter(c -> c == 202).count());
    }

    @Test
    void shouldShowTheTenantOnThePage() throws Exception {
        HttpResponse<String> page = HTTP.send(request("/").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("\"tenant \" + t.tenant").contains("t.callbackUrl ? \"callback\"");
    }

    @Test
    void shouldRefuseEveryCallbackWhenNoHostIsAllowed() throws Exception {
        HttpResponse<String> r = HTTP.send(request("/api/trajectories").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a red circle\", \"tenant\": \"hooks\", "
                        + "\"callbackUrl\": \"https://hooks.example.com/x\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("callbacks are off on this service: the "
                + "operator allows no callback host (webhook.allowed.hosts is empty)");
        assertThat(JSON.readTree(HTTP.send(request("/api/tenants/hooks").GET().build(),
                HttpResponse.BodyHandlers.ofString()).body()).path("inFlight").asLong()).isZero();
    }

    @Test
    void shouldAnswer400ForABadTenantName() throws Exception {
        HttpResponse<String> r = HTTP.send(request("/api/tenants/a%01b").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).path("error").asText()).contains("control character");
    }

    /** An idempotency key whose trajectory id (tenant, key) is written to {@code partition} of two. */
    private static String keyOnPartition(String tenant, int partition) {
        for (int i = 0; ; i++) {
            String key = "key-" + i;
            byte[] id = io.irgstream.schemas.client.Submission.idFor(tenant, key, 0)
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(id)) % 2
                    == partition) {
                return key;
            }
        }
    }

    private static long localInFlight(TopologyService s, String tenant) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.url() + "/api/tenants/" + tenant
                + "?local=true")).timeout(WAIT).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body()).path("inFlight").asLong();
    }

    private static void awaitInFlight(String tenant, long n) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            HttpResponse<String> r = HTTP.send(request("/api/tenants/" + tenant).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.path("inFlight").asLong()).isEqualTo(n);
            assertThat(body.path("limit").asInt()).isEqualTo(2);
        });
    }

    private static HttpResponse<String> submit(String tenant, String key) throws IOException, InterruptedException {
        HttpRequest.Builder b = request("/api/trajectories").header("Content-Type", "application/json");
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return HTTP.send(b.POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a red circle\", \"tenant\": \""
                + tenant + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(WAIT);
    }
}
