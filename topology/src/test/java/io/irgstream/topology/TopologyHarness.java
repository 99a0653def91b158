package io.irgstream.topology;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgSerdes;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The production topology ({@link TrajectoryTopology#build}) in a {@link TopologyTestDriver}, with serdes on a real
 * embedded schema registry and a mocked wall clock.
 */
final class TopologyHarness implements AutoCloseable {

    static final Instant WALL_CLOCK_START = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration THINK_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DRAW_TIMEOUT = Duration.ofSeconds(60);
    static final Duration REFLECT_TIMEOUT = Duration.ofSeconds(90);
    static final Duration REFINE_TIMEOUT = Duration.ofSeconds(120);
    static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

    private final TopologyTestDriver driver;
    private final Topics topics;
    private final SchemaRegistryClient registry;
    private final TestOutputTopic<String, Trajectory> output;
    private final Map<Class<?>, TestInputTopic<String, SpecificRecord>> inputs = new HashMap<>();
    private final Path stateDir;
    private final TestInputTopic<String, PromptSubmitted> submissions;
    private final TestOutputTopic<String, PromptSubmitted> prompts;
    private Instant eventTime = WALL_CLOCK_START;

    TopologyHarness(EmbeddedSchemaRegistry schemaRegistry) {
        this(schemaRegistry, Map.of());
    }

    /** With further topology settings {@code extra} (e.g. the admission scheduler's). */
    TopologyHarness(EmbeddedSchemaRegistry schemaRegistry, Map<String, Object> extra) {
        try {
            stateDir = Files.createTempDirectory("irg-topology-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Object> settings = new HashMap<>(extra);
        settings.putAll(Map.of(
                TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092",
                TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistry.url(),
                TopologyConfig.STATE_DIR_CONFIG, stateDir.toString(),
                TopologyConfig.STALL_TIMEOUT_THINK_MS_CONFIG, THINK_TIMEOUT.toMillis(),
                TopologyConfig.STALL_TIMEOUT_DRAW_MS_CONFIG, DRAW_TIMEOUT.toMillis(),
                TopologyConfig.STALL_TIMEOUT_REFLECT_MS_CONFIG, REFLECT_TIMEOUT.toMillis(),
                TopologyConfig.STALL_TIMEOUT_REFINE_MS_CONFIG, REFINE_TIMEOUT.toMillis(),
                TopologyConfig.STALL_CHECK_INTERVAL_MS_CONFIG, CHECK_INTERVAL.toMillis()));
        TopologyConfig config = new TopologyConfig(settings);
        topics = config.topics();
        StreamsBuilder builder = new StreamsBuilder();
        TrajectoryTopology.build(builder, config);
        Properties props = config.streamsProperties(null);
        driver = new TopologyTestDriver(builder.build(), props, WALL_CLOCK_START);
        registry = new HttpSchemaRegistryClient(schemaRegistry.url());
        output = driver.createOutputTopic(topics.trajectories().name(), new StringDeserializer(),
                IrgSerdes.forClass(Trajectory.class, registry, false).deserializer());
        for (Topic<?> t : List.of(topics.prompts(), topics.thoughts(), topics.draftImages(), topics.reflections(),
                topics.finalImages(), topics.deadLetters(), topics.cancellations())) {
            input(t);
        }
        submissions = driver.createInputTopic(topics.submissions().name(), new StringSerializer(),
                IrgSerdes.forClass(PromptSubmitted.class, registry, false).serializer());
        prompts = driver.createOutputTopic(topics.prompts().name(), new StringDeserializer(),
                IrgSerdes.forClass(PromptSubmitted.class, registry, false).deserializer());
    }

    /** Sends a submission to the admission scheduler's topic, a millisecond of event time after the last event. */
    void submit(String id, PromptSubmitted submission) {
        eventTime = eventTime.plusMillis(1);
        submissions.pipeInput(id, submission, eventTime);
    }

    /**
     * @return the prompts the topology wrote to the prompts topic (the scheduler's releases) since the last call, with
     *     not the prompts the test itself sent there
     */
    List<org.apache.kafka.streams.test.TestRecord<String, PromptSubmitted>> prompts() {
        return prompts.readRecordsToList();
    }

    /** @return a counter of the admission scheduler's state store (0 when absent), e.g. inflight, queued */
    long admission(String key) {
        KeyValueStore<String, String> store = driver.getKeyValueStore(TrajectoryTopology.ADMISSION_STATE_STORE);
        String v = store.get(key);
        return v == null ? 0 : Long.parseLong(v);
    }

    @SuppressWarnings("unchecked")
    private <V extends SpecificRecord> void input(Topic<V> topic) {
        Class<V> type = topic.valueClass().orElseThrow();
        TestInputTopic<String, V> in = driver.createInputTopic(topic.name(), new StringSerializer(),
                IrgSerdes.forClass(type, registry, false).serializer());
        inputs.put(type, (TestInputTopic<String, SpecificRecord>) (TestInputTopic<String, ?>) in);
    }

    /** Sends events keyed by {@code id}, each a millisecond of event time after the last. */
    void send(String id, SpecificRecord... events) {
        for (SpecificRecord e : events) {
            eventTime = eventTime.plusMillis(1);
            inputs.get(e.getClass()).pipeInput(id, e, eventTime);
        }
    }

    /** Advances the mocked wall clock, running due punctuations. */
    void advance(Duration d) {
        driver.advanceWallClockTime(d);
    }

    /** @return the trajectory in the store, or null */
    Trajectory stored(String id) {
        KeyValueStore<String, Trajectory> store = driver.getKeyValueStore(TrajectoryTopology.TRAJECTORY_STORE);
        return store.get(id);
    }

    /** @return the trajectory id the image index maps {@code sha256} to, or null */
    String imageOwner(String sha256) {
        KeyValueStore<String, String> store = driver.getKeyValueStore(TrajectoryTopology.IMAGE_INDEX_STORE);
        return store.get(sha256);
    }

    /** @return the count of {@code tenant}'s trajectories in flight in the tenant store, or null when none */
    Long tenantInFlight(String tenant) {
        KeyValueStore<String, Long> store = driver.getKeyValueStore(TrajectoryTopology.TENANT_STORE);
        return store.get(tenant);
    }

    /** @return the records written to the trajectories topic since the last call */
    List<Trajectory> written() {
        return output.readValuesToList();
    }

    Topics topics() {
        return topics;
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(stateDir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

}
