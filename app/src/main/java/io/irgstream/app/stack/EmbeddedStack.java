package io.irgstream.app.stack;

import io.irgstream.app.metrics.ProcessMetrics;
import io.irgstream.app.security.KafkaAcls;
import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.topology.TrajectoryTopology;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>{@link Builder#secure()} turns everything on, as {@code ./irg dev --secure} runs it: the broker serves SASL_SSL
 * with SCRAM-SHA-512 (and mutual TLS for its own super user) and its StandardAuthorizer denies what no ACL allows; one
 * SCRAM user per role of {@link KafkaAcls} with the ACLs of that role; the registry serves HTTPS and requires basic
 * auth (an admin user registers every schema at start, the roles' users only read); the HTTP API requires API keys.
 * Each step's workers (and their cancellation follower and registry client) connect as that step's user, the
 * topology (and its HTTP API's submitter) as {@code irg-topology}. Certificates, passwords and the API key are made
 * at the first start under {@code <dataDir>/secure} and reused ({@link SecureDev}).
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
    private final Map<Step, Cancellations> stepCancellations = new HashMap<>();
    private SecureDev secure;
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
            if (b.secure) {
                secure = SecureDev.open(b.dataDir.resolve("secure"));
            }
            if (b.externalBootstrap == null) {
                EmbeddedKafkaBroker.Builder kafka = EmbeddedKafkaBroker.builder(b.dataDir.resolve("kafka")).host(b.host)
                        .port(b.kafkaPort);
                if (secure != null) {
                    kafka.security(secure.brokerSecurity());
                }
                broker = kafka.build().start();
                if (secure != null) {
                    for (KafkaAcls.Role role : KafkaAcls.Role.values()) {
                        broker.createScramUser(SecureDev.user(role), secure.password(role));
                    }
                }
            }
            if (b.externalRegistryUrl == null) {
                EmbeddedSchemaRegistry.Builder r = EmbeddedSchemaRegistry.builder().host(b.host).port(b.registryPort)
                        .storeFile(b.dataDir.resolve("registry").resolve("schemas.json"));
                if (secure != null) {
                    r.tls(secure.registryKeyStore(), secure.storePassword())
                            .user(SecureDev.REGISTRY_ADMIN, secure.registryAdminPassword(), true);
                    for (KafkaAcls.Role role : KafkaAcls.Role.values()) {
                        r.user(SecureDev.user(role), secure.password(role), false);
                    }
                }
                registry = r.build().start();
            }
            blobs = new BlobStoreConfig(b.workerProps).open(blobStorePath());
            registryClient = secure != null ? new HttpSchemaRegistryClient(secure.registryAdmin(registryUrl()))
                    : new HttpSchemaRegistryClient(registryUrl());
            try (Admin admin = Admin.create(kafkaClientSettings().toMap())) {
                TopicBootstrap.ensureTopics(admin, b.layout.specs(1));
                if (secure != null) {
                    applyAcls(admin);
                }
            }
            if (secure != null) {
                registerSchemas();
                secure.writeClientProperties(bootstrapServers(), registryUrl());
            }
            log.info("kafka {} and schema registry {} ready in {} ms", bootstrapServers(), registryUrl(),
                    (System.nanoTime() - t0) / 1_000_000);
            if (b.topologyHttpPort != null) {
                Map<String, Object> t = new HashMap<>(b.topologyProps);
                // bootstrap.servers and the connection settings
                t.putAll(clientSettings(KafkaAcls.Role.TOPOLOGY).toMap());
                t.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl());
                if (secure != null) {
                    t.putAll(secure.registry(KafkaAcls.Role.TOPOLOGY, registryUrl()));
                    t.put(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG, secure.apiKeysFile().toString());
                }
                t.put(TopologyConfig.TOPIC_PREFIX_CONFIG, b.layout.prefix());
                t.put(TopologyConfig.HTTP_HOST_CONFIG, b.host);
                t.put(TopologyConfig.HTTP_PORT_CONFIG, b.topologyHttpPort);
                t.put(TopologyConfig.STATE_DIR_CONFIG, b.dataDir.resolve("streams").toString());
                t.put(TopologyConfig.BLOB_STORE_PATH_CONFIG, blobStorePath().toString());
                b.workerProps.forEach((k, v) -> {
                    if (k.startsWith("blob.store.")) {
                        t.put(k, v); // the topology reads the images where the workers write them
                    } else if (k.startsWith("webhook.") || k.startsWith("tenant.") || k.startsWith("scheduler.")) {
                        t.put(k, v); // the topology's own settings (callbacks, tenant limits, admission), --set
                    }
                });
                t.put(TopologyConfig.APPLICATION_ID_CONFIG, applicationId());
                topology = new TopologyService(t).metrics(metrics.registry(), metrics::scrape).start();
            }
            ImageStore images = new ImageStore(blobs, b.inlineMaxBytes);
            if (secure == null) {
                cancellations = new Cancellations(kafkaClientSettings(), b.layout.topics());
            }
            for (Step step : b.steps) {
                KafkaAcls.Role role = KafkaAcls.Role.parse(step.id());
                Cancellations stepFollower = cancellations;
                SchemaRegistryClient stepRegistry = registryClient;
                if (secure != null) {
                    // each step's workers as that step's principal, as separate processes would run them
                    stepFollower = new Cancellations(clientSettings(role), b.layout.topics());
                    stepCancellations.put(step, stepFollower);
                    if (cancellations == null) {
                        cancellations = stepFollower;
                    }
                    stepRegistry = new HttpSchemaRegistryClient(secure.registry(role, registryUrl()));
                }
                for (int i = 0; i < b.workersPerStep; i++) {
                    // Each worker its own model: StepModel need not be thread-safe, and a second worker then adds compute.
                    StepModel model = b.models.apply(step);
                    models.add(model);
                    Map<String, Object> props = new HashMap<>(b.workerProps);
                    props.put(WorkerConfig.STEP, step.id());
                    if (secure != null) {
                        props.putAll(clientSettings(role).toMap());
                    }
                    props.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrapServers());
                    props.put(WorkerConfig.SCHEMA_REGISTRY_URL, registryUrl());
                    props.put(WorkerConfig.TOPIC_PREFIX, b.layout.prefix());
                    props.put(WorkerConfig.WORKER_ID, step.id() + "-" + i);
                    props.put(WorkerConfig.BLOB_STORE_PATH, blobStorePath().toString());
                    StepWorker w = new StepWorker(new WorkerConfig(props), model, stepRegistry, images, stepFollower,
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

    /** The topology's application id: the one given, else {@code <prefix without dots>-topology}. */
    private String applicationId() {
        Object given = b.topologyProps.get(TopologyConfig.APPLICATION_ID_CONFIG);
        return given != null ? given.toString()
                : b.layout.topics().prefix().replaceAll("[^A-Za-z0-9_-]", "-") + "topology";
    }

    /** The ACLs of every role ({@link KafkaAcls}) for this stack's prefix and application id; existing ones stay. */
    private void applyAcls(Admin admin) {
        KafkaAcls acls = new KafkaAcls(b.layout.prefix(), applicationId(), Map.of());
        try {
            admin.createAcls(acls.all()).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the ACLs of the secure stack on " + bootstrapServers()
                    + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the ACLs of the secure stack", e);
        }
    }

    /**
     * Registers, as the registry's admin user, the value schema of every topic with a value class and the
     * topology's changelog subject, so that every role can run with a read-only registry user (its serializers look
     * the schemas up). The retry topics need none: their records are copied as they are.
     */
    private void registerSchemas() {
        Topics topics = b.layout.topics();
        for (Topic<?> topic : topics.all()) {
            topic.valueClass().ifPresent(c -> registryClient.register(topic.valueSubject(), schemaOf(c)));
        }
        String changelog = applicationId() + "-" + TrajectoryTopology.TRAJECTORY_STORE + "-changelog";
        registryClient.register(io.irgstream.schemas.IrgAvroSerializer.subjectName(changelog, false),
                schemaOf(topics.trajectories().valueClass().orElseThrow()));
    }

    private static org.apache.avro.Schema schemaOf(Class<?> type) {
        return org.apache.avro.specific.SpecificData.getForClass(type).getSchema(type);
    }

    /** The Kafka client settings of {@code role}'s clients: its own user when secure, else the stack's settings. */
    private KafkaClientSettings clientSettings(KafkaAcls.Role role) {
        return secure != null ? secure.kafka(role, bootstrapServers()) : kafkaClientSettings();
    }

    public String bootstrapServers() {
        return broker != null ? broker.bootstrapServers() : b.externalBootstrap;
    }

    /**
     * The Kafka client settings of every client of the stack (its admin client, topology, cancellation follower and
     * workers, and what a caller builds to talk to it): the bootstrap servers and the connection settings
     * (security.protocol, sasl.*, ssl.*) among the worker settings. For a {@linkplain Builder#secure() secure} stack,
     * whose topology and workers connect as their roles' users ({@link #secure()}), the settings of its
     * administrator instead: mutual TLS with the broker's own certificate (a super user) on the broker's mTLS
     * listener.
     */
    public KafkaClientSettings kafkaClientSettings() {
        if (secure != null && broker != null) {
            return KafkaClientSettings.from(broker.superUserClientSettings())
                    .withBootstrapServers(broker.mtlsBootstrapServers());
        }
        return KafkaClientSettings.from(b.workerProps).withBootstrapServers(bootstrapServers());
    }

    /** @return the certificates, passwords and API key of a {@linkplain Builder#secure() secure} stack, else null */
    public SecureDev secure() {
        return secure;
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

    /** The cancelled trajectories this stack's workers skip (of a secure stack: as its first step's workers see them). */
    public Cancellations cancellations() {
        return cancellations;
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    /**
     * Stops everything started, in reverse order. Safe to call more than once and from several threads at once (as
     * {@code ./irg dev}'s shutdown hook and its main thread do): a second call waits for the first and finds nothing
     * left to stop.
     */
    @Override
    public synchronized void close() {
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
        if (cancellations != null && !stepCancellations.containsValue(cancellations)) {
            cancellations.close();
        }
        cancellations = null;
        stepCancellations.values().forEach(Cancellations::close);
        stepCancellations.clear();
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
        private boolean secure;

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

        /**
         * Everything on, as {@code ./irg dev --secure} runs it (see the class description): SASL_SSL with
         * SCRAM-SHA-512, ACLs and one user per role on the broker, HTTPS and basic auth on the registry, API keys on
         * the HTTP API, with the certificates, passwords and key under {@code <dataDir>/secure} ({@link SecureDev}).
         * Needs the embedded broker and registry: not with {@link #externalKafka} or {@link #externalRegistry}.
         */
        public Builder secure() {
            this.secure = true;
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
            if (secure && (externalBootstrap != null || externalRegistryUrl != null)) {
                throw new IllegalStateException("the secure stack runs its own broker and registry: it cannot use an "
                        + "external Kafka cluster or schema registry");
            }
            return new EmbeddedStack(this);
        }
    }
}
