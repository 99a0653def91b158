package io.irgstream.worker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;

import java.util.Map;

/**
 * Where a worker gets its Kafka clients (in the spirit of Kafka Streams' {@code KafkaClientSupplier}): the real
 * clients by default, {@code MockConsumer}/{@code MockProducer} in a test. The worker asks for a fresh consumer and
 * producer at every start and after every recovery, with the settings of {@link WorkerConfig#consumerConfig()} and
 * {@link WorkerConfig#producerConfig()}, and closes them itself.
 */
public interface WorkerClients {
    /** A consumer of byte arrays with these settings. */
    Consumer<byte[], byte[]> consumer(Map<String, Object> config);

    /** A transactional producer of byte arrays with these settings. */
    Producer<byte[], byte[]> producer(Map<String, Object> config);

    /** An admin client with these settings (to describe the worker's group after it was fenced). */
    Admin admin(Map<String, Object> config);

    /** The real Kafka clients. */
    static WorkerClients kafka() {
        return new WorkerClients() {
            @Override
            public Consumer<byte[], byte[]> consumer(Map<String, Object> config) {
                return new KafkaConsumer<>(config);
            }

            @Override
            public Producer<byte[], byte[]> producer(Map<String, Object> config) {
                return new KafkaProducer<>(config);
            }

            @Override
            public Admin admin(Map<String, Object> config) {
                return Admin.create(config);
            }
        };
    }
}
