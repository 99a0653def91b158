package io.irgstream.app;

import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.HeadlessChromium;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.topology.ApiKeys;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded stack with API keys on (http.auth.keys.file): a trajectory submitted with a submit key runs to its
 * final image, followed over the event stream and fetched with a read key, every route refusing requests without a
 * key; then the web page in headless Chromium asks for a key, takes it and shows a submitted prompt's final image
 * (fetched with the key). The page part is skipped where no Chromium is installed (outside CI).
 */
class ApiKeysIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldRunATrajectoryEndToEndWithKeysAndRefuseRequestsWithout() throws Exception {
        Path keys = dir.resolve("api-keys");
        String submitKey = ApiKeys.create(keys, ApiKeys.Role.SUBMIT, null).key();
        String readKey = ApiKeys.create(keys, ApiKeys.Role.READ, null).key();
        String shopKey = ApiKeys.create(keys, ApiKeys.Role.SUBMIT, "shop").key();
        TopicLayout layout = PipelineHarness.uniqueLayout("apikeys", 1);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).topology(0)
                .topologySetting(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG, keys.toString())
                .models(step -> new DeterministicTestModel(step, 0)).build().start()) {
            String base = stack.topology().url();
            await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/readyz", null).statusCode() == 200);

            assertThat(post(base + "/api/trajectories", null, "{\"prompt\": \"a red circle\"}").statusCode())
                    .isEqualTo(401);
            assertThat(post(base + "/api/trajectories", readKey, "{\"prompt\": \"a red circle\"}").statusCode())
                    .isEqualTo(403);
            HttpResponse<String> submitted = post(base + "/api/trajectories", submitKey,
                    "{\"prompt\": \"a red circle above a blue square\"}");
            assertThat(submitted.statusCode()).isEqualTo(202);
            String id = io.irgstream.schemas.AvroJson.MAPPER.readTree(submitted.body()).path("id").asText();

            assertThat(get(base + "/api/trajectories/" + id + "/events", null).statusCode()).isEqualTo(401);
            HttpResponse<InputStream> events = http.send(HttpRequest.newBuilder(
                    URI.create(base + "/api/trajectories/" + id + "/events"))
                    .header("Authorization", "Bearer " + readKey).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(events.statusCode()).isEqualTo(200);
            String last = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(events.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("data: ")) {
                        last = line;
                    }
                }
            }
            assertThat(last).contains("\"status\":\"COMPLETED\"");
            var t = io.irgstream.schemas.AvroJson.MAPPER.readTree(get(base + "/api/trajectories/" + id, readKey).body());
            String image = t.path("finalImage").path("url").asText();
            assertThat(get(base + image, null).statusCode()).isEqualTo(401);
            HttpResponse<String> png = get(base + image, readKey);
            assertThat(png.statusCode()).isEqualTo(200);
            assertThat(png.headers().firstValue("Content-Type")).contains("image/png");
            assertThat(get(base + "/api/trajectories", null).statusCode()).isEqualTo(401);
            assertThat(t.path("tenant").asText()).isEqualTo("default");
            HttpResponse<String> otherTenant = post(base + "/api/trajectories/" + id + "/cancel", shopKey, "{}");
            assertThat(otherTenant.statusCode()).isEqualTo(403);
            assertThat(otherTenant.body()).contains("cancels trajectories of tenant 'shop' only");
            HttpResponse<String> shops = post(base + "/api/trajectories", shopKey, "{\"prompt\": \"a blue square\"}");
            assertThat(shops.statusCode()).isEqualTo(202);
            String shopId = io.irgstream.schemas.AvroJson.MAPPER.readTree(shops.body()).path("id").asText();
            await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/api/trajectories/" + shopId, readKey)
                    .statusCode() == 200);
            assertThat(io.irgstream.schemas.AvroJson.MAPPER.readTree(get(base + "/api/trajectories/" + shopId, readKey)
                    .body()).path("tenant").asText()).isEqualTo("shop");
            assertThat(post(base + "/api/trajectories/" + shopId + "/cancel", shopKey, "{}").statusCode())
                    .isIn(202, 409);
            assertThat(get(base + "/", null).statusCode()).isEqualTo(200);

            if (HeadlessChromium.binary() == null && System.getenv("CI") == null) {
                return; // the page part needs Chromium
            }
            try (HeadlessChromium chromium = new HeadlessChromium(dir.resolve("chromium-profile"))) {
                chromium.navigate(base + "/");
                assertThat(chromium.awaitValue("document.getElementById('keyform').hidden ? 'hidden' : 'asking'",
                        "asking", Duration.ofSeconds(20))).isEqualTo("asking");
                assertThat(chromium.eval("document.getElementById('error').textContent")).contains("API key");
                chromium.eval("document.getElementById('apikey').value = '" + submitKey + "';"
                        + "document.getElementById('keyform').requestSubmit(); 'ok'");
                assertThat(chromium.awaitValue("document.getElementById('live').textContent", "live",
                        Duration.ofSeconds(20))).isEqualTo("live");
                assertThat(chromium.eval("sessionStorage.getItem('irg.apiKey')")).isEqualTo(submitKey);
                chromium.eval("document.getElementById('prompt').value = 'two green squares';"
                        + "document.getElementById('submit').requestSubmit(); 'ok'");
                String strip = "(() => { const s = [...document.querySelectorAll('section.strip')].find(x =>"
                        + " x.innerText.includes('two green squares')); if (!s) return '';"
                        + " const f = [...s.querySelectorAll('img')].find(i => i.alt === 'Final 1');"
                        + " return s.dataset.status + (f && f.complete && f.naturalWidth > 0 && f.src.startsWith('blob:')"
                        + " ? '+final' : ''); })()";
                String state = chromium.awaitValue(strip, "COMPLETED+final", Duration.ofSeconds(60));
                Path shot = Path.of("target", "web-page-api-key.png");
                Files.createDirectories(shot.getParent());
                chromium.screenshot(shot);
                assertThat(state).as("strip state (screenshot: %s)", shot.toAbsolutePath()).isEqualTo("COMPLETED+final");
            }
        }
    }

    private HttpResponse<String> get(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
    }

    private HttpResponse<String> post(String url, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
