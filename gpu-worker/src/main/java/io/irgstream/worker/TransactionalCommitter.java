package io.irgstream.worker;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a batch's records and commits its input offsets in one Kafka transaction (KIP-447: fenced by the consumer
 * group metadata of the generation the batch was read in), so its outputs, retries and dead letters become visible
 * together with the offsets, or not at all.
 *
 * <p>A transaction that fails is aborted and the failure is thrown as a {@link BatchAbortedException}: the worker's
 * {@link Supervisor} then re-creates its clients, which read the batch again from the committed offsets, and a batch
 * that never commits stops the worker after {@code recovery.max.attempts}. A fatal producer error (fenced, stale epoch,
 * no permission) is thrown as it is.
 */
final class TransactionalCommitter {
    private static final Logger log = LoggerFactory.getLogger(TransactionalCommitter.class);

    /** A batch's transaction failed and was aborted: nothing of it is visible and its offsets are not committed. */
    static final class BatchAbortedException extends KafkaException {
        BatchAbortedException(int records, KafkaException cause) {
            super("the transaction of a batch of " + records + " failed and was aborted: " + StepWorker.oneLine(cause),
                    cause);
        }
    }

    private final String step;
    private final String outputTopic;
    private final WorkerStats stats;

    /**
     * @param step        the step's id, for logs
     * @param outputTopic the step's output topic (its records count as {@link WorkerStats#recordsOut()})
     * @param stats       counters (batches, records in and out, aborted batches)
     */
    TransactionalCommitter(String step, String outputTopic, WorkerStats stats) {
        this.step = step;
        this.outputTopic = outputTopic;
        this.stats = stats;
    }

    /**
     * Sends {@code out} and the offsets after {@code batch} in one transaction of {@code producer}.
     *
     * @param group the consumer's group metadata when the batch was taken
     * @throws BatchAbortedException when the transaction failed and was aborted
     */
    void commit(Producer<byte[], byte[]> producer, ConsumerGroupMetadata group, List<ConsumerRecord<byte[], byte[]>> batch,
                List<ProducerRecord<byte[], byte[]>> out) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        try {
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> p : out) {
                producer.send(p);
            }
            producer.sendOffsetsToTransaction(offsets, group);
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
                 | UnsupportedVersionException | AuthorizationException fatal) {
            throw fatal;
        } catch (KafkaException e) {
            log.warn("{} transaction for a batch of {} failed, aborting it: {}", step, batch.size(), StepWorker.oneLine(e));
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailure) {
                e.addSuppressed(abortFailure);
                throw e;
            }
            stats.abortedBatches.incrementAndGet();
            throw new BatchAbortedException(batch.size(), e);
        }
        stats.batches.incrementAndGet();
        stats.recordsIn.addAndGet(batch.size());
        stats.lastBatchSize.set(batch.size());
        stats.recordsOut.addAndGet(out.stream().filter(p -> p.topic().equals(outputTopic)).count());
    }
}
