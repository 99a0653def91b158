package io.irgstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.irgstream.embedded.testing.KafkaFixture;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Clients against the shared test broker: what every other module's integration tests rely on. */
@Timeout(60)
class KafkaFixtureTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void shouldConsumeWhatWasProducedWhenTopicIsCreatedThroughTheFixture() throws Exception {
        String topic = KafkaFixture.uniqueTopicPrefix("roundtrip") + "events";
        KafkaFixture.createTopics(TopicSpec.of(topic, 3));

        try (KafkaProducer<String, String> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)).get();
            }
        }

        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(KafkaFixture.consumerProps(topic + "group"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = KafkaFixture.poll(consumer, 10, TIMEOUT);
            assertThat(records).extracting(ConsumerRecord::value)
                    .containsExactlyInAnyOrder("value-0", "value-1", "value-2", "value-3", "value-4",
                            "value-5", "value-6", "value-7", "value-8", "value-9");
            assertThat(records).allSatisfy(r -> assertThat(r.value()).endsWith(r.key().substring(4)));
        }
    }

    @Test
    void shouldHideAbortedRecordsFromReadCommittedWhenTransactionsAreUsed() throws Exception {
        String topic = KafkaFixture.uniqueTopicPrefix("tx") + "out";
        KafkaFixture.createTopics(TopicSpec.of(topic, 1));

        Map<String, Object> producerProps = KafkaFixture.producerProps();
        producerProps.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-tx");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps,
                new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "k", "committed-2"));
            producer.commitTransaction();

            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted")).get();
            producer.abortTransaction();

            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-3"));
            producer.commitTransaction();
        }

        try (KafkaConsumer<String, String> committed = new KafkaConsumer<>(KafkaFixture.consumerProps(topic + "rc"),
                new StringDeserializer(), new StringDeserializer())) {
            committed.subscribe(List.of(topic));
            assertThat(KafkaFixture.poll(committed, 3, TIMEOUT)).extracting(ConsumerRecord::value)
                    .containsExactly("committed-1", "committed-2", "committed-3");
        }

        Map<String, Object> uncommittedProps = KafkaFixture.consumerProps(topic + "ru");
        uncommittedProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        try (KafkaConsumer<String, String> uncommitted = new KafkaConsumer<>(uncommittedProps,
                new StringDeserializer(), new StringDeserializer())) {
            uncommitted.subscribe(List.of(topic));
            assertThat(KafkaFixture.poll(uncommitted, 4, TIMEOUT)).extracting(ConsumerRecord::value)
                    .containsExactly("committed-1", "committed-2", "aborted", "committed-3");
        }
    }

    @Test
    void shouldReturnDistinctPrefixesWhenCalledWithTheSameBase() {
        String first = KafkaFixture.uniqueTopicPrefix("my test");
        String second = KafkaFixture.uniqueTopicPrefix("my test");

        assertThat(first).startsWith("my-test-").endsWith("-").isNotEqualTo(second);
        assertThat(TopicSpec.of(first + "topic", 1).name()).isEqualTo(first + "topic");
    }
}
