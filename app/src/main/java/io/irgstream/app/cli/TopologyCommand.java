package io.irgstream.app.cli;

import io.irgstream.app.metrics.ProcessMetrics;
import io.irgstream.topology.TopologyService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code irg topology}: the trajectory topology and its HTTP API against a cluster, until stopped. */
@Command(name = "topology", description = "Run the trajectory topology (Kafka Streams) and its HTTP API against a cluster. "
        + "Settings: docs/api.md (given as --set name=value or in a --config properties file).", mixinStandardHelpOptions = true)
public final class TopologyCommand implements Callable<Integer> {
    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (setting bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--schema-registry", description = "Schema registry URL (setting schema.registry.url).")
    String schemaRegistry;

    @Option(names = "--insecure", description = "Serve the HTTP API on an address other than loopback without API keys "
            + "(setting http.insecure=true); without it such a start is refused. Use it only when something in front "
            + "of the API authenticates.")
    boolean insecure;

    @Mixin
    SettingsOptions settingsOptions;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> p = settingsOptions.load();
        if (bootstrapServers != null) {
            p.put("bootstrap.servers", bootstrapServers);
        }
        if (schemaRegistry != null) {
            p.put("schema.registry.url", schemaRegistry);
        }
        if (insecure) {
            p.put("http.insecure", "true");
        }
        CountDownLatch stop = new CountDownLatch(1);
        try (ProcessMetrics metrics = new ProcessMetrics();
             // a refused login or missing ACLs: tried again with a backoff, not a restart loop
             TopologyService service = SecurityRetry.standard("topology").call(() -> {
                 TopologyService s = new TopologyService(p).metrics(metrics.registry(), metrics::scrape);
                 try {
                     return s.start();
                 } catch (RuntimeException e) {
                     s.close();
                     throw e;
                 }
             })) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                stop.countDown();
                service.close();
            }, "irg-topology-shutdown"));
            System.out.println("trajectory topology serving " + service.url());
            stop.await();
        }
        return 0;
    }
}
