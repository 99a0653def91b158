package io.irgstream.topology;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgSerdes;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.topology.internals.TrajectoryProcessor;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the trajectory topology: a pure function of a {@link StreamsBuilder} and a {@link TopologyConfig}, called by
 * {@link TopologyService} and by the tests alike, so the tests drive the production topology.
 *
 * <p>Every step event (prompts, thoughts, draft images, reflections, final images), dead letter and cancellation is
 * folded into one {@link Trajectory} per id in the RocksDB store {@value #TRAJECTORY_STORE}; each change is written
 * to the compacted trajectories topic. See {@link io.irgstream.topology.internals.TrajectoryFold} for the rules of
 * the fold and the status transitions. The store {@value #IMAGE_INDEX_STORE} maps each image's sha256 to the
 * trajectory that references it, for the image endpoint.
 *
 * <p>All input topics are keyed by trajectory id and must have the same number of partitions (one task folds one
 * partition of each); the topology reads them as they are, without repartitioning.
 */
public final class TrajectoryTopology {

    /** Name of the queryable store of trajectories by id. */
    public static final String TRAJECTORY_STORE = "irg-trajectories";
    /** Name of the queryable store of trajectory ids by image sha256. */
    public static final String IMAGE_INDEX_STORE = "irg-trajectory-images";
    /** Name of the store of stall deadlines of running trajectories. */
    public static final String DEADLINE_STORE = "irg-trajectory-stall-deadlines";
    /**
     * Name of the queryable store of trajectories in flight by tenant: each task counts its partition's, so a
     * tenant's total is the sum over every task of every instance.
     */
    public static final String TENANT_STORE = "irg-tenant-in-flight";
    /** Name of the store of queued submissions of the admission scheduler (see AdmissionScheduler). */
    public static final String ADMISSION_QUEUE_STORE = "irg-admission-queue";
    /**
     * Name of the queryable store of the admission scheduler's counters: trajectories in the pipeline and queued, per
     * partition.
     */
    public static final String ADMISSION_STATE_STORE = "irg-admission-state";

    /**
     * Largest trajectory record, in bytes: a record carries its inline images (up to the workers' inline limit each),
     * so the changelog topic and the producer allow this much. The trajectories topic needs the same
     * {@code max.message.bytes}.
     */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private TrajectoryTopology() {
    }

    /**
     * Adds the topology to {@code builder}, with serdes that reach the registry at
     * {@link TopologyConfig#schemaRegistryUrl()}.
     *
     * @param builder the builder to add to
     * @param config  topic prefix, registry URL and stall settings
     */
    public static void build(StreamsBuilder builder, TopologyConfig config) {
        build(builder, config, new HttpSchemaRegistryClient(config.registryClientSettings()));
    }

    /**
     * Adds the topology to {@code builder} with serdes on the given registry client.
     *
     * @param builder  the builder to add to
     * @param config   topic prefix and stall settings
     * @param registry schema registry client shared by every serde
     */
    public static void build(StreamsBuilder builder, TopologyConfig config, SchemaRegistryClient registry) {
        Objects.requireNonNull(builder, "builder");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        Topics topics = config.topics();
        Serde<Trajectory> trajectorySerde = IrgSerdes.forClass(Trajectory.class, registry, false);

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TRAJECTORY_STORE),
                Serdes.String(), trajectorySerde)
                .withLoggingEnabled(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_RECORD_BYTES))));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(IMAGE_INDEX_STORE),
                Serdes.String(), Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEADLINE_STORE),
                Serdes.String(), Serdes.Long()));

        KStream<String, SpecificRecord> events = source(builder, topics.prompts(), registry)
                .merge(source(builder, topics.thoughts(), registry))
                .merge(source(builder, topics.draftImages(), registry))
                .merge(source(builder, topics.reflections(), registry))
                .merge(source(builder, topics.finalImages(), registry))
                .merge(source(builder, topics.deadLetters(), registry))
                .merge(source(builder, topics.cancellations(), registry))
                .merge(source(builder, topics.submissions(), registry));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TENANT_STORE),
                Serdes.String(), Serdes.Long()));

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ADMISSION_QUEUE_STORE),
                Serdes.String(), IrgSerdes.forClass(PromptSubmitted.class, registry, false)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ADMISSION_STATE_STORE),
                Serdes.String(), Serdes.String()));

        String submissions = topics.submissions().name();
        KStream<String, SpecificRecord> out = events.process(() -> new TrajectoryProcessor(config, TRAJECTORY_STORE,
                        IMAGE_INDEX_STORE, DEADLINE_STORE, TENANT_STORE, submissions, ADMISSION_QUEUE_STORE,
                        ADMISSION_STATE_STORE),
                TRAJECTORY_STORE, IMAGE_INDEX_STORE, DEADLINE_STORE, TENANT_STORE, ADMISSION_QUEUE_STORE,
                ADMISSION_STATE_STORE);
        out.filter((id, v) -> v instanceof Trajectory, Named.as("trajectories"))
                .mapValues(v -> (Trajectory) v, Named.as("as-trajectory"))
                .to(topics.trajectories().name(), Produced.with(Serdes.String(), trajectorySerde)
                        .withName("write-trajectories"));
        // the admission scheduler's releases
        out.filter((id, v) -> v instanceof PromptSubmitted, Named.as("admitted"))
                .mapValues(v -> (PromptSubmitted) v, Named.as("as-prompt"))
                .to(topics.prompts().name(), Produced.with(Serdes.String(),
                        IrgSerdes.forClass(PromptSubmitted.class, registry, false)).withName("write-prompts"));
    }

    private static <V extends SpecificRecord> KStream<String, SpecificRecord> source(StreamsBuilder builder,
            Topic<V> topic, SchemaRegistryClient registry) {
        Class<V> type = topic.valueClass().orElseThrow(() -> new IllegalStateException(
                "topic " + topic.name() + " has no value class"));
        return builder.stream(topic.name(), Consumed.with(Serdes.String(), IrgSerdes.forClass(type, registry, false))
                        .withName("read-" + topic.baseName()))
                .mapValues(v -> (SpecificRecord) v);
    }
}
