package io.irgstream.app;

import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.HeadlessChromium;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web page as a person uses it, in headless Chromium: type a prompt, submit, and watch the strip end
 * COMPLETED with its final image shown. CI installs Debian's chromium (.ci/run); elsewhere the test is skipped
 * when no Chromium is installed.
 */
class WebPageIT {
    @TempDir
    Path dir;

    @Test
    void shouldShowTheFinalImageOfAPromptSubmittedOnThePage() throws Exception {
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(HeadlessChromium.binary() != null, "no Chromium installed");
        }
        TopicLayout layout = PipelineHarness.uniqueLayout("page", 1);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).topology(0)
                .models(step -> new DeterministicTestModel(step, 0)).build().start();
             HeadlessChromium chromium = new HeadlessChromium(dir.resolve("chromium-profile"))) {
            String base = stack.topology().url();
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(60)).until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200);

            chromium.navigate(base + "/");
            assertThat(chromium.awaitValue("document.readyState", "complete", Duration.ofSeconds(20))).isEqualTo("complete");
            chromium.eval("document.getElementById('prompt').value = 'a photo of a red circle and a blue square';"
                    + "document.getElementById('ttl').value = '3600';"
                    + "document.getElementById('submit').requestSubmit(); 'ok'");
            String strip = "(() => { const s = document.querySelector('section.strip'); if (!s) return '';"
                    + " const f = [...s.querySelectorAll('img')].find(i => i.alt === 'Final 1');"
                    + " return s.dataset.status + (f && f.complete && f.naturalWidth > 0 ? '+final' : ''); })()";
            String state = chromium.awaitValue(strip, "COMPLETED+final", Duration.ofSeconds(60));
            Path shot = Path.of("target", "web-page.png");
            Files.createDirectories(shot.getParent());
            chromium.screenshot(shot);
            assertThat(state).as("strip state (screenshot: %s)", shot.toAbsolutePath()).isEqualTo("COMPLETED+final");
            assertThat(chromium.eval("document.querySelector('section.strip').innerText"))
                    .contains("a photo of a red circle and a blue square", "plan for:");
            // the page's time limit went along as ttlSeconds: the trajectory carries a deadline about an hour ahead
            String id = chromium.eval("document.querySelector('section.strip').id.substring(2)");
            String json = http.send(HttpRequest.newBuilder(URI.create(base + "/api/trajectories/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(json).as(json).contains("\"deadline\"");
            java.time.Instant deadline = java.time.Instant.parse(
                    new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path("deadline").asText());
            assertThat(deadline).isBetween(java.time.Instant.now().plusSeconds(3000),
                    java.time.Instant.now().plusSeconds(3700));
        }
    }
}
