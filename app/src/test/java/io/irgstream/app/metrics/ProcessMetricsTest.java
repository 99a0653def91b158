package io.irgstream.app.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

class ProcessMetricsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldServeTheProcessAndComponentMetersAtSlashMetrics() throws Exception {
        try (ProcessMetrics metrics = new ProcessMetrics()) {
            Counter.builder("irg.test.records").tag("step", "think").register(metrics.registry()).increment(3);
            int port = metrics.serve("127.0.0.1", 0);

            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("text/plain"));
            assertThat(r.body()).contains("irg_test_records_total{step=\"think\"} 3.0")
                    .contains("irg_process_resident_memory_bytes").contains("jvm_memory_used_bytes");
        }
    }

    @Test
    void shouldNameTheOptionWhenThePortIsTaken() throws Exception {
        try (ProcessMetrics first = new ProcessMetrics(); ProcessMetrics second = new ProcessMetrics()) {
            int port = first.serve("127.0.0.1", 0);
            assertThatThrownBy(() -> second.serve("127.0.0.1", port)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("already in use").hasMessageContaining("--metrics-port");
        }
    }
}
