package io.irgstream.schemas.tracing;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * W3C trace context in Kafka record headers ({@code traceparent}, {@code tracestate}), so one trajectory is one
 * trace: submit, then a span per step, each the child of the span that produced its input event.
 *
 * <p>Spans go to the process's {@link GlobalOpenTelemetry}: a no-op unless the application installs an SDK (the
 * {@code irg} command does when {@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_TRACES_EXPORTER} is set).
 * The context is propagated with the W3C propagator regardless of the global one, so traces stay connected across
 * processes that trace and processes that do not.
 */
public final class KafkaTracing {
    /** Instrumentation scope of irg-stream's spans. */
    public static final String SCOPE = "io.irgstream";

    private static final TextMapPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();

    private static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
        if (headers != null) {
            headers.remove(key);
            headers.add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    };

    private static final TextMapGetter<Headers> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers headers) {
            List<String> keys = new ArrayList<>();
            for (Header h : headers) {
                keys.add(h.key());
            }
            return keys;
        }

        @Override
        public String get(Headers headers, String key) {
            if (headers == null) {
                return null;
            }
            Header h = headers.lastHeader(key);
            return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
        }
    };

    private KafkaTracing() {
    }

    /** irg-stream's tracer on the global OpenTelemetry. */
    public static Tracer tracer() {
        return GlobalOpenTelemetry.getTracer(SCOPE);
    }

    /** Writes {@code context}'s span into {@code headers} (replacing any trace headers there). */
    public static void inject(Context context, Headers headers) {
        PROPAGATOR.inject(context, headers, SETTER);
    }

    /** The context carried by {@code headers}, as a child of the root context (none when there is none). */
    public static Context extract(Headers headers) {
        return PROPAGATOR.extract(Context.root(), headers, GETTER);
    }
}
