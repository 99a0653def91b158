package io.irgstream.worker;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Batches close at their size or their wait; a retry tier whose head is not due waits alone. */
class BatchAccumulatorTest {
    private static final TopicPartition INPUT = new TopicPartition("prompts", 0);
    private static final TopicPartition TIER = new TopicPartition("retry-1", 0);

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");

    private void assign(TopicPartition... partitions) {
        consumer.assign(List.of(partitions));
        for (TopicPartition tp : partitions) {
            consumer.updateBeginningOffsets(Map.of(tp, 0L));
        }
    }

    private void add(TopicPartition tp, long offset) {
        consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, new byte[]{1}, new byte[]{2}));
    }

    @Test
    void shouldCloseABatchAtItsSizeAndKeepTheRestForTheNext() {
        assign(INPUT);
        for (int i = 0; i < 5; i++) {
            add(INPUT, i);
        }
        BatchAccumulator acc = new BatchAccumulator(4, 60_000, 10, List.of());
        acc.fill(consumer);
        assertThat(acc.take(false)).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L, 3L);
        assertThat(acc.take(false)).as("one record, waiting up to a minute for company").isEmpty();
        assertThat(acc.take(true)).as("taken at once when the worker stops").extracting(ConsumerRecord::offset).containsExactly(4L);
    }

    @Test
    void shouldNotPollWhileTheBufferIsFull() {
        assign(INPUT);
        add(INPUT, 0);
        add(INPUT, 1);
        BatchAccumulator acc = new BatchAccumulator(2, 60_000, 10, List.of());
        acc.fill(consumer);
        add(INPUT, 2);
        acc.fill(consumer);
        assertThat(acc.size()).isEqualTo(2);
    }

    @Test
    void shouldCloseABatchWhenItsFirstRecordHasWaitedMaxBatchWait() throws InterruptedException {
        assign(INPUT);
        add(INPUT, 0);
        BatchAccumulator acc = new BatchAccumulator(16, 50, 10, List.of());
        acc.fill(consumer);
        assertThat(acc.take(false)).isEmpty();
        Thread.sleep(60);
        assertThat(acc.take(false)).hasSize(1);
    }

    @Test
    void shouldPauseARetryTierWhoseHeadIsNotDueAndResumeItWhenItIs() throws InterruptedException {
        assign(INPUT, TIER);
        RecordHeaders h = new RecordHeaders();
        new RetryHeaders(2, System.currentTimeMillis() + 150, "prompts", 0, 9, 1).writeTo(h, "boom");
        consumer.addRecord(new ConsumerRecord<>("retry-1", 0, 0, 0L, TimestampType.CREATE_TIME, 1, 1, new byte[]{1},
                new byte[]{2}, h, Optional.empty()));
        add(INPUT, 0);
        BatchAccumulator acc = new BatchAccumulator(16, 0, 10, List.of("retry-1"));
        acc.fill(consumer);
        assertThat(acc.take(false)).as("the input partition does not wait").extracting(ConsumerRecord::topic).containsExactly("prompts");
        assertThat(consumer.paused()).containsExactly(TIER);
        assertThat(consumer.position(TIER)).as("sought back to the head").isZero();
        acc.pauseAll(consumer);
        acc.resumeAll(consumer);
        assertThat(consumer.paused()).as("a batch's pause leaves the waiting tier paused").containsExactly(TIER);
        Thread.sleep(160);
        acc.fill(consumer);
        assertThat(consumer.paused()).isEmpty();
    }

    @Test
    void shouldDropTheBufferedRecordsOfRevokedPartitions() {
        TopicPartition other = new TopicPartition("prompts", 1);
        assign(INPUT, other);
        add(INPUT, 0);
        add(other, 0);
        BatchAccumulator acc = new BatchAccumulator(16, 60_000, 10, List.of());
        acc.fill(consumer);
        acc.drop(List.of(INPUT));
        assertThat(acc.take(true)).extracting(ConsumerRecord::partition).containsExactly(1);
        assertThat(acc.clear()).isZero();
    }
}
