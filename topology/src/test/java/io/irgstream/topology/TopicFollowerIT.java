package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.schemas.TopicFollower;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link TopicFollower} (of the schemas module, which cannot reach the test broker) on a real broker: where it
 * starts, that it reads only committed records, how it reports a missing topic and how quickly it closes.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopicFollowerIT {

    private static final long WAIT_S = 30;

    private static String prefix;
    private static KafkaProducer<String, String> producer;

    private final BlockingQueue<ConsumerRecord<String, String>> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<RuntimeException> failure = new CompletableFuture<>();
    private TopicFollower<String, String> follower;

    @BeforeAll
    static void start() {
        prefix = KafkaFixture.uniqueTopicPrefix("topic-follower-it");
        KafkaFixture.createTopics(TopicSpec.of(prefix + "a", 2), TopicSpec.of(prefix + "b", 1),
                TopicSpec.of(prefix + "c", 1), TopicSpec.of(prefix + "d", 1));
        producer = new KafkaProducer<>(KafkaFixture.producerProps(), new StringSerializer(), new StringSerializer());
    }

    @AfterAll
    static void stop() {
        if (producer != null) {
            producer.close();
        }
    }

    @AfterEach
    void closeFollower() {
        if (follower != null) {
            follower.close();
        }
        assertThat(failure).as("no failure").isNotDone();
    }

    @Test
    void shouldReadEveryPartitionOfEveryTopicFromTheEndsAtStart() throws Exception {
        send(prefix + "a", 0, "before");
        send(prefix + "a", 1, "before");
        send(prefix + "b", 0, "before");

        follower = builder(List.of(prefix + "a", prefix + "b"), TopicFollower.StartAt.END).start();
        send(prefix + "a", 0, "after-a0");
        send(prefix + "a", 1, "after-a1");
        send(prefix + "b", 0, "after-b0");

        assertThat(take(3)).extracting(r -> r.topic() + ":" + r.value()).containsExactlyInAnyOrder(
                prefix + "a:after-a0", prefix + "a:after-a1", prefix + "b:after-b0");
    }

    @Test
    void shouldReadFromTheBeginningOnlyWhatTransactionsCommitted() throws Exception {
        String topic = prefix + "c";
        Map<String, Object> props = KafkaFixture.producerProps();
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "tx");
        try (KafkaProducer<String, String> tx = new KafkaProducer<>(props, new StringSerializer(),
                new StringSerializer())) {
            tx.initTransactions();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(topic, "k", "committed"));
            tx.commitTransaction();
            tx.beginTransaction();
            tx.send(new ProducerRecord<>(topic, "k", "aborted"));
            tx.flush();
            tx.abortTransaction();
        }
        send(topic, 0, "plain");

        follower = builder(List.of(topic), TopicFollower.StartAt.BEGINNING).start();

        assertThat(take(2)).extracting(ConsumerRecord::value).containsExactly("committed", "plain");
        assertThat(received.poll(500, TimeUnit.MILLISECONDS)).as("nothing more").isNull();
    }

    @Test
    void shouldNameAMissingTopicWithTheHint() {
        assertThatThrownBy(() -> builder(List.of(prefix + "d", prefix + "missing"), TopicFollower.StartAt.END)
                .missingTopicHint("; create it first").start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("topic " + prefix + "missing does not exist; create it first");
    }

    @Test
    void shouldCloseAnIdleFollowerPromptly() {
        follower = builder(List.of(prefix + "d"), TopicFollower.StartAt.END).start();

        long t0 = System.nanoTime();
        follower.close();

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(5_000);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("test-follower"));
    }

    private TopicFollower.Builder<String, String> builder(List<String> topics, TopicFollower.StartAt startAt) {
        return TopicFollower.builder(new StringDeserializer(), new StringDeserializer())
                .bootstrapServers(KafkaFixture.bootstrapServers())
                .clientId(prefix + "follower")
                .topics(topics)
                .startAt(startAt)
                .name("test-follower")
                .onRecord(received::add)
                .onFailure(failure::complete);
    }

    private static void send(String topic, int partition, String value) throws Exception {
        producer.send(new ProducerRecord<>(topic, partition, "k", value)).get(WAIT_S, TimeUnit.SECONDS);
    }

    private List<ConsumerRecord<String, String>> take(int n) throws InterruptedException {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (records.size() < n && System.nanoTime() < deadline) {
            ConsumerRecord<String, String> r = received.poll(100, TimeUnit.MILLISECONDS);
            if (r != null) {
                records.add(r);
            }
        }
        return records;
    }
}
