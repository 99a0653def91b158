package io.irgstream.worker;

import io.irgstream.events.DeadLetter;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Outcomes to records: outputs as they are, retries onto their tier with their wait, dead letters. */
class FailureRouterTest {
    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    private final WorkerStats stats = new WorkerStats();
    private final FailureRouter router = new FailureRouter("think", "think-0", List.of("retry-1", "retry-2"),
            List.of(1000L, 5000L), "dead", new IrgAvroSerializer<>(registry.client()), stats);

    private static ConsumerRecord<byte[], byte[]> input(String topic, long offset) {
        return new ConsumerRecord<>(topic, 3, offset, "t-1".getBytes(StandardCharsets.UTF_8),
                "value".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldWriteOutputsAsTheyAreAndNothingForSkippedRecords() {
        ProducerRecord<byte[], byte[]> out = new ProducerRecord<>("thoughts", new byte[]{1});
        List<ProducerRecord<byte[], byte[]>> routed = router.route(List.of(new Outcome.Produced(input("prompts", 1), out),
                new Outcome.Skipped(input("prompts", 2))));
        assertThat(routed).containsExactly(out);
    }

    @Test
    void shouldPutARetryOnTheTierOfItsNextAttemptWaitingItsDelayOrTheServersRetryAfter() {
        long before = System.currentTimeMillis();
        List<ProducerRecord<byte[], byte[]>> routed = router.route(List.of(
                new Outcome.Retry(input("prompts", 7), new ModelOutputException("no verdict"), FailureKind.OUTPUT_INVALID),
                new Outcome.Retry(input("prompts", 8), new ModelUnavailableException("429", Duration.ofSeconds(30), null),
                        FailureKind.TRANSIENT)));
        assertThat(routed).extracting(ProducerRecord::topic).containsExactly("retry-1", "retry-1");
        RetryHeaders first = RetryHeaders.of(asConsumed(routed.get(0)));
        assertThat(first.attempt()).isEqualTo(2);
        assertThat(first.originalTopic()).isEqualTo("prompts");
        assertThat(first.originalPartition()).isEqualTo(3);
        assertThat(first.originalOffset()).isEqualTo(7);
        assertThat(first.notBefore()).isBetween(before + 1000, System.currentTimeMillis() + 1000);
        assertThat(RetryHeaders.of(asConsumed(routed.get(1))).notBefore()).isGreaterThanOrEqualTo(before + 30_000);
        assertThat(routed.get(0).value()).isEqualTo("value".getBytes(StandardCharsets.UTF_8));
        assertThat(stats.retries()).isEqualTo(2);
    }

    @Test
    void shouldDeadLetterARetryWithNoRetriesLeftWithItsOriginAndAttempts() {
        ConsumerRecord<byte[], byte[]> onTier2 = asConsumed(router.retry(asConsumed(router.retry(input("prompts", 9),
                new IllegalStateException("boom 1"))), new IllegalStateException("boom 2")));
        List<ProducerRecord<byte[], byte[]>> routed = router.route(List.of(
                new Outcome.Retry(onTier2, new IllegalStateException("boom 3"), FailureKind.TRANSIENT)));
        assertThat(routed).extracting(ProducerRecord::topic).containsExactly("dead");
        DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class).deserialize("dead", routed.get(0).value());
        assertThat(dl.getAttempts()).isEqualTo(3);
        assertThat(dl.getTopic()).isEqualTo("prompts");
        assertThat(dl.getOffset()).isEqualTo(9);
        assertThat(dl.getErrorMessage()).isEqualTo("boom 3");
        assertThat(dl.getErrorClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(dl.getTrajectoryId()).isEqualTo("t-1");
        assertThat(stats.deadLetters()).isEqualTo(1);
    }

    @Test
    void shouldDeadLetterAtOnceWithTheSizeAndTheLimitOfAnOversizeOutput() {
        List<ProducerRecord<byte[], byte[]>> routed = router.route(List.of(new Outcome.DeadLetter(input("prompts", 4),
                new OutputTooLargeException("thoughts", 2_000_000, 1_048_576, "producer.max.request.size"), FailureKind.OUTPUT_TOO_LARGE)));
        DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class).deserialize("dead", routed.get(0).value());
        assertThat(dl.getAttempts()).isEqualTo(1);
        assertThat(dl.getErrorClass()).isEqualTo(OutputTooLargeException.class.getName());
        assertThat(dl.getErrorMessage()).contains("2000000 bytes, over the limit of 1048576 bytes");
    }

    /** {@code r} as the worker reads it back from its topic. */
    private static ConsumerRecord<byte[], byte[]> asConsumed(ProducerRecord<byte[], byte[]> r) {
        return new ConsumerRecord<>(r.topic(), 0, 0, 0L, org.apache.kafka.common.record.TimestampType.CREATE_TIME,
                0, 0, r.key(), r.value(), r.headers(), java.util.Optional.empty());
    }
}
