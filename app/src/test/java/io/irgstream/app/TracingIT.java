package io.irgstream.app;

import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.testing.DeterministicTestModel;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** W3C trace context travels in Kafka headers: one connected trace per trajectory, a span per step. */
class TracingIT {
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();

    @TempDir
    Path dir;

    @AfterEach
    void resetGlobal() {
        GlobalOpenTelemetry.resetForTest();
    }

    @Test
    void shouldRecordOneConnectedTracePerTrajectory() throws Exception {
        GlobalOpenTelemetry.resetForTest();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
        GlobalOpenTelemetry.set(sdk);

        TopicLayout layout = PipelineHarness.uniqueLayout("tracing", 1);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).topology(0)
                .models(step -> new DeterministicTestModel(step, 0)).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            PromptSubmitted a = client.event(new Submission("trace me", 1L, 1, null));
            PromptSubmitted b = client.event(new Submission("trace me too", 2L, 1, null));
            List<String> ids = List.of(a.getContext().getTrajectoryId(), b.getContext().getTrajectoryId());
            ids.forEach(watcher::watch);
            client.submitEvents(List.of(a, b));
            watcher.awaitAll(ids, Duration.ofSeconds(60), null);

            String id = ids.get(0);
            // the topology folds the final image a moment after it is committed
            await().atMost(Duration.ofSeconds(30)).until(() -> spansOf(id).stream()
                    .anyMatch(s -> s.getName().equals("irg topology FinalImageProduced")));
            List<SpanData> spans = spansOf(id);
            assertThat(spans.stream().map(SpanData::getTraceId).distinct()).as("one trace").hasSize(1);
            Map<String, SpanData> byName = spans.stream().collect(Collectors.toMap(SpanData::getName, s -> s, (x, y) -> x));
            assertThat(byName).containsKeys("irg submit", "irg think", "irg draw", "irg reflect", "irg refine");
            // each step is the child of the step before it
            assertThat(byName.get("irg think").getParentSpanId()).isEqualTo(byName.get("irg submit").getSpanId());
            assertThat(byName.get("irg draw").getParentSpanId()).isEqualTo(byName.get("irg think").getSpanId());
            assertThat(byName.get("irg reflect").getParentSpanId()).isEqualTo(byName.get("irg draw").getSpanId());
            assertThat(byName.get("irg refine").getParentSpanId()).isEqualTo(byName.get("irg reflect").getSpanId());
            assertThat(byName.get("irg topology ThoughtProduced").getParentSpanId()).isEqualTo(byName.get("irg think").getSpanId());
            assertThat(byName.get("irg draw").getAttributes().get(AttributeKey.longKey("irg.queue.wait.ms"))).isNotNull();
            assertThat(byName.get("irg draw").getAttributes().get(AttributeKey.longKey("irg.compute.ms"))).isNotNull();
            // the other trajectory is another trace
            assertThat(spansOf(ids.get(1)).get(0).getTraceId()).isNotEqualTo(spans.get(0).getTraceId());
        }
    }

    private List<SpanData> spansOf(String trajectoryId) {
        return exporter.getFinishedSpanItems().stream()
                .filter(s -> trajectoryId.equals(s.getAttributes().get(AttributeKey.stringKey("irg.trajectory.id"))))
                .toList();
    }
}
