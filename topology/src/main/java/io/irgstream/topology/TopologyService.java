package io.irgstream.topology;

import io.irgstream.events.Trajectory;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgSerdes;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.topology.internals.ApiAuth;
import io.irgstream.topology.internals.HttpTls;
import io.irgstream.topology.internals.TrajectoryApi;
import io.irgstream.topology.internals.TrajectoryFeed;
import io.irgstream.topology.internals.TrajectoryQueries;
import io.irgstream.topology.internals.WebhookDispatcher;
import io.irgstream.events.DeadLetter;
import io.irgstream.schemas.IrgAvroSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the trajectory topology ({@link TrajectoryTopology}) as a Kafka Streams app, exactly_once_v2, together with
 * its HTTP API and web page (routes in {@code docs/api.md}).
 *
 * <p>Lifecycle: construct, {@link #start()} (checks that the pipeline's topics exist with equal partition counts,
 * binds the HTTP port, then starts Kafka Streams with {@code application.server} set to this instance's HTTP
 * address), optionally {@link #awaitRunning(Duration)}, then {@link #close()}. An instance starts once. The HTTP API
 * answers from the moment {@code start} returns: {@code /healthz} at once, {@code /readyz} with 200 once Kafka
 * Streams is RUNNING, data routes with 503 until the stores are queryable.
 *
 * <pre>{@code
 * try (TopologyService service = new TopologyService(Map.of(
 *         TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092",
 *         TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:8081",
 *         TopologyConfig.STATE_DIR_CONFIG, "data/topology",
 *         TopologyConfig.BLOB_STORE_PATH_CONFIG, "data/blobs")).start()) {
 *     service.awaitRunning(Duration.ofSeconds(30));
 *     System.out.println(service.url());
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class TopologyService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TopologyService.class);

    private final TopologyConfig config;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private volatile KafkaStreams streams;
    private WebhookDispatcher webhooks;
    private String url;
    private int port;
    private boolean started;
    private boolean closed;
    private java.util.function.Supplier<String> metricsScrape;
    private io.micrometer.core.instrument.MeterRegistry meterRegistry;

    /**
     * @param config the settings
     */
    public TopologyService(TopologyConfig config) {
        this.config = config;
    }

    /**
     * @param settings the settings, see {@link TopologyConfig}
     * @throws org.apache.kafka.common.config.ConfigException naming the setting when one is missing or invalid
     */
    public TopologyService(Map<?, ?> settings) {
        this(new TopologyConfig(settings));
    }

    /**
     * Publishes the trajectory meters ({@link TrajectoryMetrics}) to {@code registry} and serves the process's
     * metrics at {@code /metrics} of the HTTP API, in the Prometheus text format that {@code scrape} returns.
     * Call before {@link #start()}.
     *
     * @return this
     */
    public synchronized TopologyService metrics(io.micrometer.core.instrument.MeterRegistry registry,
                                                java.util.function.Supplier<String> scrape) {
        this.meterRegistry = registry;
        this.metricsScrape = scrape;
        return this;
    }

    /**
     * Starts the HTTP API and Kafka Streams; returns without waiting for RUNNING.
     *
     * @return this
     * @throws IllegalStateException when already started or closed, or when a topic is missing or the input topics'
     *     partition counts differ (the message names them)
     */
    public synchronized TopologyService start() {
        if (started || closed) {
            throw new IllegalStateException("a TopologyService starts once");
        }
        started = true;
        try {
            config.checkExposure();
            ApiAuth auth = config.apiAuth();
            HttpTls tls = config.httpTls();
            Topics topics = config.topics();
            checkTopics(topics);
            SchemaRegistryClient registry = new HttpSchemaRegistryClient(config.registryClientSettings());
            TrajectoryClient submitter = add(new TrajectoryClient(config.kafkaClientSettings(), registry,
                    topics.prefix(), "http"));
            TrajectoryFeed feed = add(new TrajectoryFeed(config.kafkaClientSettings(), topics.trajectories().name(),
                    IrgSerdes.forClass(Trajectory.class, registry, false).deserializer()));
            ImageStore images = new ImageStore(add(config.openBlobStore()), 0);
            TrajectoryApi api = new TrajectoryApi(submitter, feed, images, this::state,
                    config.sseMaxStreams(), config.sseWait(), config.requestOrigins(), auth, tls);
            api.metrics(metricsScrape);
            api.idempotencyRetention(config.idempotencyRetention());
            api.webhookPolicy(config.webhookPolicy());
            io.irgstream.topology.internals.AdmissionGate admission = new io.irgstream.topology.internals.AdmissionGate(
                    config.schedulerWindow(), config.schedulerInteractiveHeadroom());
            api.admission(admission);
            if (meterRegistry != null) {
                TrajectoryMetrics trajectoryMetrics = new TrajectoryMetrics(meterRegistry);
                feed.addListener(trajectoryMetrics);
                api.tenantQuota(config.tenantMaxInFlight(), trajectoryMetrics::submit);
            } else {
                api.tenantQuota(config.tenantMaxInFlight(), (tenant, outcome) -> { });
            }
            port = api.start(config.httpHost(), config.httpPort());
            add(api);
            String host = config.httpHost();
            boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
            url = (tls != null ? "https://" : "http://") + (wildcard ? "127.0.0.1" : host) + ":" + port;
            String server = config.applicationServer(port);

            StreamsBuilder builder = new StreamsBuilder();
            TrajectoryTopology.build(builder, config, registry);
            streams = new KafkaStreams(builder.build(), config.streamsProperties(server));
            admission.attach(streams);
            streams.setUncaughtExceptionHandler(e -> {
                LOG.error("trajectory topology stopped: {}", e.toString(), e);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            api.attach(new TrajectoryQueries(streams, HostInfo.buildFromEndpoint(server),
                    tls != null ? tls.clientContext() : null));
            streams.start();
            if (!config.webhookPolicy().refusesAll()) { // webhooks on: only then read the whole trajectories topic
                webhooks = add(new WebhookDispatcher(new WebhookDispatcher.Settings(config.webhookPolicy(),
                        config.webhookSecret(), config.webhookMaxAttempts(), config.webhookTimeout(),
                        config.webhookBackoff(), config.webhookBackoffMax(), config.webhookPublicUrl().isEmpty()
                        ? "http://" + server : config.webhookPublicUrl()), config.kafkaClientSettings().toMap(),
                        config.applicationId() + "-webhooks", topics.trajectories().name(),
                        topics.deadLetters().name(), IrgSerdes.forClass(Trajectory.class, registry, false)
                        .deserializer(), new IrgAvroSerializer<DeadLetter>(registry), meterRegistry)).start();
            }
            LOG.info("trajectory topology {} serving {} (application.server {})", config.applicationId(), url,
                    server);
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Waits until Kafka Streams is RUNNING.
     *
     * @param timeout how long to wait at most
     * @return true when RUNNING, false when the timeout passed or the app failed
     */
    public boolean awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State s = state();
            if (s == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING && streams != null) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return state() == KafkaStreams.State.RUNNING;
    }

    /** @return the base URL of the HTTP API, e.g. {@code http://127.0.0.1:8080}; null before {@link #start()} */
    public synchronized String url() {
        return url;
    }

    /** @return the bound HTTP port; 0 before {@link #start()} */
    public synchronized int port() {
        return port;
    }

    /** @return the Kafka Streams state; CREATED before it exists */
    public KafkaStreams.State state() {
        KafkaStreams s = streams;
        return s == null ? KafkaStreams.State.CREATED : s.state();
    }

    /** @return the settings */
    public TopologyConfig config() {
        return config;
    }

    /** Stops Kafka Streams, the HTTP API and the clients; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (webhooks != null) {
            webhooks.close(); // first: callbacks under way are left to the next owner, not finished meanwhile
        }
        if (streams != null) {
            streams.close(Duration.ofSeconds(30));
        }
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", resources.get(i).getClass().getSimpleName(), e.toString());
            }
        }
    }

    private <T extends AutoCloseable> T add(T resource) {
        resources.add(resource);
        return resource;
    }

    private void checkTopics(Topics topics) {
        Map<String, Object> props = config.kafkaClientSettings().applyTo(new java.util.HashMap<>(Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000)));
        List<String> names = topics.all().stream().map(Topic::name).toList();
        Map<String, TopicDescription> found;
        try (Admin admin = Admin.create(props)) {
            found = admin.describeTopics(names).allTopicNames().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException("a topic of " + names + " does not exist on "
                        + config.bootstrapServers() + ": create the irg topics first (" + e.getCause().getMessage()
                        + ")");
            }
            throw new IllegalStateException("cannot describe the irg topics on " + config.bootstrapServers() + ": "
                    + config.kafkaClientSettings().explain(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + config.bootstrapServers() + " in 20 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the irg topics");
        }
        Map<String, Integer> inputs = new LinkedHashMap<>();
        for (Topic<?> t : topics.all()) {
            if (!t.equals(topics.trajectories())) {
                inputs.put(t.name(), found.get(t.name()).partitions().size());
            }
        }
        if (inputs.values().stream().distinct().count() > 1) {
            throw new IllegalStateException("the topology's input topics must have the same number of partitions, "
                    + "found " + inputs.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(", ")));
        }
    }
}
