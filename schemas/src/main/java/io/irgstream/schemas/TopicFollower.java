package io.irgstream.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows Kafka topics on a daemon thread and hands every record it reads to a callback, until it is closed: the
 * long-lived background readers of the pipeline (the client's trajectory watcher, the workers' cancellation set, the
 * topology's event feed) are each one of these plus what they do with a record.
 *
 * <p>A follower reads every partition its topics have when it starts, by manual assignment and without a consumer
 * group: it commits nothing, never rebalances, and every follower sees all of each topic. It reads
 * {@code read_committed} unless configured otherwise, so records of open or aborted transactions never reach the
 * callback. Where it starts is explicit ({@link StartAt}).
 *
 * <pre>{@code
 * TopicFollower<String, byte[]> follower = TopicFollower.builder(new StringDeserializer(), new ByteArrayDeserializer())
 *         .bootstrapServers("localhost:9092")
 *         .clientId("irg-cancellations")
 *         .topics(List.of("irg.cancellations"))
 *         .startAt(TopicFollower.StartAt.BEGINNING)
 *         .name("irg-cancellations")
 *         .onRecord(r -> ids.add(r.key()))
 *         .start();
 * ...
 * follower.close();
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * {@link Builder#start()} creates the consumer, assigns it every partition, fixes where it starts and starts the
 * thread. When that fails (a topic does not exist, the cluster does not answer) it closes the consumer and throws;
 * no thread is left behind. The follower then runs until {@link #close()}, or until it fails: an exception from the
 * consumer or from the callback stops it, goes to {@link Builder#onFailure} (by default: logged), and the consumer is
 * closed. A stopped follower does not restart; start a new one. {@code close()} is idempotent and may be called at
 * any time, from any thread, including from a callback.
 *
 * <h2>Threading</h2>
 * Callbacks run on the follower's thread, one at a time, in the order the consumer returns records (offset order
 * within a partition). They should be quick: the follower does not poll while one runs. Everything the callbacks use
 * that was set up before {@code start()} is visible to them.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class TopicFollower<K, V> implements AutoCloseable {

    /** Where in each partition a follower starts reading. */
    public enum StartAt {
        /** At the oldest record each partition still has: everything the topic keeps, then what comes. */
        BEGINNING,
        /**
         * At the end each partition has when the follower starts: only records written later. The end is looked up
         * before {@link Builder#start()} returns, so every record written after that is read.
         */
        END
    }

    /** How long {@link Builder#start()} waits for the partitions of each topic. */
    static final Duration METADATA_TIMEOUT = Duration.ofSeconds(15);
    /** How long one poll waits for records. */
    static final Duration POLL_TIMEOUT = Duration.ofMillis(200);
    /** How long closing the consumer may take. */
    static final Duration CONSUMER_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    /** How long {@link #close()} waits for the thread to end. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(TopicFollower.class);

    private final String name;
    private final org.apache.kafka.clients.consumer.Consumer<K, V> consumer;
    private final Consumer<? super ConsumerRecords<K, V>> handler;
    private final Consumer<? super RuntimeException> onFailure;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;

    private TopicFollower(String name, org.apache.kafka.clients.consumer.Consumer<K, V> consumer,
                          Consumer<? super ConsumerRecords<K, V>> handler, Consumer<? super RuntimeException> onFailure) {
        this.name = name;
        this.consumer = consumer;
        this.handler = handler;
        this.onFailure = onFailure;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
    }

    /**
     * Starts describing a follower.
     *
     * @param keyDeserializer   deserializer of the keys; the follower's consumer owns and closes it
     * @param valueDeserializer deserializer of the values; the follower's consumer owns and closes it
     * @param <K>               key type
     * @param <V>               value type
     * @return a builder; set at least the bootstrap servers, the topics, where to start and a callback
     */
    public static <K, V> Builder<K, V> builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
        return new Builder<>(keyDeserializer, valueDeserializer);
    }

    /**
     * Stops the follower: wakes the consumer out of its poll and waits up to 10 s for the thread to close it and end.
     * A callback that is running finishes first; being closed is not a failure, so {@link Builder#onFailure} is not
     * called for it. Idempotent. From a callback it only asks the thread to stop, which it does once the callback
     * returns.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            consumer.wakeup();
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thread.isAlive()) {
            LOG.warn("{} did not stop within {} s; its daemon thread is left running", name, STOP_TIMEOUT.toSeconds());
        }
    }

    @Override
    public String toString() {
        return "TopicFollower[" + name + "]";
    }

    private void run() {
        try {
            while (!closed.get()) {
                ConsumerRecords<K, V> records = consumer.poll(POLL_TIMEOUT);
                if (!records.isEmpty()) {
                    handler.accept(records);
                }
            }
        } catch (WakeupException e) {
            if (!closed.get()) {
                onFailure.accept(e); // the consumer is private, so only close() should wake it
            }
        } catch (RuntimeException e) {
            onFailure.accept(e);
        } finally {
            consumer.close(CloseOptions.timeout(CONSUMER_CLOSE_TIMEOUT));
        }
    }

    /**
     * Describes a follower; {@link #start()} starts it. Required: {@link #bootstrapServers} (or
     * {@link #clientSettings}), {@link #topics},
     * {@link #startAt}, and one of {@link #onRecord} and {@link #onBatch}.
     *
     * @param <K> key type
     * @param <V> value type
     */
    public static final class Builder<K, V> {
        private final Deserializer<K> keyDeserializer;
        private final Deserializer<V> valueDeserializer;
        private final Map<String, Object> config = new HashMap<>();
        private final Set<String> topics = new LinkedHashSet<>();
        private StartAt startAt;
        private String name;
        private String missingTopicHint = "";
        private Consumer<? super ConsumerRecords<K, V>> handler;
        private Consumer<? super RuntimeException> onFailure;

        private Builder(Deserializer<K> keyDeserializer, Deserializer<V> valueDeserializer) {
            this.keyDeserializer = Objects.requireNonNull(keyDeserializer, "keyDeserializer");
            this.valueDeserializer = Objects.requireNonNull(valueDeserializer, "valueDeserializer");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        }

        /**
         * @param servers the Kafka bootstrap servers, {@code host:port[,host:port...]}
         * @return this builder
         */
        public Builder<K, V> bootstrapServers(String servers) {
            return config(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Objects.requireNonNull(servers, "servers"));
        }

        /**
         * Connects with {@code settings}: its bootstrap servers and its connection settings (security.protocol,
         * sasl.*, ssl.*), which override what was set before.
         *
         * @param settings the process's Kafka client settings
         * @return this builder
         */
        public Builder<K, V> clientSettings(KafkaClientSettings settings) {
            Objects.requireNonNull(settings, "settings").applyTo(config);
            return this;
        }

        /**
         * @param clientId the consumer's client id, as brokers log it and quotas see it
         * @return this builder
         */
        public Builder<K, V> clientId(String clientId) {
            return config(ConsumerConfig.CLIENT_ID_CONFIG, Objects.requireNonNull(clientId, "clientId"));
        }

        /**
         * Sets any consumer setting, overriding the follower's defaults ({@code isolation.level=read_committed},
         * {@code enable.auto.commit=false}). {@code default.api.timeout.ms} bounds the lookup of the ends with
         * {@link StartAt#END}.
         *
         * @param key   a {@link ConsumerConfig} name
         * @param value its value
         * @return this builder
         */
        public Builder<K, V> config(String key, Object value) {
            config.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * @param topics the topics to follow, every partition of each; they must exist when the follower starts
         * @return this builder
         */
        public Builder<K, V> topics(Collection<String> topics) {
            topics.forEach(t -> this.topics.add(Objects.requireNonNull(t, "topic")));
            return this;
        }

        /**
         * @param startAt where in each partition to start reading
         * @return this builder
         */
        public Builder<K, V> startAt(StartAt startAt) {
            this.startAt = Objects.requireNonNull(startAt, "startAt");
            return this;
        }

        /**
         * @param name the name of the thread, also used in log lines; by default {@code topic-follower-<topics>}
         * @return this builder
         */
        public Builder<K, V> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * @param hint appended as is to the message {@code topic <name> does not exist} that {@link #start()} throws
         *             for a missing topic, e.g. {@code "; create the topics first"}
         * @return this builder
         */
        public Builder<K, V> missingTopicHint(String hint) {
            this.missingTopicHint = Objects.requireNonNull(hint, "hint");
            return this;
        }

        /**
         * Calls {@code handler} with each record, on the follower's thread. An exception it throws stops the follower
         * (see {@link #onFailure}); catch what should only skip a record. Set this or {@link #onBatch}, once.
         *
         * @param handler called with each record
         * @return this builder
         */
        public Builder<K, V> onRecord(Consumer<? super ConsumerRecord<K, V>> handler) {
            Objects.requireNonNull(handler, "handler");
            return handle(records -> records.forEach(handler));
        }

        /**
         * Calls {@code handler} with each non-empty batch a poll returns, on the follower's thread: for work done
         * once per batch, such as taking a lock or notifying waiters. An exception it throws stops the follower (see
         * {@link #onFailure}). Set this or {@link #onRecord}, once.
         *
         * @param handler called with each non-empty batch
         * @return this builder
         */
        public Builder<K, V> onBatch(Consumer<? super ConsumerRecords<K, V>> handler) {
            return handle(Objects.requireNonNull(handler, "handler"));
        }

        /**
         * Calls {@code onFailure}, on the follower's thread, with the exception that stopped it (from the consumer or
         * from the callback), before its consumer is closed; not called when {@link TopicFollower#close()} stops it.
         * By default the failure is logged as an error.
         *
         * @param onFailure called with the exception that stopped the follower
         * @return this builder
         */
        public Builder<K, V> onFailure(Consumer<? super RuntimeException> onFailure) {
            this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
            return this;
        }

        /**
         * Creates the consumer, assigns it every partition of the topics, positions it and starts the thread.
         *
         * @return the running follower; close it
         * @throws IllegalStateException when a required setting is missing, or naming a topic that does not exist
         * @throws org.apache.kafka.common.KafkaException when the cluster cannot be reached or asked in time
         */
        public TopicFollower<K, V> start() {
            check();
            if (!config.containsKey(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new IllegalStateException("bootstrapServers not set");
            }
            return start(new KafkaConsumer<>(new HashMap<>(config), keyDeserializer, valueDeserializer));
        }

        /** As {@link #start()} with {@code consumer} (for tests); the follower owns it and closes it. */
        TopicFollower<K, V> start(org.apache.kafka.clients.consumer.Consumer<K, V> consumer) {
            check();
            try {
                assignAndPosition(consumer);
            } catch (RuntimeException e) {
                try {
                    consumer.close(CloseOptions.timeout(CONSUMER_CLOSE_TIMEOUT));
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
            List<String> followed = List.copyOf(topics);
            String threadName = name != null ? name : "topic-follower-" + String.join(",", followed);
            Consumer<? super RuntimeException> failure = onFailure != null ? onFailure
                    : e -> LOG.error("{} stopped following {}: {}", threadName, followed, e.toString(), e);
            TopicFollower<K, V> follower = new TopicFollower<>(threadName, consumer, handler, failure);
            follower.thread.start();
            return follower;
        }

        /** Assigns every partition of the topics and fixes where reading starts. */
        private void assignAndPosition(org.apache.kafka.clients.consumer.Consumer<K, V> consumer) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                List<PartitionInfo> infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalStateException("topic " + topic + " does not exist" + missingTopicHint);
                }
                infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
            }
            consumer.assign(partitions);
            if (startAt == StartAt.END) {
                consumer.seekToEnd(partitions);
                partitions.forEach(consumer::position); // looks the ends up now rather than at the first poll
            } else {
                consumer.seekToBeginning(partitions);
            }
        }

        private Builder<K, V> handle(Consumer<? super ConsumerRecords<K, V>> handler) {
            if (this.handler != null) {
                throw new IllegalStateException("the callback is already set: call onRecord or onBatch once");
            }
            this.handler = handler;
            return this;
        }

        private void check() {
            if (topics.isEmpty()) {
                throw new IllegalStateException("no topics to follow");
            }
            if (startAt == null) {
                throw new IllegalStateException("startAt not set: BEGINNING or END");
            }
            if (handler == null) {
                throw new IllegalStateException("no callback: set onRecord or onBatch");
            }
        }
    }
}
