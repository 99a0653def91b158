package io.irgstream.topology;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.config.ConfigException;

/**
 * Runs a {@link TopologyService} as its own process (the production layout):
 * {@code java io.irgstream.topology.TopologyMain topology.properties}. Settings come from the properties file, then
 * from system properties prefixed {@code irg.topology.} (e.g. {@code -Dirg.topology.http.port=9090}). Stops on
 * SIGTERM/SIGINT.
 */
public final class TopologyMain {

    private TopologyMain() {
    }

    /**
     * @param args the path of a properties file, optional
     * @throws Exception when the service cannot start; the message names the cause
     */
    public static void main(String[] args) throws Exception {
        Map<String, Object> settings = new HashMap<>();
        if (args.length > 0) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(args[0]))) {
                p.load(r);
            } catch (IOException e) {
                System.err.println("cannot read " + args[0] + ": " + e.getMessage());
                System.exit(2);
            }
            p.forEach((k, v) -> settings.put(k.toString(), v));
        }
        System.getProperties().forEach((k, v) -> {
            if (k.toString().startsWith("irg.topology.")) {
                settings.put(k.toString().substring("irg.topology.".length()), v);
            }
        });
        TopologyService service;
        try {
            service = new TopologyService(settings);
        } catch (ConfigException e) {
            System.err.println("invalid topology settings: " + e.getMessage());
            System.exit(2);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "irg-topology-shutdown"));
        try {
            service.start();
        } catch (IllegalStateException | ConfigException e) {
            System.err.println("cannot start the topology: " + e.getMessage());
            System.exit(1);
        }
        System.out.println("irg topology serving " + service.url());
        stopped.await();
    }
}
