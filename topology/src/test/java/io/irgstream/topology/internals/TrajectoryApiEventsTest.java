package io.irgstream.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.AvroClassTrust;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code /api/events} stream on Javalin's Server-Sent Events, without Kafka: the feed is one that follows no topic,
 * its changes handed in by the test. Framing, heartbeats, the slots, the fell-behind error event and the end of the
 * streams when the API closes. (The per-trajectory stream needs the stores: TopologyServiceIT.)
 */
class TrajectoryApiEventsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int SLOTS = 2;

    private TrajectoryFeed feed;
    private TrajectoryApi api;
    private String base;
    private final List<InputStream> open = new ArrayList<>();

    @BeforeEach
    void start() {
        AvroClassTrust.install(); // as the feed's deserializer does
        feed = new TrajectoryFeed();
        api = new TrajectoryApi(null, feed, null, () -> KafkaStreams.State.RUNNING, SLOTS, Duration.ZERO,
                new RequestOrigins(List.of(), List.of()));
        base = "http://127.0.0.1:" + api.start("127.0.0.1", 0);
        api.attach(new TrajectoryQueries(null, null));
    }

    @AfterEach
    void stop() throws Exception {
        for (InputStream in : open) {
            in.close();
        }
        api.close();
        feed.close();
    }

    @Test
    void shouldSendEachChangeAsOneMessageWithItsRevisionAndAHeartbeatWhenIdleToAClientWithoutAccept()
            throws Exception {
        HttpResponse<InputStream> r = events(null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        assertThat(r.headers().firstValue("Cache-Control")).contains("no-cache");
        BufferedReader lines = reader(r);
        assertThat(within(() -> lines.readLine(), 5)).isEqualTo(": connected");

        String prompt = "ein grüner Kreis ✓ 🟢";
        feed.publish("t-1", trajectory("t-1", 7, TrajectoryStatus.DRAFTED, prompt));
        List<String> message = within(() -> frame(lines), 5);
        assertThat(message).hasSize(2);
        assertThat(message.get(0)).isEqualTo("id: 7");
        assertThat(message.get(1)).startsWith("data: {");
        JsonNode data = JSON.readTree(message.get(1).substring("data: ".length()));
        assertThat(data.path("id").asText()).isEqualTo("t-1");
        assertThat(data.path("revision").asLong()).isEqualTo(7);
        assertThat(data.path("prompt").asText()).isEqualTo(prompt);

        long idle = System.nanoTime();
        assertThat(within(() -> frame(lines), 6)).containsExactly(": keepalive");
        assertThat(Duration.ofNanos(System.nanoTime() - idle)).isGreaterThanOrEqualTo(Duration.ofMillis(1_500));
    }

    @Test
    void shouldAnswer503WhenTheSlotsAreTakenAndFreeASlotWhenItsClientGoesAway() throws Exception {
        HttpResponse<InputStream> first = events("text/event-stream");
        HttpResponse<InputStream> second = events("text/event-stream");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/events"))
                .header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        assertThat(JSON.readTree(refused.body()).path("error").asText())
                .isEqualTo("too many open event streams; retry later");

        first.body().close();
        // the server notices at its next write (the heartbeat, after 2 s of silence)
        long start = System.nanoTime();
        HttpResponse<InputStream> again = null;
        while (again == null && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8)) {
            HttpResponse<InputStream> r = events("text/event-stream");
            if (r.statusCode() == 200) {
                again = r;
            } else {
                r.body().close();
                Thread.sleep(200);
            }
        }
        assertThat(again).as("a slot freed within 8 s of its client leaving").isNotNull();
    }

    @Test
    void shouldEndWithAnErrorEventWhenTheClientFallsTooFarBehind() throws Exception {
        HttpResponse<InputStream> r = events("text/event-stream");
        assertThat(r.statusCode()).isEqualTo(200);
        BufferedReader lines = reader(r);
        assertThat(within(() -> lines.readLine(), 5)).isEqualTo(": connected");
        // the client reads nothing while 3,000 changes of 20 KB arrive: the socket's buffers fill, the server's write
        // blocks, and the subscription's queue (1,000) overflows
        String big = "x".repeat(20_000);
        for (int i = 1; i <= 3 * TrajectoryFeed.QUEUE_CAPACITY; i++) {
            feed.publish("t-" + i, trajectory("t-" + i, i, TrajectoryStatus.SUBMITTED, big));
        }
        List<String> last = within(() -> {
            List<String> previous = List.of();
            int messages = 0;
            for (List<String> f = frame(lines); f != null; f = frame(lines)) {
                previous = f;
                messages++;
            }
            assertThat(messages).isLessThan(3 * TrajectoryFeed.QUEUE_CAPACITY);
            return previous;
        }, 60);
        assertThat(last).containsExactly("event: error", "data: " + TrajectoryApi.FELL_BEHIND);
    }

    @Test
    void shouldEndOpenStreamsWhenTheApiCloses() throws Exception {
        HttpResponse<InputStream> r = events("text/event-stream");
        assertThat(r.statusCode()).isEqualTo(200);
        BufferedReader lines = reader(r);
        assertThat(within(() -> lines.readLine(), 5)).isEqualTo(": connected");
        long start = System.nanoTime();
        api.close();
        // the stream ends cleanly (its response completes: end of body, no reset) before the server stops
        assertThat(within(() -> {
            List<String> rest = new ArrayList<>();
            for (String l = lines.readLine(); l != null; l = lines.readLine()) {
                rest.add(l);
            }
            return rest;
        }, 10)).allSatisfy(l -> assertThat(l).doesNotStartWith("data:"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    private HttpResponse<InputStream> events(String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/api/events"));
        if (accept != null) {
            b.header("Accept", accept);
        }
        HttpResponse<InputStream> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        open.add(r.body());
        return r;
    }

    private static BufferedReader reader(HttpResponse<InputStream> r) {
        return new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
    }

    /** The next message's lines (up to the blank line; a comment is a frame of its own), or null at the end. */
    private static List<String> frame(BufferedReader lines) throws Exception {
        List<String> frame = new ArrayList<>();
        for (String l = lines.readLine(); l != null; l = lines.readLine()) {
            if (l.startsWith(":") && frame.isEmpty()) {
                return List.of(l);
            }
            if (l.isEmpty()) {
                if (!frame.isEmpty()) {
                    return frame;
                }
                continue;
            }
            frame.add(l);
        }
        return frame.isEmpty() ? null : frame;
    }

    private interface Read<T> {
        T read() throws Exception;
    }

    private static <T> T within(Read<T> read, int seconds) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return read.read();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(seconds, TimeUnit.SECONDS);
    }

    private static Trajectory trajectory(String id, long revision, TrajectoryStatus status, String prompt) {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        return Trajectory.newBuilder().setId(id).setRevision(revision).setStatus(status).setPendingStep("think")
                .setPrompt(prompt).setReflectionRounds(List.of()).setSteps(List.of()).setErrors(List.of())
                .setCreatedAt(at).setUpdatedAt(at).setProgressedAt(at).setSubmittedAt(at).build();
    }
}
