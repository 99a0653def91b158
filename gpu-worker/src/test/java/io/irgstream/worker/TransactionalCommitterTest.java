package io.irgstream.worker;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One transaction per batch: its records and the offsets after it, or nothing. */
class TransactionalCommitterTest {
    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    private final WorkerStats stats = new WorkerStats();
    private final TransactionalCommitter committer = new TransactionalCommitter("think", "thoughts", stats);
    private final ConsumerGroupMetadata group = new ConsumerGroupMetadata("irg-think");
    private final List<ConsumerRecord<byte[], byte[]>> batch = List.of(
            new ConsumerRecord<>("prompts", 0, 5, null, new byte[1]), new ConsumerRecord<>("prompts", 0, 6, null, new byte[1]),
            new ConsumerRecord<>("prompts", 1, 2, null, new byte[1]), new ConsumerRecord<>("retry-1", 0, 0, null, new byte[1]));
    private final List<ProducerRecord<byte[], byte[]>> out = List.of(new ProducerRecord<>("thoughts", new byte[1]),
            new ProducerRecord<>("thoughts", new byte[1]), new ProducerRecord<>("dead", new byte[1]));

    TransactionalCommitterTest() {
        producer.initTransactions();
    }

    @Test
    void shouldCommitTheRecordsAndTheOffsetAfterEachPartitionsLastRecordInOneTransaction() {
        committer.commit(producer, group, batch, out);
        assertThat(producer.transactionCommitted()).isTrue();
        assertThat(producer.history()).containsExactlyElementsOf(out);
        assertThat(producer.consumerGroupOffsetsHistory()).containsExactly(Map.of("irg-think", Map.of(
                new TopicPartition("prompts", 0), new OffsetAndMetadata(7), new TopicPartition("prompts", 1),
                new OffsetAndMetadata(3), new TopicPartition("retry-1", 0), new OffsetAndMetadata(1))));
        assertThat(stats.batches()).isEqualTo(1);
        assertThat(stats.recordsIn()).isEqualTo(4);
        assertThat(stats.recordsOut()).isEqualTo(2);
    }

    @Test
    void shouldAbortAFailedTransactionAndSaySo() {
        producer.commitTransactionException = new TimeoutException("broker away");
        assertThatThrownBy(() -> committer.commit(producer, group, batch, out))
                .isInstanceOf(TransactionalCommitter.BatchAbortedException.class).hasMessageContaining("broker away");
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(stats.abortedBatches()).isEqualTo(1);
        assertThat(stats.batches()).isZero();
    }

    @Test
    void shouldThrowAFencingAsItIs() {
        producer.fenceProducer();
        assertThatThrownBy(() -> committer.commit(producer, group, batch, out)).isInstanceOf(ProducerFencedException.class);
        assertThat(stats.abortedBatches()).isZero();
    }
}
