package io.irgstream.app.testing;

import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DeadLetter;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Test helpers around the shared broker: read a whole topic as committed, with its Avro values decoded. */
public final class PipelineHarness {
    private PipelineHarness() {
    }

    /** A topic layout with a unique prefix on the shared test broker. */
    public static TopicLayout uniqueLayout(String base, int partitions) {
        return new TopicLayout(KafkaFixture.uniqueTopicPrefix(base), partitions, TopicLayout.DEFAULT_RETENTION_MS);
    }

    /** A stack builder on the shared test broker with its own registry on a free port. */
    public static EmbeddedStack.Builder stackOnFixture(java.nio.file.Path dataDir, TopicLayout layout) {
        return EmbeddedStack.builder(dataDir).externalKafka(KafkaFixture.bootstrapServers()).registryPort(0).layout(layout);
    }

    /** Every committed record of {@code topic} from the beginning up to its current end, values decoded. */
    public static <T extends SpecificRecord> List<ConsumerRecord<String, T>> readAllCommitted(
            String topic, Class<T> type, SchemaRegistryClient registry) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "reader-" + UUID.randomUUID());
        IrgAvroDeserializer<T> d = new IrgAvroDeserializer<>(registry, type);
        List<ConsumerRecord<String, T>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo i : c.partitionsFor(topic)) {
                parts.add(new TopicPartition(topic, i.partition()));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end within 30 s");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    T v = d.deserialize(topic, r.value());
                    out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(),
                            r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), v));
                }
            }
        }
        return out;
    }

    /** Dead letters of a layout, for assertions with a readable message. */
    public static List<DeadLetter> deadLetters(TopicLayout layout, SchemaRegistryClient registry) {
        List<DeadLetter> out = new ArrayList<>();
        for (ConsumerRecord<String, DeadLetter> r : readAllCommitted(layout.prefix() + "dead-letters", DeadLetter.class, registry)) {
            out.add(r.value());
        }
        return out;
    }
}
