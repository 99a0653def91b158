package io.irgstream.app.metrics;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

import java.util.Map;

/**
 * Tracing is off by default. When the environment configures an exporter the OpenTelemetry way
 * ({@code OTEL_EXPORTER_OTLP_ENDPOINT}, or {@code OTEL_TRACES_EXPORTER}, with the other {@code OTEL_*} variables
 * as usual), the {@code irg} process installs the OpenTelemetry SDK as the global one, and the spans of submit,
 * every step and the topology go there: one trace per trajectory (docs/metrics.md).
 */
public final class Tracing {
    private Tracing() {
    }

    /** Installs the SDK when the environment asks for it; returns it (to close at exit), or null. */
    public static OpenTelemetrySdk installIfConfigured(Map<String, String> env, String serviceName) {
        boolean wanted = env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT") || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
                || env.containsKey("OTEL_TRACES_EXPORTER");
        if (!wanted || "true".equalsIgnoreCase(env.get("OTEL_SDK_DISABLED"))) {
            return null;
        }
        return AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of("otel.service.name", env.getOrDefault("OTEL_SERVICE_NAME", serviceName),
                        "otel.metrics.exporter", env.getOrDefault("OTEL_METRICS_EXPORTER", "none"),
                        "otel.logs.exporter", env.getOrDefault("OTEL_LOGS_EXPORTER", "none")))
                .setResultAsGlobal()
                .build()
                .getOpenTelemetrySdk();
    }
}
