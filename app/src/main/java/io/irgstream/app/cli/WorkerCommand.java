package io.irgstream.app.cli;

import io.irgstream.app.metrics.ProcessMetrics;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.worker.Cancellations;
import io.irgstream.worker.StepWorker;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.schemas.images.BlobStore;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code irg worker}: one step worker against an external cluster. */
@Command(name = "worker", description = "Run one step worker against a Kafka cluster and schema registry. Settings: "
        + "see docs/configuration.md (given as --set name=value or in a --config properties file).",
        mixinStandardHelpOptions = true)
public final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--step", required = true, description = "think, draw, reflect or refine.")
    String step;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (setting bootstrap.servers).")
    String bootstrapServers;

    @Option(names = "--schema-registry", description = "Schema registry URL (setting schema.registry.url).")
    String schemaRegistry;

    @Option(names = "--model", paramLabel = "FILE", description = "TorchScript model file (setting model.path). For a "
            + "model on a server, --set model.backend=openai --set model.base.url=URL --set model.name=NAME "
            + "(docs/models.md).")
    Path model;

    @Mixin
    SettingsOptions settingsOptions;

    @Option(names = "--metrics-port", defaultValue = "9400", description = "Prometheus metrics at http://0.0.0.0:PORT/metrics; -1 turns them off (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Override
    public Integer call() throws Exception {
        WorkerConfig config = new WorkerConfig(props());
        try (BlobStore blobs = new BlobStoreConfig(config.originals()).open(config.blobStorePath());
             ProcessMetrics metrics = new ProcessMetrics();
             StepModel m = config.modelConfig().open(config.step());
             Cancellations cancellations = Cancellations.open(config)) {
            if (metricsPort >= 0) {
                metrics.serve("0.0.0.0", metricsPort);
            }
            ImageStore images = new ImageStore(blobs, config.imageInlineMaxBytes());
            StepWorker worker = new StepWorker(config, m, new HttpSchemaRegistryClient(config.originals()), images,
                    cancellations, metrics.registry());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> worker.stop(Duration.ofSeconds(30)), "irg-worker-shutdown"));
            worker.run();
        }
        return 0;
    }

    Map<String, Object> props() throws IOException {
        Map<String, Object> p = settingsOptions.load();
        p.put(WorkerConfig.STEP, step);
        if (bootstrapServers != null) {
            p.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers);
        }
        if (schemaRegistry != null) {
            p.put(WorkerConfig.SCHEMA_REGISTRY_URL, schemaRegistry);
        }
        if (model != null) {
            p.put(WorkerConfig.MODEL_PATH, model.toString());
        }
        return p;
    }
}
