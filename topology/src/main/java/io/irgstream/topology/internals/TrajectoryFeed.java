package io.irgstream.topology.internals;

import io.irgstream.events.Trajectory;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.TopicFollower;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the trajectories topic from its end (read_committed, no consumer group) on a background thread and hands
 * every committed change to its subscribers; the source of the API's event streams. Every instance of the topology
 * reads every partition, so a stream can be served by any instance.
 *
 * <p>Thread-safe. Each subscription has a bounded queue; a subscriber that falls more than {@value #QUEUE_CAPACITY}
 * changes behind is marked {@link Subscription#overflowed()} and gets no more.
 */
public final class TrajectoryFeed implements AutoCloseable {

    /** Capacity of each subscription's queue. */
    public static final int QUEUE_CAPACITY = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(TrajectoryFeed.class);

    private final Set<Subscription> subscriptions = new CopyOnWriteArraySet<>();
    private final List<java.util.function.Consumer<Trajectory>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final TopicFollower<String, Trajectory> follower;

    /**
     * Starts following {@code topic}.
     *
     * @param bootstrapServers Kafka bootstrap servers
     * @param topic            the trajectories topic; it must exist
     * @param deserializer     value deserializer
     * @throws IllegalStateException naming the topic when it does not exist
     */
    public TrajectoryFeed(String bootstrapServers, String topic, Deserializer<Trajectory> deserializer) {
        this(KafkaClientSettings.of(bootstrapServers), topic, deserializer);
    }

    /**
     * Starts following {@code topic}.
     *
     * @param kafka        the process's Kafka client settings (bootstrap servers, security.protocol, sasl.*, ssl.*)
     * @param topic        the trajectories topic; it must exist
     * @param deserializer value deserializer
     * @throws IllegalStateException naming the topic when it does not exist
     */
    public TrajectoryFeed(KafkaClientSettings kafka, String topic, Deserializer<Trajectory> deserializer) {
        follower = TopicFollower.builder(new StringDeserializer(), deserializer)
                .clientSettings(kafka)
                .clientId("irg-topology-feed-" + ProcessHandle.current().pid())
                .config(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024)
                .topics(List.of(topic))
                .startAt(TopicFollower.StartAt.END)
                .missingTopicHint("; create the irg topics first")
                .name("irg-trajectory-feed")
                .onRecord(this::publish)
                .onFailure(e -> LOG.error("trajectory feed stopped: {}; event streams get no more updates",
                        e.toString(), e))
                .start();
    }

    /**
     * A feed that follows no topic: its changes are those handed to {@link #publish(String, Trajectory)}. For tests of
     * what consumes the feed (the API's event streams) without a broker.
     */
    TrajectoryFeed() {
        follower = null;
    }

    /**
     * Subscribes to the changes of one trajectory, or of all.
     *
     * @param trajectoryId the id, or null for every trajectory
     * @return the subscription; close it when done
     */
    public Subscription subscribe(String trajectoryId) {
        Subscription s = new Subscription(trajectoryId);
        subscriptions.add(s);
        return s;
    }

    /** Calls {@code listener} on the feed's thread with every committed change, in order; it must be quick. */
    public void addListener(java.util.function.Consumer<Trajectory> listener) {
        listeners.add(listener);
    }

    /** Hands one committed change to the listeners and the matching subscriptions, on the follower's thread. */
    private void publish(ConsumerRecord<String, Trajectory> r) {
        publish(r.key(), r.value());
    }

    /** Hands one change (key = trajectory id) to the listeners and the matching subscriptions. */
    void publish(String key, Trajectory value) {
        if (value == null) {
            return;
        }
        for (java.util.function.Consumer<Trajectory> l : listeners) {
            try {
                l.accept(value);
            } catch (RuntimeException e) {
                LOG.warn("trajectory listener failed: {}", e.toString());
            }
        }
        for (Subscription s : subscriptions) {
            if (s.trajectoryId == null || s.trajectoryId.equals(key)) {
                s.offer(value);
            }
        }
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
    }

    /** Changes of one trajectory (or of all) in arrival order. */
    public final class Subscription implements AutoCloseable {
        private final String trajectoryId;
        private final BlockingQueue<Trajectory> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        private volatile boolean overflowed;

        private Subscription(String trajectoryId) {
            this.trajectoryId = trajectoryId;
        }

        private void offer(Trajectory t) {
            if (!overflowed && !queue.offer(t)) {
                overflowed = true;
                subscriptions.remove(this);
            }
        }

        /**
         * @param timeout how long to wait
         * @return the next change, or null when none came within the timeout
         * @throws InterruptedException when interrupted while waiting
         */
        public Trajectory poll(Duration timeout) throws InterruptedException {
            return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** @return true when the subscriber fell too far behind and was dropped */
        public boolean overflowed() {
            return overflowed;
        }

        @Override
        public void close() {
            subscriptions.remove(this);
        }
    }
}
