package io.irgstream.app.client;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.TopicFollower;
import io.irgstream.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Follows trajectories by reading every step topic (read_committed) from the moment it is created, and collects the
 * events of the trajectories it was asked to watch. Register an id with {@link #watch} before submitting it.
 *
 * <p>This is the client-side view used by {@code irg generate}; the Kafka Streams topology is the server-side one.
 */
public final class TrajectoryWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TrajectoryWatcher.class);

    private final Map<String, IrgAvroDeserializer<? extends SpecificRecord>> deserializers = new HashMap<>();
    private final Map<String, CollectedTrajectory> watched = new LinkedHashMap<>();
    /**
     * The watched ids whose trajectory {@link CollectedTrajectory#isDone is done}, kept as events arrive (a
     * trajectory changes only in {@link #collect}), so that counting them rescans no events.
     */
    private final java.util.Set<String> done = new java.util.HashSet<>();
    private final TopicFollower<String, byte[]> follower;
    private volatile RuntimeException failure;

    /** As {@link #TrajectoryWatcher(KafkaClientSettings, SchemaRegistryClient, String)} over plaintext. */
    public TrajectoryWatcher(String bootstrapServers, SchemaRegistryClient registry, String topicPrefix) {
        this(KafkaClientSettings.of(bootstrapServers), registry, topicPrefix);
    }

    /** Starts following the step topics at their ends, connecting with {@code kafka}. */
    public TrajectoryWatcher(KafkaClientSettings kafka, SchemaRegistryClient registry, String topicPrefix) {
        Topics topics = Topics.withPrefix(topicPrefix);
        for (Topic<? extends SpecificRecord> t : List.of(topics.prompts(), topics.thoughts(), topics.draftImages(),
                topics.reflections(), topics.finalImages(), topics.deadLetters(), topics.cancellations())) {
            deserializers.put(t.name(), new IrgAvroDeserializer<>(registry, t.valueClass().orElseThrow()));
        }
        this.follower = TopicFollower.builder(new StringDeserializer(), new ByteArrayDeserializer())
                .clientSettings(kafka)
                .clientId("irg-watcher")
                .config(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000)
                .topics(deserializers.keySet())
                .startAt(TopicFollower.StartAt.END) // fixed here, before anything is submitted
                .missingTopicHint(": is this the right cluster and topic prefix?")
                .name("irg-trajectory-watcher")
                .onBatch(this::collect)
                .onFailure(this::fail)
                .start();
    }

    /** Starts collecting the events of trajectory {@code id}. */
    public synchronized void watch(String id) {
        watched.putIfAbsent(id, new CollectedTrajectory(id));
    }

    /** A snapshot of what was collected for {@code id} so far. */
    public synchronized CollectedTrajectory snapshot(String id) {
        CollectedTrajectory t = watched.get(id);
        if (t == null) {
            throw new IllegalArgumentException("trajectory " + id + " is not watched");
        }
        return t.copy();
    }

    /** Number of watched trajectories that are done. */
    public synchronized int doneCount(Collection<String> ids) {
        int n = 0;
        for (String id : ids) {
            if (done.contains(id)) {
                n++;
            }
        }
        return n;
    }

    /**
     * Waits until every id is done, calling {@code progress} with the number done whenever it changes.
     *
     * @throws TimeoutException when the timeout passes first; the message says how many finished
     */
    public Map<String, CollectedTrajectory> awaitAll(Collection<String> ids, Duration timeout, Consumer<Integer> progress)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int lastDone = -1;
        synchronized (this) {
            while (true) {
                if (failure != null) {
                    throw failure;
                }
                int done = doneCount(ids);
                if (done != lastDone && progress != null) {
                    progress.accept(done);
                    lastDone = done;
                }
                if (done == ids.size()) {
                    Map<String, CollectedTrajectory> out = new LinkedHashMap<>();
                    for (String id : ids) {
                        out.put(id, watched.get(id).copy());
                    }
                    return out;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException(done + " of " + ids.size() + " trajectories finished within " + timeout.toSeconds() + " s");
                }
                wait(Math.max(1, Math.min(left / 1_000_000, 500)));
            }
        }
    }

    /** Adds a batch of step events to the watched trajectories, on the follower's thread. */
    private synchronized void collect(ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> r : records) {
            if (r.key() == null) {
                continue;
            }
            CollectedTrajectory t = watched.get(r.key());
            if (t == null) {
                continue;
            }
            try {
                SpecificRecord event = deserializers.get(r.topic()).deserialize(r.topic(), r.value());
                if (event instanceof io.irgstream.events.CancellationRequested c && c.getDeadline() == null) {
                    continue; // only a worker's report of a skip past the deadline ends a watched trajectory
                }
                t.add(event);
                if (t.isDone()) {
                    done.add(r.key());
                } else {
                    done.remove(r.key());
                }
            } catch (RuntimeException e) {
                log.warn("skipping unreadable record {}-{}@{} of trajectory {}: {}", r.topic(), r.partition(),
                        r.offset(), r.key(), e.getMessage());
            }
        }
        notifyAll();
    }

    /** Wakes {@link #awaitAll} with the failure that stopped the follower. */
    private synchronized void fail(RuntimeException e) {
        failure = e;
        notifyAll();
    }

    @Override
    public void close() {
        follower.close();
    }
}
