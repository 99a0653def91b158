package io.irgstream.worker;

import io.irgstream.model.Step;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.images.BlobStoreConfig;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Configuration of one step worker process, declared once with types, defaults, validators and docs.
 * A wrong value fails at start with a {@link ConfigException} naming the setting.
 *
 * <p>Settings prefixed {@code consumer.} or {@code producer.} are passed to the Kafka clients as they are
 * (without the prefix), after the worker's own required settings, which cannot be overridden.
 */
public final class WorkerConfig extends AbstractConfig {
    public static final String STEP = "step";
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String GROUP_ID = "group.id";
    public static final String WORKER_ID = "worker.id";
    /** See {@link ModelConfig#MODEL_PATH}; the other model settings are declared there too. */
    public static final String MODEL_PATH = ModelConfig.MODEL_PATH;
    public static final String MAX_BATCH_SIZE = "max.batch.size";
    public static final String MAX_BATCH_WAIT_MS = "max.batch.wait.ms";
    public static final String IMAGE_INLINE_MAX_BYTES = "image.inline.max.bytes";
    public static final String BLOB_STORE_PATH = "blob.store.path";
    public static final String TRANSACTION_TIMEOUT_MS = "transaction.timeout.ms";
    public static final String POLL_TIMEOUT_MS = "poll.timeout.ms";
    public static final String BATCH_TIMEOUT_MS = "batch.timeout.ms";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String RECOVERY_MAX_ATTEMPTS = "recovery.max.attempts";
    public static final String RECOVERY_BACKOFF_MS = "recovery.backoff.ms";
    public static final String RECOVERY_BACKOFF_MAX_MS = "recovery.backoff.max.ms";

    /**
     * The worker's default {@code max.poll.interval.ms} (Kafka's own default): it bounds the poll thread's own work
     * between two polls (routing, encoding, the commit), not the model call, during which the worker keeps polling;
     * {@value #BATCH_TIMEOUT_MS} bounds the batch.
     */
    public static final long DEFAULT_MAX_POLL_INTERVAL_MS = 300_000L;
    /** The worker's default {@code max.request.size}: 16 MiB (the topics are created to accept it). */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 16 * 1024 * 1024;

    private static final ConfigDef DEF = BlobStoreConfig.define(new ConfigDef(ModelConfig.configDef()))
            .define(STEP, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
                    ConfigDef.ValidString.in(java.util.Arrays.stream(Step.values()).map(Step::id).toArray(String[]::new)),
                    Importance.HIGH,
                    "The IRG step this worker performs: think, draw, reflect or refine.")
            .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka bootstrap servers, host:port[,host:port...].")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "URL of a Confluent-compatible schema registry, e.g. http://127.0.0.1:8081.")
            .define(TOPIC_PREFIX, Type.STRING, "irg.", Importance.MEDIUM,
                    "Prefix of every topic name (irg.prompts, irg.thoughts, ...).")
            .define(GROUP_ID, Type.STRING, "", Importance.MEDIUM,
                    "Consumer group of the step; all instances of one step share it. Empty: <topic.prefix without its "
                            + "trailing dot>-<step>, e.g. irg-think.")
            .define(WORKER_ID, Type.STRING, "", Importance.MEDIUM,
                    "Stable id of this instance: its static group membership id and, as <group.id>-<worker.id>, its "
                            + "transactional id. A restarted "
                            + "instance must reuse its id so its unfinished transaction is aborted at once. "
                            + "Empty: <step>-<hostname>. Two live instances must not share an id.")
            .define(MAX_BATCH_SIZE, Type.INT, 16, Range.between(1, 1024), Importance.HIGH,
                    "A batch closes when it holds this many records ...")
            .define(MAX_BATCH_WAIT_MS, Type.LONG, 0L, Range.between(0, 60_000), Importance.HIGH,
                    "... or this many milliseconds after its first record arrived, whichever comes first. 0: a "
                            + "batch takes the records that are ready and runs at once; under load the records that "
                            + "arrive while it runs make the next batch.")
            .define(IMAGE_INLINE_MAX_BYTES, Type.INT, 256 * 1024, Range.between(0, 8 * 1024 * 1024),
                    Importance.MEDIUM, "Encoded images up to this size travel inline in the event; larger ones "
                            + "go to the blob store.")
            .define(BLOB_STORE_PATH, Type.STRING, ".irg/blobs", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Directory of the filesystem blob store (shared by all workers and the topology).")
            .define(TRANSACTION_TIMEOUT_MS, Type.INT, 30_000, Range.between(1_000, 900_000), Importance.LOW,
                    "Kafka transaction timeout: how long an open transaction of a crashed worker that never "
                            + "comes back can hold back read_committed consumers.")
            .define(POLL_TIMEOUT_MS, Type.LONG, 100L, Range.between(1, 10_000), Importance.LOW,
                    "Longest time one poll waits when no batch is open.")
            .define(BATCH_TIMEOUT_MS, Type.LONG, 600_000L, Range.between(1_000, 86_400_000), Importance.MEDIUM,
                    "Longest time one batch (its model call, and the one-by-one re-run of a failed batch) may run. "
                            + "While a batch runs on the worker's compute thread, its poll thread keeps polling with the "
                            + "partitions paused, so a batch may take longer than the consumer's max.poll.interval.ms "
                            + "without the group taking its partitions away. The one-by-one re-run starts no new call "
                            + "after half of this time (the records it did not reach are retried). Past this time the "
                            + "worker stops polling: the group then hands its partitions to another instance and the "
                            + "batch's commit is refused, so its records are processed once, by the new owner.")
            .define(RETRY_BACKOFF_MS, Type.LIST, "1000,10000,60000", (name, value) -> {
                        @SuppressWarnings("unchecked")
                        java.util.List<String> v = (java.util.List<String>) value;
                        if (v.size() > io.irgstream.schemas.Topics.RETRY_TIERS) {
                            throw new ConfigException(name, value, "at most " + io.irgstream.schemas.Topics.RETRY_TIERS
                                    + " retries (one retry topic per tier)");
                        }
                        for (String x : v) {
                            try {
                                if (Long.parseLong(x.trim()) < 1) {
                                    throw new ConfigException(name, value, "delays must be positive milliseconds");
                                }
                            } catch (NumberFormatException e) {
                                throw new ConfigException(name, value, "delays must be whole milliseconds");
                            }
                        }
                    }, Importance.MEDIUM,
                    "Delays before each retry of a record whose step failed (model error or timeout, unusable "
                            + "model output, blob store or registry unreachable), in milliseconds; the record then goes "
                            + "to the dead letters. One entry per retry, at most 3; empty: dead-letter at the first failure. A "
                            + "waiting record sits on irg.retry-<step>-<n> and never blocks its input partition.")
            .define(RECOVERY_MAX_ATTEMPTS, Type.INT, 10, Range.between(0, 1_000_000), Importance.MEDIUM,
                    "After a fatal Kafka client or transaction error (fenced or timed-out producer epoch, broker "
                            + "unreachable, a transaction that cannot be aborted) the worker closes and re-creates its "
                            + "consumer and producer in-process; its uncommitted input is read again from the "
                            + "committed offsets. It stops after this many recoveries in a row that commit no batch. "
                            + "0: stop at the first such error. It never recovers when another live instance has its "
                            + "worker.id (the two would fence each other in turn), nor from a missing permission or "
                            + "an unsupported broker.")
            .define(RECOVERY_BACKOFF_MS, Type.LONG, 1000L, Range.between(0, 600_000), Importance.LOW,
                    "Wait before the first re-creation of the clients after a fatal error; it doubles with each "
                            + "recovery in a row that commits nothing ...")
            .define(RECOVERY_BACKOFF_MAX_MS, Type.LONG, 30_000L, Range.between(0, 3_600_000), Importance.LOW,
                    "... up to this many milliseconds.");

    private final ModelConfig model;

    public WorkerConfig(Map<?, ?> props) {
        super(DEF, props);
        this.model = new ModelConfig(props);
        if (model.isOpenAi()) {
            // A batch must finish within batch.timeout.ms, or the group takes its partitions away.
            int waves = (maxBatchSize() + model.maxConcurrency() - 1) / model.maxConcurrency();
            long worst = (long) waves * model.requestTimeoutMs();
            if (worst >= batchTimeoutMs()) {
                throw new ConfigException(ModelConfig.REQUEST_TIMEOUT_MS, model.requestTimeoutMs(), "a batch of "
                        + maxBatchSize() + " (" + MAX_BATCH_SIZE + ") sent " + model.maxConcurrency() + " at a time ("
                        + ModelConfig.MAX_CONCURRENCY + ") can take " + worst + " ms, not less than "
                        + BATCH_TIMEOUT_MS + " " + batchTimeoutMs() + "; lower the timeout or the batch size, raise "
                        + "the concurrency, or raise " + BATCH_TIMEOUT_MS);
            }
        }
    }

    /** The model settings of this worker (backend, file or server). */
    public ModelConfig modelConfig() {
        return model;
    }

    /** The definitions, e.g. for generated docs ({@code configDef().toRst()}). */
    public static ConfigDef configDef() {
        return DEF;
    }

    public Step step() {
        return Step.parse(getString(STEP));
    }

    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL);
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public String groupId() {
        String g = getString(GROUP_ID);
        if (!g.isBlank()) {
            return g;
        }
        String base = topicPrefix().endsWith(".") ? topicPrefix().substring(0, topicPrefix().length() - 1) : topicPrefix();
        return (base.isEmpty() ? "irg" : base) + "-" + step().id();
    }

    public String workerId() {
        String id = getString(WORKER_ID);
        return id.isBlank() ? step().id() + "-" + hostname() : id;
    }

    public Path modelPath() {
        return model.modelPath(step());
    }

    public int maxBatchSize() {
        return getInt(MAX_BATCH_SIZE);
    }

    public long maxBatchWaitMs() {
        return getLong(MAX_BATCH_WAIT_MS);
    }

    public int imageInlineMaxBytes() {
        return getInt(IMAGE_INLINE_MAX_BYTES);
    }

    public Path blobStorePath() {
        return Path.of(getString(BLOB_STORE_PATH));
    }

    public int transactionTimeoutMs() {
        return getInt(TRANSACTION_TIMEOUT_MS);
    }

    public long pollTimeoutMs() {
        return getLong(POLL_TIMEOUT_MS);
    }

    /** Longest time one batch may run, in ms ({@value #BATCH_TIMEOUT_MS}). */
    public long batchTimeoutMs() {
        return getLong(BATCH_TIMEOUT_MS);
    }

    /**
     * The consumer's {@code max.poll.interval.ms}: {@code consumer.max.poll.interval.ms} when given, else
     * {@link #DEFAULT_MAX_POLL_INTERVAL_MS}.
     */
    public long maxPollIntervalMs() {
        Object v = consumerOverrides().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
        return v == null ? DEFAULT_MAX_POLL_INTERVAL_MS : Long.parseLong(v.toString().trim());
    }

    /**
     * The largest record the worker's producer sends ({@code producer.max.request.size}, else
     * {@link #DEFAULT_MAX_REQUEST_SIZE}); a larger output is dead-lettered with its size and this limit.
     */
    public int maxRequestSize() {
        Object v = producerOverrides().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return v == null ? DEFAULT_MAX_REQUEST_SIZE : Integer.parseInt(v.toString().trim());
    }

    /** The transactional id of this worker's producer: {@code <group.id>-<worker.id>}. */
    public String transactionalId() {
        return groupId() + "-" + workerId();
    }

    /**
     * The settings of this worker's consumer: the {@code consumer.*} overrides, then the worker's own settings (read
     * committed, no auto-commit, static membership as {@code worker.id}), with defaults for the rest.
     */
    public Map<String, Object> consumerConfig() {
        Map<String, Object> p = kafkaClientSettings().applyTo(new HashMap<>());
        p.putAll(consumerOverrides());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, transactionalId() + "-consumer");
        // Static membership: a restarted instance (same worker.id) takes its partitions back at once instead of
        // waiting for the group to time its old session out.
        p.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, workerId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxBatchSize());
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, maxPollIntervalMs()));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    /** The settings of this worker's transactional, idempotent producer (after the {@code producer.*} overrides). */
    public Map<String, Object> producerConfig() {
        Map<String, Object> p = kafkaClientSettings().applyTo(new HashMap<>());
        p.putAll(producerOverrides());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId() + "-producer");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, transactionTimeoutMs());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxRequestSize());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** The settings of the admin client the worker describes its group with (the consumer's security settings). */
    public Map<String, Object> adminConfig() {
        Map<String, Object> p = kafkaClientSettings().applyTo(new HashMap<>());
        consumerOverrides().forEach((k, v) -> {
            if (KafkaClientSettings.isConnectionSetting(k)) {
                p.put(k, v);
            }
        });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, transactionalId() + "-admin");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        return p;
    }

    /**
     * The Kafka settings every client of this worker process shares: {@code bootstrap.servers} and the unprefixed
     * connection settings ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}, {@code config.providers*}), as
     * in a {@code client.properties} given with {@code --config}. The worker's consumer, producer and admin client and
     * the process's cancellation follower all connect with them; {@code consumer.*} and {@code producer.*} settings
     * win over them for that client.
     */
    public KafkaClientSettings kafkaClientSettings() {
        return KafkaClientSettings.from(originals()).withBootstrapServers(bootstrapServers());
    }

    /** Delay before each retry, in ms; the number of retries is its length. */
    public java.util.List<Long> retryBackoffMs() {
        return getList(RETRY_BACKOFF_MS).stream().map(x -> Long.parseLong(x.trim())).toList();
    }

    /** Recoveries in a row that commit no batch before the worker stops; 0: stop at the first fatal error. */
    public int recoveryMaxAttempts() {
        return getInt(RECOVERY_MAX_ATTEMPTS);
    }

    /** First wait before re-creating the clients, in ms. */
    public long recoveryBackoffMs() {
        return getLong(RECOVERY_BACKOFF_MS);
    }

    /** Longest wait before re-creating the clients, in ms. */
    public long recoveryBackoffMaxMs() {
        return getLong(RECOVERY_BACKOFF_MAX_MS);
    }

    /** Client overrides given as {@code consumer.*}. */
    public Map<String, Object> consumerOverrides() {
        return originalsWithPrefix("consumer.");
    }

    /** Client overrides given as {@code producer.*}. */
    public Map<String, Object> producerOverrides() {
        return originalsWithPrefix("producer.");
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
