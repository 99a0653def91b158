package io.irgstream.embedded.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.embedded.TopicSpec;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * One real Kafka broker shared by every test in the JVM.
 *
 * <p>The broker starts lazily on first use and is stopped by a JVM shutdown hook. It is a Testcontainers
 * {@code apache/kafka} container when a Docker engine is available (and {@code org.testcontainers:kafka} is on the
 * test classpath), and an in-process {@link EmbeddedKafkaBroker} on a temporary directory otherwise. The system property
 * {@value #MODE_PROPERTY} forces one: {@code embedded}, {@code container} or {@code auto} (the default);
 * {@value #IMAGE_PROPERTY} picks the container image (default {@value #DEFAULT_IMAGE}). Both kinds are set up the
 * same way for one node: internal topics with replication factor 1, no topic auto-creation, 16 MiB records.
 *
 * <p>Tests share the broker, so each test class should name its topics with {@link #uniqueTopicPrefix(String)}
 * and its consumer groups uniquely. Typical use from another module's test:
 *
 * <pre>{@code
 * String topic = KafkaFixture.uniqueTopicPrefix("orders") + "in";
 * KafkaFixture.createTopics(TopicSpec.of(topic, 3));
 * try (var producer = new KafkaProducer<>(KafkaFixture.producerProps(),
 *         new StringSerializer(), new StringSerializer())) { ... }
 * }</pre>
 *
 * <p>All methods are thread-safe.
 */
public final class KafkaFixture {

    /** System property choosing the broker kind: {@code auto}, {@code embedded} or {@code container}. */
    public static final String MODE_PROPERTY = "irg.test.kafka";

    /** System property naming the Docker image used in container mode. */
    public static final String IMAGE_PROPERTY = "irg.test.kafka.image";

    /** Container image used when {@value #IMAGE_PROPERTY} is not set. */
    public static final String DEFAULT_IMAGE = "apache/kafka:4.1.0";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFixture.class);

    private static Broker broker;
    private static Admin admin;

    private KafkaFixture() {
    }

    /** @return {@code host:port} of the shared broker, starting it if needed */
    public static String bootstrapServers() {
        return broker().bootstrapServers();
    }

    /** @return a short description of the shared broker (kind and address), starting it if needed */
    public static String describe() {
        Broker current = broker();
        return current.kind() + " Kafka at " + current.bootstrapServers();
    }

    /**
     * Creates the given topics on the shared broker if they do not exist yet.
     *
     * @param topics topics to create
     * @return names of the topics this call created
     */
    public static Set<String> createTopics(TopicSpec... topics) {
        return TopicBootstrap.ensureTopics(sharedAdmin(), List.of(topics));
    }

    /**
     * Returns a topic-name prefix no other call returns in this JVM, so tests sharing the broker do not collide.
     *
     * @param base readable start of the prefix, e.g. the test's subject; characters outside
     *             {@code [a-zA-Z0-9._-]} are replaced by {@code -}
     * @return {@code base-xxxxxxxx-}, ready to have a topic name appended
     */
    public static String uniqueTopicPrefix(String base) {
        String clean = base.replaceAll("[^a-zA-Z0-9._-]", "-");
        return clean + "-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    }

    /** @return a new Admin client of the shared broker; the caller closes it */
    public static Admin admin() {
        return Admin.create(adminProps());
    }

    /** @return client settings that reach the shared broker; a new mutable map */
    public static Map<String, Object> adminProps() {
        Map<String, Object> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /**
     * Producer defaults for tests: acks=all, idempotent, no lingering, records up to 16 MiB. Serializers are
     * not set; pass them to the producer's constructor or add them.
     *
     * @return a new mutable map
     */
    public static Map<String, Object> producerProps() {
        Map<String, Object> props = adminProps();
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, EmbeddedKafkaBroker.DEFAULT_MESSAGE_MAX_BYTES);
        return props;
    }

    /**
     * Consumer defaults for tests: reads from the earliest offset, commits nothing automatically and sees only
     * committed transactional records (read_committed). Deserializers are not set.
     *
     * @param groupId consumer group id; make it unique per test
     * @return a new mutable map
     */
    public static Map<String, Object> consumerProps(String groupId) {
        Map<String, Object> props = adminProps();
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, EmbeddedKafkaBroker.DEFAULT_MESSAGE_MAX_BYTES);
        return props;
    }

    /**
     * Polls {@code consumer} until it has returned at least {@code count} records or {@code timeout} has passed.
     * The consumer must already be subscribed or assigned.
     *
     * @param consumer a subscribed consumer
     * @param count    how many records to wait for
     * @param timeout  how long to wait at most
     * @param <K>      key type
     * @param <V>      value type
     * @return every record polled, possibly more or fewer than {@code count}
     */
    public static <K, V> List<ConsumerRecord<K, V>> poll(Consumer<K, V> consumer, int count, Duration timeout) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return records;
    }

    private static synchronized Admin sharedAdmin() {
        if (admin == null) {
            admin = admin();
        }
        return admin;
    }

    private static synchronized Broker broker() {
        if (broker == null) {
            long startNanos = System.nanoTime();
            Broker started = startBroker();
            broker = started;
            Runtime.getRuntime().addShutdownHook(new Thread(KafkaFixture::shutDown, "irg-kafka-fixture-shutdown"));
            LOG.info("{} Kafka for tests at {} started in {} ms", started.kind(), started.bootstrapServers(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        }
        return broker;
    }

    private static Broker startBroker() {
        String mode = System.getProperty(MODE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        switch (mode) {
            case "embedded":
                return new InProcessBroker();
            case "container":
                return new ContainerBroker(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE));
            case "auto":
                return dockerAvailable()
                        ? new ContainerBroker(System.getProperty(IMAGE_PROPERTY, DEFAULT_IMAGE))
                        : new InProcessBroker();
            default:
                throw new IllegalStateException("System property " + MODE_PROPERTY + "=" + mode
                        + " is not one of auto, embedded, container");
        }
    }

    /** False when no Docker engine answers, or when Testcontainers is not on the test classpath at all. */
    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (LinkageError e) {
            LOG.debug("Testcontainers is not on the classpath; using the in-process broker", e);
            return false;
        }
    }

    private static synchronized void shutDown() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    /** A started broker of either kind. */
    private interface Broker extends AutoCloseable {

        String kind();

        String bootstrapServers();

        @Override
        void close();
    }

    /** The in-process broker on a temporary directory that is deleted on close. */
    private static final class InProcessBroker implements Broker {

        private final Path dataDir;
        private final EmbeddedKafkaBroker kafka;

        InProcessBroker() {
            try {
                dataDir = Files.createTempDirectory("irg-kafka-fixture-");
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create a temporary directory for the test broker", e);
            }
            kafka = EmbeddedKafkaBroker.builder(dataDir).build().start();
        }

        @Override
        public String kind() {
            return "in-process";
        }

        @Override
        public String bootstrapServers() {
            return kafka.bootstrapServers();
        }

        @Override
        public void close() {
            try {
                kafka.close();
            } finally {
                deleteRecursively(dataDir);
            }
        }

        private static void deleteRecursively(Path dir) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException e) {
                LOG.warn("Could not delete the test broker's directory {}: {}", dir, e.getMessage());
            }
        }
    }

    /** A Testcontainers {@code apache/kafka} broker configured like the in-process one. */
    private static final class ContainerBroker implements Broker {

        private final KafkaContainer container;

        @SuppressWarnings("resource")
        ContainerBroker(String image) {
            container = new KafkaContainer(DockerImageName.parse(image).asCompatibleSubstituteFor("apache/kafka"))
                    .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                    .withEnv("KAFKA_MESSAGE_MAX_BYTES", Integer.toString(EmbeddedKafkaBroker.DEFAULT_MESSAGE_MAX_BYTES))
                    .withEnv("KAFKA_TRANSACTION_STATE_LOG_NUM_PARTITIONS", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
                    .withEnv("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1");
            container.start();
        }

        @Override
        public String kind() {
            return "container " + container.getDockerImageName();
        }

        @Override
        public String bootstrapServers() {
            return container.getBootstrapServers();
        }

        @Override
        public void close() {
            container.stop();
        }
    }
}
