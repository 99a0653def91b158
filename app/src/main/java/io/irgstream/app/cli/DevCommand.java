package io.irgstream.app.cli;

import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code irg dev}: the embedded stack until interrupted; with {@code --secure}, with authentication, TLS, ACLs and API
 * keys on ({@link EmbeddedStack.Builder#secure()}).
 */
@Command(name = "dev", description = "Run the embedded stack (Kafka broker, schema registry, trajectory topology with its HTTP API and web page, the four step workers) until interrupted.",
        mixinStandardHelpOptions = true)
public final class DevCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Kafka port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Schema registry port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--http-port", defaultValue = "8080", description = "HTTP API and web page on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int httpPort;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic when the topics are created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--workers-per-step", defaultValue = "1", description = "Worker instances per step (default: ${DEFAULT-VALUE}).")
    int workersPerStep;

    @Option(names = "--secure", description = "Everything on: SASL_SSL with SCRAM-SHA-512 and least-privilege ACLs "
            + "on the broker (one user per role), HTTPS and basic auth on the schema registry, API keys on the HTTP API. "
            + "Certificates, passwords and a submit key are made under --data-dir/secure at the first start and reused; "
            + "client.properties and api-key there are what a client needs (docs/security.md).")
    boolean secure;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    BackendOptions backend;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        java.util.function.Function<io.irgstream.model.Step, io.irgstream.model.StepModel> models =
                backend.loader(cluster.modelDir);
        CountDownLatch stop = new CountDownLatch(1);
        EmbeddedStack.Builder builder = EmbeddedStack.builder(cluster.dataDir).kafkaPort(kafkaPort).registryPort(registryPort)
                .layout(new TopicLayout(cluster.topicPrefix, partitions, TopicLayout.DEFAULT_RETENTION_MS))
                .topology(httpPort).workersPerStep(workersPerStep).models(models);
        if (secure) {
            builder.secure();
        }
        // worker settings (docs/configuration.md); blob.store.* reach the topology too
        cluster.settings.load().forEach(builder::workerSetting);
        cluster.blobStore.forEach(builder::workerSetting); // --blob-store: the same settings
        try (EmbeddedStack stack = builder.build().start()) {
            Thread hook = new Thread(() -> {
                stop.countDown();
                stack.close();
            }, "irg-dev-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("kafka            " + stack.bootstrapServers() + (secure
                    ? "  (SASL_SSL, SCRAM-SHA-512, one user and its ACLs per role)" : ""));
            out.println("schema registry  " + stack.registryUrl() + (secure ? "  (basic auth)" : ""));
            out.println("web page and API " + stack.topology().url() + "/  (API: docs/api.md" + (secure
                    ? "; API keys: " + stack.secure().apiKeysFile() + ")" : ")"));
            out.println("metrics          " + stack.topology().url() + "/metrics  (docs/metrics.md)");
            out.println("workers          " + stack.workers().size() + " (" + workersPerStep + " per step)");
            out.println("data             " + cluster.dataDir.toAbsolutePath());
            out.println("images           " + stack.blobStore());
            if (secure) {
                Path dir = cluster.dataDir.resolve("secure");
                out.println("secrets          " + dir + "  (certificates, passwords, keys; owner-only)");
                out.println("submit with: ./irg submit --config " + dir.resolve("client.properties")
                        + " \"a photo of a red circle\"");
                out.println("operator:    ./irg dead-letters --config " + dir.resolve("operator.properties")
                        + "  (also replay, audit, export, redrive)");
                out.println("read with:   curl -H \"Authorization: Bearer $(cat " + dir.resolve("api-key") + ")\" "
                        + stack.topology().url() + "/api/trajectories");
                out.println("page:        " + stack.topology().url() + "/ asks for the key in " + dir.resolve("api-key"));
            } else {
                out.println("submit with: ./irg submit --bootstrap-servers " + stack.bootstrapServers()
                        + " --schema-registry " + stack.registryUrl() + " \"a photo of a red circle\"");
            }
            out.println("Ctrl-C stops.");
            out.flush();
            stop.await();
        }
        return 0;
    }
}
