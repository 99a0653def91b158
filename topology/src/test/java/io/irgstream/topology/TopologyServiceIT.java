package io.irgstream.topology;

import static io.irgstream.events.Verdict.NEEDS_CHANGES;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.embedded.TopicSpec;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * The topology service on a real broker (KafkaFixture) and an embedded schema registry: the test plays the
 * workers, producing step events as they would, and checks the HTTP API end to end.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopologyServiceIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int SSE_SLOTS = 4;

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private static TopologyService service;
    private static Topics topics;
    private static KafkaProducer<String, byte[]> producer;
    private static SchemaRegistryClient registryClient;
    private static ImageStore blobImages;
    private static Path dir;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws IOException {
        dir = Files.createTempDirectory("irg-topology-it-");
        registryClient = registry.client();
        String prefix = KafkaFixture.uniqueTopicPrefix("topology-it");
        topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            TopicSpec spec = TopicSpec.of(t.name(), 2);
            specs.add(t.compacted() ? spec.compacted() : spec);
        }
        KafkaFixture.createTopics(specs.toArray(TopicSpec[]::new));
        blobImages = new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 0);
        Map<String, Object> settings = new HashMap<>();
        settings.put(TopologyConfig.APPLICATION_ID_CONFIG, prefix + "topology");
        settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        settings.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(TopologyConfig.BLOB_STORE_PATH_CONFIG, dir.resolve("blobs").toString());
        settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        settings.put(TopologyConfig.HTTP_SSE_MAX_STREAMS_CONFIG, SSE_SLOTS);
        settings.put(TopologyConfig.STALL_TIMEOUT_THINK_MS_CONFIG, 2_000);
        settings.put(TopologyConfig.STALL_CHECK_INTERVAL_MS_CONFIG, 200);
        settings.put("streams.replication.factor", 1);
        service = new TopologyService(settings).start();
        assertThat(service.awaitRunning(WAIT)).as("streams state %s", service.state()).isTrue();
        producer = new KafkaProducer<>(KafkaFixture.producerProps(), new StringSerializer(),
                new ByteArraySerializer());
    }

    @AfterAll
    static void stop() throws IOException {
        if (producer != null) {
            producer.close();
        }
        if (service != null) {
            service.close();
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void shouldFollowASubmittedPromptThroughEveryStepWhenWorkersProduceItsEvents() throws Exception {
        HttpResponse<String> submitted = post("/api/trajectories", "{\"prompt\": \"a large red circle\", \"rounds\": 2}");
        assertThat(submitted.statusCode()).isEqualTo(202);
        String id = JSON.readTree(submitted.body()).path("id").asText();
        assertThat(submitted.headers().firstValue("Location")).contains("/api/trajectories/" + id);
        CompletableFuture<List<JsonNode>> events = sse("/api/trajectories/" + id + "/events");
        CompletableFuture<JsonNode> firehose = firstEvent("/api/events",
                n -> n.path("id").asText().equals(id) && n.path("status").asText().equals("COMPLETED"));
        awaitStatus(id, "SUBMITTED", "STALLED");

        Events e = new Events(id, 2, blobImages);
        work(id, e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES), e.finalImage(1, NEEDS_CHANGES),
                e.reflection(2, SATISFIED), e.finalImage(2, SATISFIED));

        JsonNode t = awaitStatus(id, "COMPLETED");
        assertThat(t.path("prompt").asText()).isEqualTo("a large red circle");
        assertThat(t.path("source").asText()).isEqualTo("http");
        assertThat(t.path("rounds").asInt()).isEqualTo(2);
        assertThat(t.path("thought").asText()).isEqualTo(Events.THOUGHT);
        assertThat(t.path("reflectionRounds")).hasSize(2);
        assertThat(t.path("reflectionRounds").get(1).path("verdict").asText()).isEqualTo("SATISFIED");
        assertThat(t.path("steps")).hasSize(6);
        assertThat(t.path("draft").has("inline")).isFalse();
        List<String> urls = List.of(t.path("draft").path("url").asText(),
                t.path("reflectionRounds").get(0).path("finalImage").path("url").asText(),
                t.path("finalImage").path("url").asText());
        for (String url : urls) {
            HttpResponse<byte[]> image = HTTP.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(image.statusCode()).as(url).isEqualTo(200);
            assertThat(image.headers().firstValue("Content-Type")).contains("image/png");
            assertThat(image.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
            assertThat(ImageStore.sha256(image.body())).isEqualTo(url.substring(url.lastIndexOf('/') + 1));
        }

        assertThat(firehose.get(WAIT.toSeconds(), TimeUnit.SECONDS).path("finalImage").path("url").asText())
                .isEqualTo(t.path("finalImage").path("url").asText());
        List<JsonNode> messages = events.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        List<String> statuses = messages.stream().map(m -> m.path("status").asText())
                .filter(s -> !s.equals("STALLED")).toList();
        assertThat(statuses).first().isIn("SUBMITTED", "THOUGHT", "DRAFTED", "REFLECTED", "COMPLETED");
        assertThat(statuses).last().isEqualTo("COMPLETED");
        assertThat(messages).extracting(m -> m.path("revision").asLong()).isSorted();
        for (int i = 1; i < messages.size(); i++) { // one message per change of status, pending step or round
            assertThat(progress(messages.get(i))).as("message %d", i).isNotEqualTo(progress(messages.get(i - 1)));
        }

        JsonNode completed = getJson("/api/trajectories?status=COMPLETED&limit=1000");
        assertThat(completed.path("trajectories")).extracting(n -> n.path("id").asText()).contains(id);
        assertThat(completed.path("trajectories")).allSatisfy(n -> assertThat(n.path("status").asText())
                .isEqualTo("COMPLETED"));
    }

    @Test
    void shouldAnswer400WithAClearMessageWhenTheSubmissionIsInvalid() throws Exception {
        assertError(post("/api/trajectories", "{\"prompt\": \"   \"}"), 400, "the prompt is empty");
        assertError(post("/api/trajectories", "{\"prompt\": \"" + "x".repeat(1001) + "\"}"), 400,
                "the prompt has 1001 characters; the limit is 1000");
        assertError(post("/api/trajectories", "{\"prompt\": \"a circle\", \"rounds\": 9}"), 400,
                "rounds must be between 1 and 5, got 9");
        assertError(post("/api/trajectories", "{\"prompt\": \"a circle\", \"rounds\": \"two\"}"), 400,
                "rounds must be an integer between 1 and 5, got \"two\"");
        assertError(post("/api/trajectories", "{\"promt\": \"a circle\"}"), 400,
                "unknown field 'promt': expected prompt, seed, rounds");
        assertError(post("/api/trajectories", "{\"prompt\": "), 400, "the request body is not valid JSON");
        assertError(post("/api/trajectories", ""), 400, "the request body is empty: send a JSON object");
        assertError(post("/api/trajectories", "{\"prompt\": \"" + "x".repeat(70_000) + "\"}"), 413,
                "the request body is larger than 64 KiB");
        assertError(post("/api/trajectories", "{\"prompt\": \"\\u0000\\u0007 \\u001b\"}"), 400,
                "the prompt is empty: it has only blanks or control characters");
        assertError(post("/api/trajectories", "{\"prompt\": \"a circle \\ud800\"}"), 400,
                "'prompt' has a lone UTF-16 surrogate (an unpaired \\ud800 escape) at character 9");
        assertError(post("/api/trajectories", "{\"prompt\": \"a circle\"} trailing"), 400,
                "the request body is not valid JSON: Unrecognized token 'trailing'");
        assertError(post("/api/trajectories", "{\"prompt\": \"a\"}{\"prompt\": \"b\"}"), 400,
                "the request body has more after the JSON object (line 1, column 16): send exactly one JSON object");
        assertError(post("/api/trajectories", "{\"prompt\": \"a\", \"prompt\": \"b\"}"), 400,
                "the request body is not valid JSON: Duplicate field 'prompt'");
        HttpResponse<String> latin1 = HTTP.send(request("/api/trajectories").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'{', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':',
                        '"', 'c', (byte) 0xe9, 'u', 'r', '"', '}'})).build(), HttpResponse.BodyHandlers.ofString());
        assertError(latin1, 400, "the request body is not valid UTF-8: send the JSON encoded as UTF-8");
        HttpResponse<String> broken = post("/api/trajectories", "{\"prompt\": ");
        assertThat(broken.body()).doesNotContain("Source").doesNotContain("jackson").doesNotContain("REDACTED")
                .doesNotContain("StreamReadFeature");
        assertError(get("/api/trajectories?status=DONE"), 400, "unknown status 'DONE'");
        assertError(get("/api/trajectories?limit=0"), 400, "limit must be an integer between 1 and 1000, got 0");
    }

    @Test
    void shouldCancelARunningTrajectoryButNotACompletedOne() throws Exception {
        String id = JSON.readTree(post("/api/trajectories", "{\"prompt\": \"a blue square\", \"seed\": 7}").body())
                .path("id").asText();
        awaitStatus(id, "SUBMITTED", "STALLED");

        HttpResponse<String> cancelled = post("/api/trajectories/" + id + "/cancel", "{\"reason\": \"test\"}");

        assertThat(cancelled.statusCode()).isEqualTo(202);
        JsonNode t = awaitStatus(id, "CANCELLED");
        assertThat(t.path("cancelReason").asText()).isEqualTo("test");
        assertThat(t.path("cancelRequestedBy").asText()).isEqualTo("http");
        assertThat(t.path("seed").asLong()).isEqualTo(7);
        assertThat(post("/api/trajectories/" + id + "/cancel", "").statusCode()).isEqualTo(202);

        Events done = new Events("it-done-" + System.nanoTime(), 1);
        work(done.id, done.prompt(), done.thought(), done.draft(), done.reflection(1, SATISFIED),
                done.finalImage(1, SATISFIED));
        awaitStatus(done.id, "COMPLETED");
        assertError(post("/api/trajectories/" + done.id + "/cancel", ""), 409,
                "trajectory " + done.id + " has already completed; nothing to cancel");
        assertError(post("/api/trajectories/nope/cancel", ""), 404, "unknown trajectory nope");
        assertError(post("/api/trajectories/" + done.id + "/cancel", "{\"reason\": \"x\", \"force\": true}"), 400,
                "unknown field 'force': expected reason");
        assertError(post("/api/trajectories/" + done.id + "/cancel", "{\"reason\": \"" + "r".repeat(1001) + "\"}"), 400,
                "the reason has 1001 characters; the limit is 1000");
        assertError(post("/api/trajectories/" + done.id + "/cancel", "{\"reason\": 7}"), 400, "reason must be a string");
    }

    @Test
    void shouldStallWithoutProgressAndResumeWhenTheStepArrives() throws Exception {
        Events e = new Events("it-stall-" + System.nanoTime(), 1);
        work(e.id, e.prompt());

        JsonNode stalled = awaitStatus(e.id, "STALLED");
        assertThat(stalled.path("statusBeforeStall").asText()).isEqualTo("SUBMITTED");
        work(e.id, e.thought());

        JsonNode resumed = awaitStatus(e.id, "THOUGHT");
        assertThat(resumed.path("stalledAt").isNull()).isTrue();
    }

    @Test
    void shouldAnswer409AndKeepTheFailureWhenAFailedTrajectoryIsCancelled() throws Exception {
        Events e = new Events("it-failed-cancel-" + System.nanoTime(), 1);
        work(e.id, e.prompt(), e.thought(), e.deadLetter("draw", 5, Events.SUBMITTED_AT.plusSeconds(9)));
        awaitStatus(e.id, "FAILED");

        assertError(post("/api/trajectories/" + e.id + "/cancel", "{\"reason\": \"hide it\"}"), 409,
                "trajectory " + e.id + " has already failed; nothing to cancel");

        JsonNode t = getJson("/api/trajectories/" + e.id);
        assertThat(t.path("status").asText()).isEqualTo("FAILED");
        assertThat(t.path("failureReason").asText()).isEqualTo("draw: model returned NaN pixels");
        assertThat(t.path("cancelRequestedAt").isNull()).isTrue();
    }

    @Test
    void shouldFailWithTheReasonWhenADeadLetterArrivesAndStillServeItsInlineDraft() throws Exception {
        Events e = new Events("it-failed-" + System.nanoTime(), 1);
        work(e.id, e.prompt(), e.thought(), e.draft(), e.deadLetter("reflect", 3, Events.SUBMITTED_AT.plusSeconds(9)));

        JsonNode t = awaitStatus(e.id, "FAILED");
        assertThat(t.path("failureReason").asText()).isEqualTo("reflect: model returned NaN pixels");
        assertThat(t.path("errors")).hasSize(1);
        HttpResponse<byte[]> draft = HTTP.send(request(t.path("draft").path("url").asText()).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(draft.statusCode()).isEqualTo(200);
        assertThat(ImageStore.sha256(draft.body())).isEqualTo(t.path("draft").path("sha256").asText());
    }

    @Test
    void shouldServeOnlyImagesInTheBlobStoreWhenAnEventPointsElsewhere() throws Exception {
        Path secret = Files.writeString(dir.resolve("secret-" + System.nanoTime() + ".html"),
                "<script>alert('irg')</script>");
        byte[] secretBytes = Files.readAllBytes(secret);
        String secretSha = ImageStore.sha256(secretBytes);
        byte[] other = "bytes that hash to something else".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        URI wrongHash = new FileSystemBlobStore(dir.resolve("blobs")).put(ImageStore.sha256(other), "image/png", other);
        String wrongSha = "f".repeat(63) + "0";
        byte[] html = ("<html>" + System.nanoTime() + "</html>").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String htmlSha = ImageStore.sha256(html);
        URI htmlUri = new FileSystemBlobStore(dir.resolve("blobs")).put(htmlSha, "text/html", html);

        Events e = new Events("it-images-" + System.nanoTime(), 1, blobImages);
        work(e.id, e.prompt(), e.thought(),
                DraftImageProduced.newBuilder(e.draft()).setImage(blobRef(secretSha, "image/png", secret.toUri())).build(),
                ReflectionProduced.newBuilder(e.reflection(1, SATISFIED))
                        .setImage(blobRef(wrongSha, "image/png", wrongHash)).build(),
                FinalImageProduced.newBuilder(e.finalImage(1, SATISFIED))
                        .setSourceImage(blobRef(wrongSha, "image/png", wrongHash))
                        .setImage(blobRef(htmlSha, "text/html", htmlUri)).build());
        awaitStatus(e.id, "COMPLETED");

        for (String sha : List.of(secretSha, wrongSha, htmlSha)) {
            HttpResponse<String> r = get("/api/images/" + sha);
            assertThat(r.statusCode()).as(sha).isEqualTo(502);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("application/json"));
            assertThat(r.body()).doesNotContain(dir.toString()).doesNotContain("file:").doesNotContain(secretSha)
                    .doesNotContain(wrongSha).doesNotContain(ImageStore.sha256(other)).doesNotContain(htmlSha)
                    .doesNotContain("<script>").doesNotContain("<html>");
        }
        String outside = get("/api/images/" + secretSha).body();
        Files.delete(secret);
        assertThat(get("/api/images/" + secretSha).body()).as("a missing file answers as an existing one")
                .isEqualTo(outside);
        String mismatched = get("/api/images/" + wrongSha).body();
        Files.delete(Path.of(wrongHash));
        assertThat(get("/api/images/" + wrongSha).body()).isEqualTo(mismatched);
    }

    private static ImageRef blobRef(String sha, String mediaType, URI uri) {
        return ImageRef.newBuilder().setSha256(sha).setMediaType(mediaType).setWidth(8).setHeight(8).setSizeBytes(10)
                .setInline(null).setUri(uri.toString()).build();
    }

    @Test
    void shouldRefuseCrossSiteAndRebindingRequestsWhenTheyComeFromAnotherSite() throws Exception {
        HttpResponse<String> plain = HTTP.send(request("/api/trajectories").header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a circle\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(plain, 415, "send the request with Content-Type: application/json");
        HttpResponse<String> bare = HTTP.send(request("/api/trajectories/x/cancel")
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertError(bare, 415, "send the request with Content-Type: application/json");

        HttpResponse<String> crossSite = HTTP.send(request("/api/trajectories").header("Content-Type",
                "application/json").header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a circle\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(crossSite, 403, "cross-origin request refused");

        HttpResponse<String> preflight = HTTP.send(request("/api/trajectories").header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertError(preflight, 403, "cross-origin requests are off");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        String rebound = raw("GET /api/trajectories HTTP/1.1\r\nHost: attacker.example:" + port()
                + "\r\nConnection: close\r\n\r\n");
        assertThat(rebound).startsWith("HTTP/1.1 403").contains("http.allowed.hosts");
        assertThat(raw("GET /healthz HTTP/1.1\r\nHost: 10.1.2.3:" + port() + "\r\nConnection: close\r\n\r\n"))
                .startsWith("HTTP/1.1 200");
        assertThat(raw("GET /api/trajectories?limit=1 HTTP/1.1\r\nHost: localhost:" + port()
                + "\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 200");
    }

    @Test
    void shouldAnswerEveryErrorAsJsonWhenTheRequestIsMalformedOrTheMethodWrong() throws Exception {
        HttpResponse<String> delete = HTTP.send(request("/api/trajectories/x").DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(delete, 405, "method DELETE is not allowed on /api/trajectories/x");
        assertError(get("/api/nothing-here"), 404, "no such route: GET /api/nothing-here");
        assertError(get("/api/trajectories/no-such-id"), 404, "unknown trajectory no-such-id");

        String host = "\r\nHost: localhost:" + port() + "\r\nConnection: close\r\n";
        String longUri = raw("GET /api/trajectories?x=" + "a".repeat(20_000) + " HTTP/1.1" + host + "\r\n");
        assertThat(longUri).startsWith("HTTP/1.1 414").contains("application/json")
                .contains("{\"error\":\"the request URI is too long\"}").doesNotContain("<html");
        String bigHeader = raw("GET /api/trajectories HTTP/1.1" + host + "X-Big: " + "b".repeat(20_000) + "\r\n\r\n");
        assertThat(bigHeader).startsWith("HTTP/1.1 431").contains("{\"error\":\"the request headers are too large\"}")
                .doesNotContain("<html");
        String badPath = raw("GET /api/%zz HTTP/1.1" + host + "\r\n");
        assertThat(badPath).startsWith("HTTP/1.1 400").contains("{\"error\":").doesNotContain("<html");
    }

    @Test
    void shouldKeepThePageFeedAnsweringWhenClientsWaitOnUnknownIdsOrWentAway() throws Exception {
        List<java.net.Socket> waiting = new ArrayList<>();
        try {
            for (int i = 0; i < SSE_SLOTS; i++) {
                waiting.add(openStream("/api/trajectories/not-yet-" + System.nanoTime() + "/events"));
            }
            Thread.sleep(500);
            java.net.Socket feed = openStream("/api/events");
            assertThat(statusLine(feed)).as("the page's feed while %d clients wait", SSE_SLOTS).contains(" 200 ");
            feed.close();

            List<java.net.Socket> gone = new ArrayList<>();
            for (int i = 0; i < SSE_SLOTS; i++) {
                gone.add(awaitFeed());
            }
            for (java.net.Socket s : gone) {
                s.close();
            }
            // their slots are found free at the next heartbeat, within seconds
            List<java.net.Socket> again = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < SSE_SLOTS; i++) {
                again.add(awaitFeed());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
            for (java.net.Socket s : again) {
                s.close();
            }
        } finally {
            for (java.net.Socket s : waiting) {
                s.close();
            }
        }
        Thread.sleep(11_000); // the waits end after http.sse.wait.ms and free their slots for the other tests
    }

    private static java.net.Socket openStream(String path) throws IOException {
        java.net.Socket socket = new java.net.Socket("127.0.0.1", port());
        socket.setSoTimeout((int) WAIT.toMillis());
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost:" + port() + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    private static String statusLine(java.net.Socket socket) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = socket.getInputStream().read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    /** A connection to /api/events once it is answered 200 (retrying while the slots are taken), within 6 s. */
    private static java.net.Socket awaitFeed() throws Exception {
        java.net.Socket[] open = new java.net.Socket[1];
        await().atMost(Duration.ofSeconds(6)).pollInterval(Duration.ofMillis(200)).until(() -> {
            java.net.Socket s = openStream("/api/events");
            if (statusLine(s).contains(" 200 ")) {
                open[0] = s;
                return true;
            }
            s.close();
            return false;
        });
        return open[0];
    }

    private static int port() {
        return URI.create(service.url()).getPort();
    }

    /** Sends {@code request} as written (headers the JDK client will not set, such as Host) and reads the answer. */
    private static String raw(String request) throws IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void shouldAnswer404ForUnknownTrajectoriesAndImages() throws Exception {
        // an event stream for an unknown id waits http.sse.wait.ms (10 s) for it, then answers 404 before it opens
        CompletableFuture<HttpResponse<String>> events = HTTP.sendAsync(request("/api/trajectories/no-such-id/events")
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertError(get("/api/trajectories/no-such-id"), 404, "unknown trajectory no-such-id");
        assertError(get("/api/images/" + "0".repeat(64)), 404, "unknown image: no trajectory references it");
        assertError(get("/api/images/not-a-hash"), 400, "'not-a-hash' is not a lower-case hex sha256");
        assertError(events.get(WAIT.toSeconds(), TimeUnit.SECONDS), 404, "unknown trajectory no-such-id");
    }

    private static String progress(JsonNode t) {
        return t.path("status").asText() + "/" + t.path("pendingStep").asText() + "/" + t.path("currentRound").asInt();
    }

    @Test
    void shouldReportHealthReadinessAndServeThePage() throws Exception {
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(ready.body()).path("streams").asText()).isEqualTo("RUNNING");
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("text/html"));
        assertThat(page.body()).contains("fetch(\"/api/events\"").contains("image-rendering: pixelated");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(v -> assertThat(v)
                .contains("script-src 'sha256-").contains("frame-ancestors 'none'").doesNotContain("unsafe-eval"));
        assertThat(page.headers().firstValue("X-Frame-Options")).contains("DENY");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    }

    private static void work(String id, SpecificRecord... events) throws Exception {
        for (SpecificRecord event : events) {
            String topic = topics.all().stream().filter(t -> t.valueClass().orElseThrow() == event.getClass())
                    .findFirst().orElseThrow().name();
            IrgAvroSerializer<SpecificRecord> serializer = new IrgAvroSerializer<>(registryClient);
            producer.send(new ProducerRecord<>(topic, id, serializer.serialize(topic, event))).get();
        }
    }

    private static JsonNode awaitStatus(String id, String... statuses) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            HttpResponse<String> r = get("/api/trajectories/" + id);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            last[0] = JSON.readTree(r.body());
            assertThat(last[0].path("status").asText()).isIn((Object[]) statuses);
        });
        return last[0];
    }

    private static CompletableFuture<List<JsonNode>> sse(String path) {
        return HTTP.sendAsync(request(path).header("Accept", "text/event-stream").header("Accept-Encoding", "gzip")
                        .GET().build(),
                HttpResponse.BodyHandlers.ofLines()).thenApply(r -> {
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.headers().firstValue("Content-Encoding")).as("events must not be buffered").isEmpty();
                    return r.body().filter(l -> l.startsWith("data: ")).map(l -> {
                        try {
                            return JSON.readTree(l.substring(6));
                        } catch (IOException ex) {
                            throw new IllegalStateException(ex);
                        }
                    }).toList();
                });
    }

    /** Opens the stream now (headers received), then reads it in the background until a message matches. */
    private static CompletableFuture<JsonNode> firstEvent(String path, java.util.function.Predicate<JsonNode> match)
            throws IOException, InterruptedException {
        HttpResponse<java.util.stream.Stream<String>> r = HTTP.send(request(path).GET().build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        return CompletableFuture.supplyAsync(() -> {
            try (java.util.stream.Stream<String> lines = r.body()) {
                return lines.filter(l -> l.startsWith("data: ")).map(l -> {
                    try {
                        return JSON.readTree(l.substring(6));
                    } catch (IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                }).filter(match).findFirst().orElseThrow();
            }
        });
    }

    private static void assertError(HttpResponse<String> r, int status, String messageStart) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/json"));
        assertThat(JSON.readTree(r.body()).path("error").asText()).startsWith(messageStart);
    }

    private static JsonNode getJson(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
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
