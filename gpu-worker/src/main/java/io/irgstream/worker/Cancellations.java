package io.irgstream.worker;

import io.irgstream.schemas.Topics;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The set of cancelled trajectory ids, kept by reading {@code <prefix>cancellations} from the beginning on a
 * background thread. One per process, shared by its workers, which skip a cancelled trajectory before spending
 * compute on it. Best effort by design: a cancellation that arrives while a batch is already running takes effect
 * at the trajectory's next step. Ids are kept as long as the topic keeps them (its retention).
 */
public final class Cancellations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cancellations.class);

    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts following the cancellations topic of {@code topics} on {@code bootstrapServers}. */
    public Cancellations(String bootstrapServers, Topics topics) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "irg-cancellations-" + ProcessHandle.current().pid());
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        String topic = topics.cancellations().name();
        List<TopicPartition> parts = new ArrayList<>();
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(15));
        if (infos == null || infos.isEmpty()) {
            consumer.close();
            throw new IllegalStateException("topic " + topic + " does not exist; create the irg topics first");
        }
        for (PartitionInfo i : infos) {
            parts.add(new TopicPartition(topic, i.partition()));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        thread = new Thread(this::loop, "irg-cancellations");
        thread.setDaemon(true);
        thread.start();
    }

    /** Whether {@code trajectoryId} has been cancelled. */
    public boolean isCancelled(String trajectoryId) {
        return ids.contains(trajectoryId);
    }

    /** Number of cancelled ids known. */
    public int size() {
        return ids.size();
    }

    private void loop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null) {
                        ids.add(new String(r.key(), StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("stopped following cancellations: {}", e.toString());
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
