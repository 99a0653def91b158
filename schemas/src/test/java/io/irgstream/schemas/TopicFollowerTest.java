package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The follower's lifecycle, positioning and error handling against a {@link MockConsumer}; TopicFollowerIT in the
 * topology module runs it against a real broker (this module cannot depend on the embedded one).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TopicFollowerTest {

    private static final String TOPIC = "t";
    private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);
    private static final long WAIT_S = 10;

    private final PollingMock consumer = new PollingMock();
    private final BlockingQueue<ConsumerRecord<String, String>> received = new LinkedBlockingQueue<>();
    private final CompletableFuture<RuntimeException> failure = new CompletableFuture<>();
    private TopicFollower<String, String> follower;

    @AfterEach
    void close() {
        if (follower != null) {
            follower.close();
        }
    }

    private PollingMock twoPartitions() {
        consumer.updatePartitions(TOPIC, List.of(partition(0), partition(1)));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        consumer.updateEndOffsets(Map.of(P0, 5L, P1, 7L));
        return consumer;
    }

    private TopicFollower.Builder<String, String> builder(TopicFollower.StartAt startAt) {
        return TopicFollower.builder(new StringDeserializer(), new StringDeserializer())
                .topics(List.of(TOPIC))
                .startAt(startAt)
                .name("test-follower")
                .onFailure(failure::complete);
    }

    @Test
    void shouldStartAtTheEndsLookedUpBeforeStartReturns() throws InterruptedException {
        follower = builder(TopicFollower.StartAt.END).onRecord(received::add).start(twoPartitions());

        assertThat(consumer.assignment()).containsExactlyInAnyOrder(P0, P1);
        assertThat(consumer.position(P0)).isEqualTo(5);
        assertThat(consumer.position(P1)).isEqualTo(7);

        consumer.add(record(P1, 7, "a"));
        consumer.add(record(P1, 8, "b"));

        assertThat(next().value()).isEqualTo("a");
        assertThat(next().value()).isEqualTo("b");
        assertThat(failure).isNotDone();
    }

    @Test
    void shouldStartAtTheBeginning() throws InterruptedException {
        follower = builder(TopicFollower.StartAt.BEGINNING).onRecord(received::add).start(twoPartitions());

        consumer.add(record(P0, 0, "first"));

        assertThat(next().value()).isEqualTo("first");
        assertThat(consumer.position(P0)).isEqualTo(1);
        assertThat(consumer.position(P1)).isZero();
    }

    @Test
    void shouldHandBatchesWholeAndNeverEmpty() throws InterruptedException {
        BlockingQueue<ConsumerRecords<String, String>> batches = new LinkedBlockingQueue<>();
        follower = builder(TopicFollower.StartAt.END).onBatch(batches::add).start(twoPartitions());
        consumer.addAll(List.of(record(P0, 5, "x"), record(P1, 7, "y")));

        ConsumerRecords<String, String> batch = batches.poll(WAIT_S, TimeUnit.SECONDS);
        assertThat(batch).isNotNull();
        assertThat(batch.count()).isEqualTo(2);
        Thread.sleep(100); // some empty polls
        assertThat(batches).isEmpty();
    }

    @Test
    void shouldNameAMissingTopicWithTheHintAndCloseTheConsumer() {
        twoPartitions();

        assertThatThrownBy(() -> builder(TopicFollower.StartAt.END).topics(List.of("nope"))
                .missingTopicHint("; create the topics first").onRecord(received::add).start(consumer))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("topic nope does not exist; create the topics first");
        assertThat(consumer.closed()).isTrue();
        assertThat(consumer.assignment()).isEmpty();
    }

    @Test
    void shouldCloseTheConsumerWhenPositioningFails() {
        consumer.updatePartitions(TOPIC, List.of(partition(0))); // no end offsets: position() fails

        assertThatThrownBy(() -> builder(TopicFollower.StartAt.END).onRecord(received::add).start(consumer))
                .isInstanceOf(IllegalStateException.class);
        assertThat(consumer.closed()).isTrue();
    }

    @Test
    void shouldReportAConsumerFailureAndCloseTheConsumer() throws Exception {
        follower = builder(TopicFollower.StartAt.END).onRecord(received::add).start(twoPartitions());
        KafkaException broken = new KafkaException("broker gone");
        consumer.setPollException(broken);

        assertThat(failure.get(WAIT_S, TimeUnit.SECONDS)).isSameAs(broken);
        awaitClosed();
    }

    @Test
    void shouldStopAtTheFirstCallbackFailure() throws Exception {
        IllegalArgumentException bad = new IllegalArgumentException("bad record");
        follower = builder(TopicFollower.StartAt.END)
                .onRecord(r -> {
                    received.add(r);
                    throw bad;
                })
                .start(twoPartitions());
        consumer.add(record(P0, 5, "x"));
        consumer.add(record(P0, 6, "y"));

        assertThat(failure.get(WAIT_S, TimeUnit.SECONDS)).isSameAs(bad);
        awaitClosed();
        assertThat(received).extracting(ConsumerRecord::value).containsExactly("x");
    }

    @Test
    void shouldCloseIdempotentlyWithoutReportingAFailure() {
        follower = builder(TopicFollower.StartAt.END).onRecord(received::add).start(twoPartitions());

        follower.close();

        assertThat(consumer.closed()).isTrue();
        assertThat(followerThreadAlive()).isFalse();
        follower.close(); // and once more after the test
        assertThat(failure).isNotDone();
    }

    @Test
    void shouldStopWhenClosedFromItsOwnCallback() throws Exception {
        AtomicReference<TopicFollower<String, String>> self = new AtomicReference<>();
        List<String> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Long> closeMillis = new CompletableFuture<>();
        self.set(builder(TopicFollower.StartAt.END)
                .onRecord(r -> {
                    seen.add(r.value());
                    long t0 = System.nanoTime();
                    self.get().close();
                    closeMillis.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                })
                .start(twoPartitions()));

        consumer.add(record(P0, 5, "stop"));

        assertThat(closeMillis.get(WAIT_S, TimeUnit.SECONDS)).isLessThan(1_000);
        awaitClosed();
        assertThat(seen).containsExactly("stop");
        assertThat(failure).isNotDone();
        self.get().close();
    }

    @Test
    void shouldSayWhatIsMissing() {
        var keys = new StringDeserializer();
        assertThatThrownBy(() -> TopicFollower.builder(keys, keys).startAt(TopicFollower.StartAt.END)
                .onRecord(received::add).start(consumer))
                .isInstanceOf(IllegalStateException.class).hasMessage("no topics to follow");
        assertThatThrownBy(() -> TopicFollower.builder(keys, keys).topics(List.of(TOPIC))
                .onRecord(received::add).start(consumer))
                .isInstanceOf(IllegalStateException.class).hasMessage("startAt not set: BEGINNING or END");
        assertThatThrownBy(() -> TopicFollower.builder(keys, keys).topics(List.of(TOPIC))
                .startAt(TopicFollower.StartAt.END).start(consumer))
                .isInstanceOf(IllegalStateException.class).hasMessage("no callback: set onRecord or onBatch");
        assertThatThrownBy(() -> TopicFollower.builder(keys, keys).onRecord(received::add).onBatch(b -> { }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the callback is already set: call onRecord or onBatch once");
        assertThatThrownBy(() -> TopicFollower.builder(keys, keys).topics(List.of(TOPIC))
                .startAt(TopicFollower.StartAt.END).onRecord(received::add).start())
                .isInstanceOf(IllegalStateException.class).hasMessage("bootstrapServers not set");
        assertThat(consumer.closed()).isFalse();
    }

    private ConsumerRecord<String, String> next() throws InterruptedException {
        ConsumerRecord<String, String> r = received.poll(WAIT_S, TimeUnit.SECONDS);
        assertThat(r).as("a record within %d s", WAIT_S).isNotNull();
        return r;
    }

    private void awaitClosed() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!consumer.closed() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(consumer.closed()).as("consumer closed").isTrue();
    }

    private static boolean followerThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("test-follower") && t.isAlive());
    }

    private static PartitionInfo partition(int p) {
        return new PartitionInfo(TOPIC, p, Node.noNode(), new Node[0], new Node[0]);
    }

    private static ConsumerRecord<String, String> record(TopicPartition tp, long offset, String value) {
        return new ConsumerRecord<>(tp.topic(), tp.partition(), offset, "k", value);
    }

    /**
     * A MockConsumer whose poll waits a little when it has nothing, as a real one does, instead of spinning; records
     * are added through it so a batch is added atomically with respect to polls.
     */
    static final class PollingMock extends MockConsumer<String, String> {
        PollingMock() {
            super("none");
        }

        void add(ConsumerRecord<String, String> r) {
            addAll(List.of(r));
        }

        synchronized void addAll(List<ConsumerRecord<String, String>> records) {
            records.forEach(this::addRecord);
        }

        @Override
        public ConsumerRecords<String, String> poll(Duration timeout) {
            ConsumerRecords<String, String> records = super.poll(timeout);
            if (records.isEmpty()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return records;
        }
    }
}
