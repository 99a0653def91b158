package io.irgstream.app.stack;

import io.irgstream.app.metrics.ProcessMetrics;
import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.topology.TopologyService;
import io.irgstream.worker.Cancellations;
import io.irgstream.worker.StepWorker;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.schemas.images.BlobStore;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.schemas.images.ImageStore;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The embedded default: one JVM running a real Kafka broker (KRaft, data under {@code <dataDir>/kafka}), a
 * Confluent-compatible schema registry (schemas kept in {@code <dataDir>/registry/schemas.json}), the topics,
 * optionally the trajectory topology with its HTTP API (state in {@code <dataDir>/streams}), and
 * {@code workersPerStep} workers for each of the four steps, each on its own thread with its own consumer,
 * transactional producer and model instance, exactly as separate processes would run them.
 *
 * <p>Start order: broker, registry, topics, models, workers. {@link #close()} stops them in reverse order; every
 * worker finishes its open batch first.
 */
public final class EmbeddedStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedStack.class);

    private final Builder b;
    private EmbeddedKafkaBroker broker;
    private EmbeddedSchemaRegistry registry;
    private SchemaRegistryClient registryClient;
    private final List<StepModel> models = new ArrayList<>();
    private final List<StepWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private Cancellations cancellations;
    private TopologyService topology;
    private BlobStore blobs;
    private final ProcessMetrics metrics = new ProcessMetrics();

    private EmbeddedStack(Builder b) {
        this.b = b;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** Starts everything; on failure stops what was started and rethrows. */
    public EmbeddedStack start() {
        try {
            long t0 = System.nanoTime();
            if (b.externalBootstrap == null) {
                broker = EmbeddedKafkaBroker.builder(b.dataDir.resolve("kafka")).host(b.host).port(b.kafkaPort).build().start();
            }
            if (b.externalRegistryUrl == null) {
                registry = EmbeddedSchemaRegistry.builder().host(b.host).port(b.registryPort)
                        .storeFile(b.dataDir.resolve("registry").resolve("schemas.json")).build().start();
            }
            blobs = new BlobStoreConfig(b.workerProps).open(blobStorePath());
            registryClient = new HttpSchemaRegistryClient(registryUrl());
            try (Admin admin = Admin.create(kafkaClientSettings().toMap())) {
                TopicBootstrap.ensureTopics(admin, b.layout.specs(1));
            }
            log.info("kafka {} and schema registry {} ready in {} ms", bootstrapServers(), registryUrl(),
                    (System.nanoTime() - t0) / 1_000_000);
            if (b.topologyHttpPort != null) {
                Map<String, Object> t = new HashMap<>(b.topologyProps);
                t.putAll(kafkaClientSettings().toMap()); // bootstrap.servers and the connection settings
                t.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
                t.put(TopologyConfig.TOPIC_PREFIX_CONFIG, b.layout.prefix());
                t.put(TopologyConfig.HTTP_HOST_CONFIG, b.host);
                t.put(TopologyConfig.HTTP_PORT_CONFIG, b.topologyHttpPort);
                t.put(TopologyConfig.STATE_DIR_CONFIG, b.dataDir.resolve("streams").toString());
                t.put(TopologyConfig.BLOB_STORE_PATH_CONFIG, blobStorePath().toString());
                b.workerProps.forEach((k, v) -> {
                    if (k.startsWith("blob.store.")) {
                        t.put(k, v); // the topology reads the images where the workers write them
                    } else if (k.startsWith("webhook.") || k.startsWith("tenant.")) {
                        t.put(k, v); // the topology's own settings (callbacks, tenant limits), given with --set
                    }
                });
                t.putIfAbsent(TopologyConfig.APPLICATION_ID_CONFIG, b.layout.topics().prefix().replaceAll("[^A-Za-z0-9_-]", "-") + "topology");
                topology = new TopologyService(t).metrics(metrics.registry(), metrics::scrape).start();
            }
            ImageStore images = new ImageStore(blobs, b.inlineMaxBytes);
            cancellations = new Cancellations(kafkaClientSettings(), b.layout.topics());
            for (Step step : b.steps) {
                for (int i = 0; i < b.workersPerStep; i++) {
                    // Each worker its own model: StepModel need not be thread-safe, and a second worker then adds compute.
                    StepModel model = b.models.apply(step);
                    models.add(model);
                    Map<String, Object> props = new HashMap<>(b.workerProps);
                    props.put(WorkerConfig.STEP, step.id());
                    props.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers());
                    props.put(WorkerConfig.SCHEMA_REGISTRY_URL, registryUrl());
                    props.put(WorkerConfig.TOPIC_PREFIX, b.layout.prefix());
                    props.put(WorkerConfig.WORKER_ID, step.id() + "-" + i);
                    props.put(WorkerConfig.BLOB_STORE_PATH, blobStorePath().toString());
                    StepWorker w = new StepWorker(new WorkerConfig(props), model, registryClient, images, cancellations,
                            metrics.registry());
                    Thread t = new Thread(w, "irg-" + step.id() + "-" + i);
                    workers.add(w);
                    threads.add(t);
                    t.start();
                }
            }
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String bootstrapServers() {
        return broker != null ? broker.bootstrapServers() : b.externalBootstrap;
    }

    /**
     * The Kafka client settings of every client of the stack (its admin client, topology, cancellation follower and
     * workers, and what a caller builds to talk to it): the bootstrap servers and the connection settings
     * (security.protocol, sasl.*, ssl.*) among the worker settings.
     */
    public KafkaClientSettings kafkaClientSettings() {
        return KafkaClientSettings.from(b.workerProps).withBootstrapServers(bootstrapServers());
    }

    public String registryUrl() {
        return registry != null ? registry.url() : b.externalRegistryUrl;
    }

    public SchemaRegistryClient registryClient() {
        return registryClient;
    }

    public TopicLayout layout() {
        return b.layout;
    }

    public Path blobStorePath() {
        return b.dataDir.resolve("blobs");
    }

    /** Where the workers keep images too large to travel inline: {@code blob.store.uri}, else {@link #blobStorePath()}. */
    public BlobStore blobStore() {
        return blobs;
    }

    /** The workers' image store (while the stack runs). */
    public ImageStore imageStore() {
        return new ImageStore(blobs, b.inlineMaxBytes);
    }

    /** The process's meters (workers, JVM, native memory); served at /metrics of the topology's HTTP API. */
    public ProcessMetrics metrics() {
        return metrics;
    }

    /** The trajectory topology and HTTP API, or null when not enabled. */
    public TopologyService topology() {
        return topology;
    }

    public List<StepWorker> workers() {
        return List.copyOf(workers);
    }

    /** The cancelled trajectories this stack's workers skip. */
    public Cancellations cancellations() {
        return cancellations;
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    @Override
    public void close() {
        for (StepWorker w : workers) {
            w.stop(Duration.ZERO);
        }
        for (int i = 0; i < workers.size(); i++) {
            if (!workers.get(i).stop(Duration.ofSeconds(30))) {
                log.warn("worker thread {} did not stop within 30 s", threads.get(i).getName());
            }
        }
        workers.clear();
        threads.clear();
        if (topology != null) {
            topology.close();
            topology = null;
        }
        if (cancellations != null) {
            cancellations.close();
            cancellations = null;
        }
        if (blobs != null) {
            blobs.close();
            blobs = null;
        }
        java.util.Set<StepModel> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        distinct.addAll(models);
        for (StepModel m : distinct) {
            m.close();
        }
        models.clear();
        if (registry != null) {
            registry.close();
            registry = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
        metrics.close();
    }

    /** Settings of the embedded stack. */
    public static final class Builder {
        private final Path dataDir;
        private String host = "127.0.0.1";
        private int kafkaPort = EmbeddedKafkaBroker.DEFAULT_PORT;
        private int registryPort = EmbeddedSchemaRegistry.DEFAULT_PORT;
        private String externalBootstrap;
        private String externalRegistryUrl;
        private TopicLayout layout = new TopicLayout("irg.", 4, TopicLayout.DEFAULT_RETENTION_MS);
        private int workersPerStep = 1;
        private int inlineMaxBytes = 256 * 1024;
        private List<Step> steps = List.of(Step.values());
        private Function<Step, StepModel> models;
        private final Map<String, Object> workerProps = new HashMap<>();
        private Integer topologyHttpPort;
        private final Map<String, Object> topologyProps = new HashMap<>();

        private Builder(Path dataDir) {
            this.dataDir = dataDir.toAbsolutePath().normalize();
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** Kafka port; 0 picks a free one. */
        public Builder kafkaPort(int port) {
            this.kafkaPort = port;
            return this;
        }

        /** Schema registry port; 0 picks a free one. */
        public Builder registryPort(int port) {
            this.registryPort = port;
            return this;
        }

        /** Use an existing Kafka cluster instead of starting a broker. */
        public Builder externalKafka(String bootstrapServers) {
            this.externalBootstrap = bootstrapServers;
            return this;
        }

        /** Use an existing schema registry instead of starting one. */
        public Builder externalRegistry(String url) {
            this.externalRegistryUrl = url;
            return this;
        }

        public Builder layout(TopicLayout layout) {
            this.layout = layout;
            return this;
        }

        public Builder workersPerStep(int n) {
            if (n < 0 || n > 16) {
                throw new IllegalArgumentException("workers per step must be in 0..16, got " + n);
            }
            this.workersPerStep = n;
            return this;
        }

        /** Which steps get workers (default all four). */
        public Builder steps(List<Step> steps) {
            this.steps = List.copyOf(steps);
            return this;
        }

        /**
         * How to get a model of each step: called once per worker at start, so each worker thread has its own
         * instance (a model need not be thread-safe); every instance returned is closed with the stack.
         */
        public Builder models(Function<Step, StepModel> models) {
            this.models = models;
            return this;
        }

        /** A worker setting ({@link WorkerConfig} names) applied to every worker. */
        public Builder workerSetting(String name, Object value) {
            workerProps.put(name, value);
            return this;
        }

        /** Runs the trajectory topology and its HTTP API on {@code httpPort} (0 picks a free one). */
        public Builder topology(int httpPort) {
            this.topologyHttpPort = httpPort;
            return this;
        }

        /** A topology setting ({@link TopologyConfig} names). */
        public Builder topologySetting(String name, Object value) {
            topologyProps.put(name, value);
            return this;
        }

        public Builder imageInlineMaxBytes(int n) {
            this.inlineMaxBytes = n;
            workerProps.put(WorkerConfig.IMAGE_INLINE_MAX_BYTES, n);
            return this;
        }

        public EmbeddedStack build() {
            if (models == null) {
                throw new IllegalStateException("no model source given: call models(...)");
            }
            return new EmbeddedStack(this);
        }
    }
}
