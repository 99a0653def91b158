package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Verdict;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Webhooks on a real broker, with a receiver in the test (com.sun.net.httpserver): a receiver that fails its first
 * tries gets the callback later, signed, with the same event id on every try, also across a restart of the service;
 * a receiver that always fails ends on the dead-letter topic with the reason; a callback URL outside the allow-list or
 * not http(s) is a 400 and submits nothing.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebhookIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String SECRET = "webhook-test-secret";

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private static TopologyService service;
    private static Map<String, Object> settings;
    private static Topics topics;
    private static Path dir;
    private static HttpServer receiver;
    private static String receiverUrl;

    /** One request the receiver got. */
    record Call(String path, Map<String, String> headers, byte[] body, int answered) {
        String header(String name) {
            return headers.get(name.toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** Requests by receiver path. */
    private static final Map<String, List<Call>> calls = new ConcurrentHashMap<>();
    /** Path -> how many more requests get 500 before a 200; -1: always 503. */
    private static final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();
    /** Path -> milliseconds the receiver waits before it answers. */
    private static final Map<String, Integer> delays = new ConcurrentHashMap<>();
    /** Path -> how many more requests wait their delay (absent: every request). */
    private static final Map<String, AtomicInteger> delaysLeft = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("irg-webhook-it-");
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT),
                    v.get(0)));
            AtomicInteger left = failuresLeft.computeIfAbsent(path, p -> new AtomicInteger());
            int status = left.get() < 0 ? 503 : left.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 200;
            calls.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(new Call(path, headers, body, status));
            int delay = delays.getOrDefault(path, 0);
            AtomicInteger slowLeft = delaysLeft.get(path);
            if (slowLeft != null && slowLeft.getAndDecrement() <= 0) {
                delay = 0;
            }
            if (delay > 0) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        receiver.start();
        receiverUrl = "http://127.0.0.1:" + receiver.getAddress().getPort();

        String prefix = KafkaFixture.uniqueTopicPrefix("webhook-it");
        topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            TopicSpec spec = TopicSpec.of(t.name(), 1);
            if (t.equals(topics.deadLetters())) {
                spec = spec.withConfig("max.message.bytes", "1200"); // a long prompt's record is over it
            }
            specs.add(t.compacted() ? spec.compacted() : spec);
        }
        KafkaFixture.createTopics(specs.toArray(TopicSpec[]::new));
        settings = new HashMap<>();
        settings.put(TopologyConfig.APPLICATION_ID_CONFIG, prefix + "topology");
        settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        settings.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(TopologyConfig.BLOB_STORE_PATH_CONFIG, dir.resolve("blobs").toString());
        settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        settings.put(TopologyConfig.WEBHOOK_ALLOWED_HOSTS_CONFIG, "127.0.0.1,*.hooks.example.com");
        settings.put(TopologyConfig.WEBHOOK_SECRET_CONFIG, SECRET);
        settings.put(TopologyConfig.WEBHOOK_MAX_ATTEMPTS_CONFIG, 3);
        settings.put(TopologyConfig.WEBHOOK_RETRY_BACKOFF_MS_CONFIG, 100);
        settings.put(TopologyConfig.WEBHOOK_RETRY_BACKOFF_MAX_MS_CONFIG, 300);
        settings.put(TopologyConfig.WEBHOOK_TIMEOUT_MS_CONFIG, 2_000);
        settings.put(TopologyConfig.WEBHOOK_PUBLIC_URL_CONFIG, "https://irg.example.com/");
        settings.put(TopologyConfig.STALL_CHECK_INTERVAL_MS_CONFIG, 200);
        settings.put("streams.replication.factor", 1);
        // Kafka Streams does not leave its group on close: the restarted instance waits this long for the old one
        settings.put("streams.consumer.session.timeout.ms", 6_000);
        service = new TopologyService(settings).start();
        assertThat(service.awaitRunning(WAIT)).as("streams state %s", service.state()).isTrue();
    }

    @AfterAll
    static void stop() throws IOException {
        if (service != null) {
            service.close();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void shouldCallAgainUntilTheReceiverAnswersWithOneEventIdAndAValidSignature() throws Exception {
        failuresLeft.put("/flaky", new AtomicInteger(2));
        String id = submit("/flaky?token=abc");
        assertThat(post("/api/trajectories/" + id + "/cancel", "{\"reason\": \"test\"}").statusCode()).isEqualTo(202);

        List<Call> got = awaitCalls("/flaky", 3);
        assertThat(got).extracting(Call::answered).containsExactly(500, 500, 200);
        assertThat(got).extracting(c -> c.header("X-Irg-Attempt")).containsExactly("1", "2", "3");
        String eventId = got.get(0).header("X-Irg-Event-Id");
        for (Call c : got) {
            assertThat(c.header("X-Irg-Event-Id")).isEqualTo(eventId);
            assertThat(c.header("Content-Type")).isEqualTo("application/json");
            assertThat(c.header("X-Irg-Signature")).as("signature of try %s", c.header("X-Irg-Attempt"))
                    .isEqualTo("sha256=" + hmac(SECRET, c.header("X-Irg-Timestamp") + "." + new String(c.body(),
                            StandardCharsets.UTF_8)));
            assertThat(Long.parseLong(c.header("X-Irg-Timestamp")))
                    .isBetween(Instant.now().minusSeconds(60).getEpochSecond(), Instant.now().getEpochSecond());
            JsonNode body = JSON.readTree(c.body());
            assertThat(body.path("eventId").asText()).isEqualTo(eventId);
            assertThat(body.path("trajectoryId").asText()).isEqualTo(id);
            assertThat(body.path("status").asText()).isEqualTo("CANCELLED");
            assertThat(body.path("prompt").asText()).isEqualTo("a red circle");
            assertThat(body.path("tenant").asText()).isEqualTo("default");
            assertThat(body.path("url").asText()).isEqualTo("https://irg.example.com/api/trajectories/" + id);
        }
        assertThat(got.get(0).body()).as("the same body on every try").isEqualTo(got.get(2).body());
        assertThat(got.get(0).header("X-Irg-Signature")).as("wrong secret")
                .isNotEqualTo("sha256=" + hmac("another", got.get(0).header("X-Irg-Timestamp") + "."
                        + new String(got.get(0).body(), StandardCharsets.UTF_8)));
        Thread.sleep(500);
        assertThat(calls.get("/flaky")).as("no call after the 2xx").hasSize(3);
        assertThat(deadLetters(id)).isEmpty();
    }

    @Test
    void shouldRetryATryThatTimesOut() throws Exception {
        delays.put("/slow", 3_000); // over webhook.timeout.ms (2 s), for the first request only
        delaysLeft.put("/slow", new AtomicInteger(1));
        String id = submit("/slow");
        assertThat(post("/api/trajectories/" + id + "/cancel", "{}").statusCode()).isEqualTo(202);
        List<Call> got = awaitCalls("/slow", 2);
        assertThat(got).extracting(c -> c.header("X-Irg-Attempt")).containsExactly("1", "2");
        assertThat(got.get(1).header("X-Irg-Event-Id")).isEqualTo(got.get(0).header("X-Irg-Event-Id"));
        Thread.sleep(500);
        assertThat(calls.get("/slow")).as("delivered by the second try").hasSize(2);
        assertThat(deadLetters(id)).isEmpty();
    }

    @Test
    void shouldCallBackAnExpiredTrajectory() throws Exception {
        HttpResponse<String> r = post("/api/trajectories", "{\"prompt\": \"a red circle\", \"ttlSeconds\": 1, "
                + "\"callbackUrl\": \"" + receiverUrl + "/expired\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode body = JSON.readTree(awaitCalls("/expired", 1).get(0).body());
        assertThat(body.path("status").asText()).isEqualTo("EXPIRED");
        assertThat(body.path("trajectoryId").asText()).isEqualTo(JSON.readTree(r.body()).path("id").asText());
        assertThat(body.path("finalImage").isNull()).isTrue();
    }

    @Test
    void shouldDeadLetterACallbackOutsideTheAllowListWrittenAroundTheApi() throws Exception {
        Events e = new Events("webhook-around-" + UUID.randomUUID(), 1);
        PromptSubmitted prompt = PromptSubmitted.newBuilder().setContext(io.irgstream.events.TrajectoryContext
                .newBuilder(e.context()).setCallbackUrl("http://10.0.0.1/internal").build()).build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                new StringSerializer(), new ByteArraySerializer())) {
            IrgAvroSerializer<SpecificRecord> serializer = new IrgAvroSerializer<>(
                    new HttpSchemaRegistryClient(registry.url()));
            for (SpecificRecord event : List.of(prompt, e.cancel())) {
                String topic = topics.all().stream().filter(t -> t.valueClass().orElseThrow() == event.getClass())
                        .findFirst().orElseThrow().name();
                producer.send(new ProducerRecord<>(topic, e.id, serializer.serialize(topic, event))).get();
            }
        }
        List<DeadLetter> dead = new ArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            dead.clear();
            dead.addAll(deadLetters(e.id));
            assertThat(dead).hasSize(1);
        });
        assertThat(dead.get(0).getAttempts()).isZero();
        assertThat(dead.get(0).getErrorMessage()).isEqualTo("callback not called: the callback host '10.0.0.1' is "
                + "not on the operator's allow-list (webhook.allowed.hosts)");
    }

    @Test
    void shouldSendTheFinalImageAndTimingsOfACompletedTrajectory() throws Exception {
        Events e = new Events("webhook-completed-" + UUID.randomUUID(), 1);
        PromptSubmitted prompt = PromptSubmitted.newBuilder().setContext(io.irgstream.events.TrajectoryContext
                .newBuilder(e.context()).setTenant("shop").setCallbackUrl(receiverUrl + "/completed").build()).build();
        FinalImageProduced last = e.finalImage(1, Verdict.NEEDS_CHANGES);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                new StringSerializer(), new ByteArraySerializer())) {
            IrgAvroSerializer<SpecificRecord> serializer = new IrgAvroSerializer<>(
                    new HttpSchemaRegistryClient(registry.url()));
            for (SpecificRecord event : List.of(prompt, e.thought(), e.draft(),
                    e.reflection(1, Verdict.NEEDS_CHANGES), last)) {
                String topic = topics.all().stream().filter(t -> t.valueClass().orElseThrow() == event.getClass())
                        .findFirst().orElseThrow().name();
                producer.send(new ProducerRecord<>(topic, e.id, serializer.serialize(topic, event))).get();
            }
        }
        JsonNode body = JSON.readTree(awaitCalls("/completed", 1).get(0).body());
        assertThat(body.path("status").asText()).isEqualTo("COMPLETED");
        assertThat(body.path("tenant").asText()).isEqualTo("shop");
        String sha = last.getImage().getSha256();
        assertThat(body.path("finalImage").path("sha256").asText()).isEqualTo(sha);
        assertThat(body.path("finalImage").path("url").asText()).isEqualTo("https://irg.example.com/api/images/"
                + sha);
        assertThat(body.path("timings").path("endToEndMs").isNumber()).isTrue();
        assertThat(body.path("timings").path("steps")).hasSize(4);
        assertThat(body.path("timings").path("steps").get(3).path("step").asText()).isEqualTo("refine");
    }

    @Test
    void shouldDeadLetterACallbackThatKeepsFailing() throws Exception {
        failuresLeft.put("/down", new AtomicInteger(-1));
        String id = submit("/down?secret-token=xyz");
        assertThat(post("/api/trajectories/" + id + "/cancel", "{}").statusCode()).isEqualTo(202);

        List<DeadLetter> dead = new ArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            dead.clear();
            dead.addAll(deadLetters(id));
            assertThat(dead).hasSize(1);
        });
        DeadLetter d = dead.get(0);
        assertThat(d.getStep()).isEqualTo("webhook");
        assertThat(d.getAttempts()).isEqualTo(3);
        assertThat(d.getTopic()).isEqualTo(topics.trajectories().name());
        assertThat(d.getErrorMessage()).contains("failed 3 times").contains("HTTP 503")
                .contains(receiverUrl + "/down").doesNotContain("secret-token");
        assertThat(calls.get("/down")).hasSize(3);
        assertThat(calls.get("/down")).extracting(c -> c.header("X-Irg-Event-Id")).containsOnly(
                calls.get("/down").get(0).header("X-Irg-Event-Id"));
        // the dead letter does not change the ended trajectory (and so calls nothing again)
        Thread.sleep(1_000);
        JsonNode t = JSON.readTree(get("/api/trajectories/" + id).body());
        assertThat(t.path("status").asText()).isEqualTo("CANCELLED");
        assertThat(t.path("errors")).isEmpty();
        assertThat(calls.get("/down")).hasSize(3);
    }

    @Test
    void shouldLeaveOutATrajectoryRecordOverTheDeadLetterTopicsLimit() throws Exception {
        failuresLeft.put("/down-long", new AtomicInteger(-1));
        HttpResponse<String> r = post("/api/trajectories", "{\"prompt\": \"" + "a red circle ".repeat(70)
                + "\", \"callbackUrl\": \"" + receiverUrl + "/down-long\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = JSON.readTree(r.body()).path("id").asText();
        await().atMost(WAIT).until(() -> get("/api/trajectories/" + id).statusCode() == 200);
        assertThat(post("/api/trajectories/" + id + "/cancel", "{}").statusCode()).isEqualTo(202);

        List<DeadLetter> dead = new ArrayList<>();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            dead.clear();
            dead.addAll(deadLetters(id));
            assertThat(dead).hasSize(1);
        });
        assertThat(dead.get(0).getValue()).isNull();
        assertThat(dead.get(0).getErrorMessage()).contains("failed 3 times").contains("is left out: over the limit");
    }

    @Test
    void shouldRefuseACallbackOutsideTheAllowListOrNotHttpWith400() throws Exception {
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("\"http://10.0.0.1/hook\"", "the callback host '10.0.0.1' is not on the operator's allow-list");
        bad.put("\"https://hooks.example.com/x\"", "the callback host 'hooks.example.com' is not on the operator's");
        bad.put("\"http://localhost:" + receiver.getAddress().getPort() + "/x\"", "'localhost' is not on");
        bad.put("\"ftp://127.0.0.1/x\"", "the callback URL must be http or https, got 'ftp'");
        bad.put("\"file:///etc/passwd\"", "the callback URL must be http or https");
        bad.put("\"/relative\"", "the callback URL must be http or https, got no scheme");
        bad.put("\"http://user:pw@127.0.0.1/x\"", "must not carry user info");
        bad.put("\"http://127.0.0.1/a b\"", "the callback URL is not a valid URI");
        bad.put("7", "callbackUrl must be a string");
        long before = count(topics.prompts().name());
        for (Map.Entry<String, String> b : bad.entrySet()) {
            HttpResponse<String> r = post("/api/trajectories", "{\"prompt\": \"a red circle\", \"callbackUrl\": "
                    + b.getKey() + "}");
            assertThat(r.statusCode()).as(b.getKey()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).path("error").asText()).as(b.getKey()).contains(b.getValue());
        }
        assertThat(post("/api/trajectories", "{\"prompt\": \"a red circle\", \"callbackUrl\": "
                + "\"https://a.hooks.example.com/x\", \"ttlSeconds\": 600}").statusCode())
                .as("a name under an allowed *.domain").isEqualTo(202);
        assertThat(count(topics.prompts().name())).as("only the good one submitted").isEqualTo(before + 1);
    }

    @Test
    @Order(Integer.MAX_VALUE) // restarts the service
    void shouldDeliverACallbackLeftUnfinishedByARestart() throws Exception {
        // each try times out (2 s) before the receiver answers, so the tries outlast the service's close
        failuresLeft.put("/restart", new AtomicInteger(-1));
        delays.put("/restart", 5_000);
        String id = submit("/restart");
        assertThat(post("/api/trajectories/" + id + "/cancel", "{}").statusCode()).isEqualTo(202);
        awaitCalls("/restart", 1);
        String eventId = calls.get("/restart").get(0).header("X-Irg-Event-Id");
        service.close(); // mid-retries: nothing committed for this record
        int before = calls.get("/restart").size();
        assertThat(before).isLessThan(3);
        failuresLeft.put("/restart", new AtomicInteger(0));
        delays.remove("/restart");

        service = new TopologyService(settings).start();
        assertThat(service.awaitRunning(Duration.ofSeconds(60))).as("streams state %s", service.state()).isTrue();
        List<Call> got = awaitCalls("/restart", before + 1);
        Call delivered = got.get(got.size() - 1);
        assertThat(delivered.answered()).isEqualTo(200);
        assertThat(delivered.header("X-Irg-Event-Id")).isEqualTo(eventId);
        assertThat(deadLetters(id)).isEmpty();
    }

    private static String submit(String callbackPath) throws Exception {
        HttpResponse<String> r = post("/api/trajectories", "{\"prompt\": \"a red circle\", \"callbackUrl\": \""
                + receiverUrl + callbackPath + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = JSON.readTree(r.body()).path("id").asText();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/api/trajectories/" + id).statusCode() == 200);
        return id;
    }

    private static List<Call> awaitCalls(String path, int n) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> calls.getOrDefault(path, List.of()).size() >= n);
        return new ArrayList<>(calls.get(path));
    }

    private static String hmac(String secret, String text) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<DeadLetter> deadLetters(String id) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<DeadLetter> found = new ArrayList<>();
        try (KafkaConsumer<String, DeadLetter> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new IrgAvroDeserializer<>(new HttpSchemaRegistryClient(registry.url()), DeadLetter.class))) {
            String topic = topics.deadLetters().name();
            var parts = c.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<org.apache.kafka.common.TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, DeadLetter> r : c.poll(Duration.ofMillis(200))) {
                    if (id.equals(r.key())) {
                        found.add(r.value());
                    }
                }
            }
        }
        return found;
    }

    private static long count(String topic) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new StringDeserializer())) {
            var parts = c.partitionsFor(topic).stream()
                    .map(i -> new org.apache.kafka.common.TopicPartition(topic, i.partition())).toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(service.url() + path)).timeout(WAIT);
    }
}
