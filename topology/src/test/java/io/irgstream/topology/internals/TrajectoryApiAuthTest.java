package io.irgstream.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.schemas.testing.TestCertificates;
import io.irgstream.topology.ApiKeys;
import io.irgstream.topology.ApiKeys.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API with API keys, without Kafka: the routes' own work needs the topology, so a request that passes
 * authentication answers 503 ("the topology is starting") or a body error (400), and one that does not answers
 * 401, 403 or 429 before any route runs.
 */
class TrajectoryApiAuthTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String SHA = "a".repeat(64);

    @TempDir
    static Path dir;
    private static Path keyFile;
    private static TrajectoryApi api;
    private static String base;
    private static String readKey;
    private static String submitKey;
    private static String adminKey;
    private static String shopKey;

    @BeforeAll
    static void start() {
        keyFile = dir.resolve("api-keys");
        readKey = ApiKeys.create(keyFile, Role.READ, null).key();
        submitKey = ApiKeys.create(keyFile, Role.SUBMIT, null).key();
        adminKey = ApiKeys.create(keyFile, Role.ADMIN, null).key();
        shopKey = ApiKeys.create(keyFile, Role.SUBMIT, "shop").key();
        api = new TrajectoryApi(null, null, null, () -> KafkaStreams.State.RUNNING, 4, Duration.ZERO,
                new RequestOrigins(List.of(), List.of()), new ApiAuth(keyFile, 0.5, 3), null);
        base = "http://127.0.0.1:" + api.start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void shouldAnswer401OnEveryRouteWithoutAKeyAndServeThePageAndProbes() throws Exception {
        List<String[]> routes = List.of(new String[] {"GET", "/api/trajectories"},
                new String[] {"GET", "/api/trajectories/t-1"}, new String[] {"GET", "/api/trajectories/t-1/events"},
                new String[] {"GET", "/api/events"}, new String[] {"GET", "/api/images/" + SHA},
                new String[] {"GET", "/metrics"}, new String[] {"POST", "/api/trajectories"},
                new String[] {"POST", "/api/trajectories/t-1/cancel"}, new String[] {"GET", "/api/nothing"},
                new String[] {"DELETE", "/api/trajectories/t-1"});
        for (String[] route : routes) {
            for (String authorization : new String[] {null, "Bearer irg_00000000_" + "x".repeat(43), "Bearer ",
                    "Basic dXNlcjpwYXNz", "Bearer " + readKey.substring(0, readKey.length() - 1)
                    + (readKey.endsWith("A") ? "B" : "A")}) {
                HttpResponse<String> r = send(route[0], route[1], authorization, route[0].equals("POST") ? "{}" : null);
                String what = route[0] + " " + route[1] + " with " + authorization;
                assertThat(r.statusCode()).as(what).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).as(what).contains("Bearer realm=\"irg\"");
                assertThat(error(r)).as(what).isNotBlank();
            }
        }
        assertThat(error(send("GET", "/api/trajectories", null, null))).contains("Authorization: Bearer <key>");
        // a POST without a key and without JSON is refused for the key first
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/trajectories"))
                .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);

        HttpResponse<String> page = send("GET", "/", null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("img-src 'self' blob:");
        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/readyz", null, null).statusCode()).isEqualTo(200);
    }

    @Test
    void shouldLetAReadKeyReadButNotSubmitOrCancel() throws Exception {
        for (String path : new String[] {"/api/trajectories", "/api/trajectories/t-1", "/api/trajectories/t-1/events",
                "/api/events", "/api/images/" + SHA}) {
            HttpResponse<String> r = send("GET", path, "Bearer " + readKey, null);
            assertThat(r.statusCode()).as(path).isEqualTo(503);
            assertThat(error(r)).as(path).contains("the topology is starting");
        }
        assertThat(send("GET", "/metrics", "bearer " + readKey, null).statusCode()).isEqualTo(404);
        for (String path : new String[] {"/api/trajectories", "/api/trajectories/t-1/cancel"}) {
            HttpResponse<String> r = send("POST", path, "Bearer " + readKey, "{}");
            assertThat(r.statusCode()).as(path).isEqualTo(403);
            assertThat(error(r)).as(path).contains("has role read; this request needs submit");
        }
    }

    @Test
    void shouldLetSubmitAndAdminKeysSubmitAndBindATenantKeyToItsTenant() throws Exception {
        HttpResponse<String> submit = send("POST", "/api/trajectories", "Bearer " + submitKey, "{}");
        assertThat(submit.statusCode()).isEqualTo(400);
        assertThat(error(submit)).contains("the prompt is missing");
        assertThat(send("GET", "/api/trajectories", "Bearer " + submitKey, null).statusCode()).isEqualTo(503);
        assertThat(send("POST", "/api/trajectories", "Bearer " + adminKey, "{\"rounds\": 9}").statusCode())
                .isEqualTo(400);

        HttpResponse<String> otherTenant = send("POST", "/api/trajectories", "Bearer " + shopKey,
                "{\"prompt\": \"a red circle\", \"tenant\": \"bank\"}");
        assertThat(otherTenant.statusCode()).isEqualTo(403);
        assertThat(error(otherTenant)).contains("submits for tenant 'shop' only");
    }

    @Test
    void shouldAnswer429WithRetryAfterWhenAKeyExceedsItsRateLimit() throws Exception {
        String key = ApiKeys.create(keyFile, Role.SUBMIT, null).key();
        awaitKnown(key);
        for (int i = 0; i < 3; i++) {
            assertThat(send("POST", "/api/trajectories", "Bearer " + key, "{}").statusCode()).isEqualTo(400);
        }
        HttpResponse<String> limited = send("POST", "/api/trajectories", "Bearer " + key, "{}");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(Integer.parseInt(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 2);
        assertThat(error(limited)).contains("rate limit").contains("retry after");
        // reads are not limited, and other keys have buckets of their own
        assertThat(send("GET", "/api/trajectories", "Bearer " + key, null).statusCode()).isEqualTo(503);
        assertThat(send("POST", "/api/trajectories", "Bearer " + adminKey, "{}").statusCode()).isEqualTo(400);
    }

    @Test
    void shouldTakeKeysAddedToAndRemovedFromTheFileWithoutARestart() throws Exception {
        ApiKeys.Created created = ApiKeys.create(keyFile, Role.READ, null);
        awaitKnown(created.key());
        List<String> lines = Files.readAllLines(keyFile);
        Files.write(keyFile, lines.stream().filter(l -> !l.startsWith(created.entry().id())).toList());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int status = 0;
        while (System.nanoTime() < deadline && (status = send("GET", "/api/trajectories", "Bearer " + created.key(),
                null).statusCode()) != 401) {
            Thread.sleep(100);
        }
        assertThat(status).isEqualTo(401);
        assertThat(send("GET", "/api/trajectories", "Bearer " + readKey, null).statusCode()).isEqualTo(503);
    }

    @Test
    void shouldServeHttpsWithTheKeyStoreWhenTlsIsSet() throws Exception {
        Path tlsDir = Files.createDirectories(dir.resolve("tls"));
        TestCertificates certs = TestCertificates.create(tlsDir);
        HttpTls tls = new HttpTls(certs.keyStore(), certs.password(), "PKCS12", null, null);
        TrajectoryApi secure = new TrajectoryApi(null, null, null, () -> KafkaStreams.State.RUNNING, 4,
                Duration.ZERO, new RequestOrigins(List.of(), List.of()), new ApiAuth(keyFile, 0, 1), tls);
        try {
            int port = secure.start("127.0.0.1", 0);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            try (var in = Files.newInputStream(certs.trustStore())) {
                trust.load(in, certs.password().toCharArray());
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(context).build();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + port + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> noKey = https.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + port + "/api/trajectories")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(noKey.statusCode()).isEqualTo(401);
            HttpResponse<String> withKey = https.send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + port + "/api/trajectories"))
                    .header("Authorization", "Bearer " + readKey).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(withKey.statusCode()).isEqualTo(503);
        } finally {
            secure.close();
        }
    }

    private static void awaitKnown(String key) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (send("GET", "/api/trajectories", "Bearer " + key, null).statusCode() == 401) {
            assertThat(System.nanoTime()).as("key never accepted").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static HttpResponse<String> send(String method, String path, String authorization, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String error(HttpResponse<String> r) throws Exception {
        JsonNode n = JSON.readTree(r.body());
        return n.path("error").asText();
    }

}
