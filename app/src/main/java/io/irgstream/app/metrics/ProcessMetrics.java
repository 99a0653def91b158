package io.irgstream.app.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import org.bytedeco.javacpp.Pointer;

import java.io.IOException;
import java.net.BindException;

/**
 * The Prometheus registry of one irg process: JVM meters (memory, GC, threads, CPU), native memory (the process's
 * resident set and what JavaCPP, which holds libtorch's tensors, has allocated), and whatever the process's
 * components register (workers: {@code irg_worker_*} and their Kafka clients' metrics). docs/metrics.md lists them.
 */
public final class ProcessMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private HTTPServer server;

    public ProcessMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        Gauge.builder("irg.process.resident.memory", Pointer::physicalBytes).baseUnit("bytes")
                .description("resident set size of the process: heap, JVM and native memory (libtorch included)")
                .register(registry);
        Gauge.builder("irg.native.allocated", Pointer::totalBytes).baseUnit("bytes")
                .description("native memory allocated through JavaCPP (libtorch tensors and buffers) and not yet freed")
                .register(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text format of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /**
     * Serves the meters at {@code http://host:port/metrics} with the Prometheus client's own HTTP exporter (text or
     * protobuf format as the scraper asks, gzip, {@code /-/healthy}); returns the bound port (0 picks a free one).
     */
    public int serve(String host, int port) throws IOException {
        try {
            server = HTTPServer.builder().hostname(host).port(port).registry(registry.getPrometheusRegistry())
                    .buildAndStart();
        } catch (BindException e) {
            throw new IllegalArgumentException("metrics port " + port + " on " + host + " is already in use: pick another with --metrics-port");
        }
        return server.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        gc.close();
        registry.close();
    }
}
