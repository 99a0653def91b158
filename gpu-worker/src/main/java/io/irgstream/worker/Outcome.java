package io.irgstream.worker;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * What became of one input record of a batch ({@link BatchExecutor}); the {@link FailureRouter} turns it into what
 * the batch's transaction writes.
 */
public sealed interface Outcome {
    /** The input record. */
    ConsumerRecord<byte[], byte[]> input();

    /** The step produced {@code output} (its event, encoded, for the step's output topic). */
    record Produced(ConsumerRecord<byte[], byte[]> input, ProducerRecord<byte[], byte[]> output) implements Outcome {
    }

    /** The attempt failed in a way a later attempt may not ({@link FailureKind#retried()}). */
    record Retry(ConsumerRecord<byte[], byte[]> input, Exception cause, FailureKind kind) implements Outcome {
    }

    /** The record goes to the dead letters at once. */
    record DeadLetter(ConsumerRecord<byte[], byte[]> input, Exception cause, FailureKind kind) implements Outcome {
    }

    /** The record needs no work (a revision, a last-round final image, a cancelled trajectory): nothing is written. */
    record Skipped(ConsumerRecord<byte[], byte[]> input) implements Outcome {
    }

    /**
     * The trajectory's deadline had passed: no model call, no output; {@code report} (a CancellationRequested with
     * the deadline, for the cancellations topic) tells the topology and the other workers.
     */
    record Expired(ConsumerRecord<byte[], byte[]> input, ProducerRecord<byte[], byte[]> report) implements Outcome {
    }

    /** The outcome of {@code input} failing with {@code cause}: a retry or a dead letter, by its {@link FailureKind}. */
    static Outcome failed(ConsumerRecord<byte[], byte[]> input, Exception cause) {
        FailureKind kind = FailureKind.of(cause);
        return kind.retried() ? new Retry(input, cause, kind) : new DeadLetter(input, cause, kind);
    }
}
