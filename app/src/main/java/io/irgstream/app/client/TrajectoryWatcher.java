package io.irgstream.app.client;

import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
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

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Map<String, IrgAvroDeserializer<? extends SpecificRecord>> deserializers = new HashMap<>();
    private final Map<String, CollectedTrajectory> watched = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    public TrajectoryWatcher(String bootstrapServers, SchemaRegistryClient registry, String topicPrefix) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "irg-watcher");
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Topics topics = Topics.withPrefix(topicPrefix);
        for (Topic<? extends SpecificRecord> t : List.of(topics.prompts(), topics.thoughts(), topics.draftImages(),
                topics.reflections(), topics.finalImages(), topics.deadLetters())) {
            deserializers.put(t.name(), new IrgAvroDeserializer<>(registry, t.valueClass().orElseThrow()));
        }
        List<TopicPartition> parts = new ArrayList<>();
        for (String topic : deserializers.keySet()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
            if (infos == null || infos.isEmpty()) {
                consumer.close();
                throw new IllegalStateException("topic " + topic + " does not exist: is this the right cluster and "
                        + "topic prefix?");
            }
            for (PartitionInfo i : infos) {
                parts.add(new TopicPartition(topic, i.partition()));
            }
        }
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        for (TopicPartition tp : parts) {
            consumer.position(tp, Duration.ofSeconds(15)); // fix the start before anything is submitted
        }
        this.thread = new Thread(this::loop, "irg-trajectory-watcher");
        this.thread.setDaemon(true);
        this.thread.start();
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
            CollectedTrajectory t = watched.get(id);
            if (t != null && t.isDone()) {
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

    private void loop() {
        try {
            while (running) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                synchronized (this) {
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        if (r.key() == null) {
                            continue;
                        }
                        String id = new String(r.key(), StandardCharsets.UTF_8);
                        CollectedTrajectory t = watched.get(id);
                        if (t == null) {
                            continue;
                        }
                        try {
                            t.add(deserializers.get(r.topic()).deserialize(r.topic(), r.value()));
                        } catch (RuntimeException e) {
                            log.warn("skipping unreadable record {}-{}@{} of trajectory {}: {}", r.topic(), r.partition(),
                                    r.offset(), id, e.getMessage());
                        }
                    }
                    notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
            synchronized (this) {
                notifyAll();
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
