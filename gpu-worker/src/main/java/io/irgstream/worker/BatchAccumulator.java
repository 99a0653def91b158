package io.irgstream.worker;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The records a worker has polled and not yet taken into a batch. A batch closes when it holds
 * {@code max.batch.size} records or {@code max.batch.wait.ms} after its first record arrived; while the buffer is
 * full the worker does not poll, so memory stays bounded. A retry-tier partition whose head record is not due yet is
 * paused (and sought back to that record) until it is; the input partitions never wait.
 *
 * <p>Used from the worker's poll thread only.
 */
final class BatchAccumulator {
    private record Pending(ConsumerRecord<byte[], byte[]> record, long arrivedNanos) {
    }

    private final int maxBatchSize;
    private final long maxWaitNanos;
    private final long pollTimeoutMs;
    private final Set<String> retryTopics;
    private final ArrayDeque<Pending> buffer = new ArrayDeque<>();
    private final Map<TopicPartition, Long> pausedUntil = new HashMap<>();

    /**
     * @param maxBatchSize   {@code max.batch.size}
     * @param maxBatchWaitMs {@code max.batch.wait.ms}
     * @param pollTimeoutMs  longest poll while no batch is open ({@code poll.timeout.ms})
     * @param retryTopics    the step's retry tiers, whose records carry a not-before time
     */
    BatchAccumulator(int maxBatchSize, long maxBatchWaitMs, long pollTimeoutMs, Collection<String> retryTopics) {
        this.maxBatchSize = maxBatchSize;
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxBatchWaitMs);
        this.pollTimeoutMs = pollTimeoutMs;
        this.retryTopics = Set.copyOf(retryTopics);
    }

    /**
     * Resumes retry partitions that are due, then, unless the buffer is full, polls once: as long as a lone record may
     * wait for company, or {@code poll.timeout.ms} when the buffer is empty.
     */
    void fill(Consumer<byte[], byte[]> consumer) {
        resumeDue(consumer);
        if (buffer.size() >= maxBatchSize) {
            return;
        }
        long timeoutMs = buffer.isEmpty() ? pollTimeoutMs
                : Math.max(0, TimeUnit.NANOSECONDS.toMillis(buffer.peekFirst().arrivedNanos + maxWaitNanos - System.nanoTime()));
        poll(consumer, Duration.ofMillis(timeoutMs));
    }

    /** Polls once with {@code timeout} and buffers what comes back (e.g. to keep the consumer alive during a batch). */
    void poll(Consumer<byte[], byte[]> consumer, Duration timeout) {
        Set<TopicPartition> waiting = new HashSet<>();
        long now = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (waiting.contains(tp)) {
                continue; // behind a record that is not due yet; read again after the resume
            }
            long notBefore = retryTopics.contains(r.topic()) ? notBefore(r) : 0;
            if (notBefore > now) {
                // Retry tiers are FIFO with one delay each: the head waits, the other partitions go on.
                waiting.add(tp);
                consumer.pause(List.of(tp));
                consumer.seek(tp, r.offset());
                pausedUntil.put(tp, notBefore);
                continue;
            }
            buffer.addLast(new Pending(r, System.nanoTime()));
        }
    }

    /**
     * The next batch: up to {@code max.batch.size} buffered records, when the buffer holds that many, when its first
     * record has waited {@code max.batch.wait.ms}, or when {@code now} (the worker is stopping); else an empty list.
     */
    List<ConsumerRecord<byte[], byte[]>> take(boolean now) {
        if (buffer.isEmpty()) {
            return List.of();
        }
        boolean full = buffer.size() >= maxBatchSize;
        boolean due = System.nanoTime() - buffer.peekFirst().arrivedNanos >= maxWaitNanos;
        if (!full && !due && !now) {
            return List.of();
        }
        List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(Math.min(maxBatchSize, buffer.size()));
        while (batch.size() < maxBatchSize && !buffer.isEmpty()) {
            batch.add(buffer.pollFirst().record);
        }
        return batch;
    }

    /** Pauses every assigned partition (a batch is running; the consumer is polled only to stay in its group). */
    void pauseAll(Consumer<byte[], byte[]> consumer) {
        consumer.pause(consumer.assignment());
    }

    /** Resumes every assigned partition except the retry partitions whose head is not due yet. */
    void resumeAll(Consumer<byte[], byte[]> consumer) {
        Set<TopicPartition> resume = new HashSet<>(consumer.assignment());
        resume.removeAll(pausedUntil.keySet());
        consumer.resume(resume);
    }

    /**
     * Drops the buffered records of partitions this worker no longer owns: uncommitted, so the partitions' next owner
     * reads them again from the committed offsets.
     */
    void drop(Collection<TopicPartition> partitions) {
        buffer.removeIf(p -> partitions.contains(new TopicPartition(p.record.topic(), p.record.partition())));
        pausedUntil.keySet().removeAll(partitions);
    }

    /** Drops everything (the client session ended); returns how many records were buffered. */
    int clear() {
        int n = buffer.size();
        buffer.clear();
        pausedUntil.clear();
        return n;
    }

    /** Buffered records. */
    int size() {
        return buffer.size();
    }

    private void resumeDue(Consumer<byte[], byte[]> consumer) {
        if (pausedUntil.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        List<TopicPartition> due = new ArrayList<>();
        pausedUntil.entrySet().removeIf(e -> {
            if (e.getValue() <= now) {
                due.add(e.getKey());
                return true;
            }
            return false;
        });
        due.retainAll(consumer.assignment());
        if (!due.isEmpty()) {
            consumer.resume(due);
        }
    }

    private static long notBefore(ConsumerRecord<byte[], byte[]> r) {
        try {
            return RetryHeaders.of(r).notBefore();
        } catch (RuntimeException unreadable) {
            return 0; // unreadable retry headers: try it now, the attempt reports the problem
        }
    }
}
