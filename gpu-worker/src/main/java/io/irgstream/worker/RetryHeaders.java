package io.irgstream.worker;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.charset.StandardCharsets;

/**
 * What a record waiting on a retry topic carries besides its original key and value: the attempt it is waiting
 * for, when that attempt may start, where the record first came from, and when it first failed.
 *
 * @param attempt        the attempt this record is for: 1 on the input topic, 2 after the first failure, ...
 * @param notBefore      epoch ms before which the attempt must not start (0: at once)
 * @param originalTopic  the input topic the record was first read from
 * @param originalPartition its partition there
 * @param originalOffset    its offset there
 * @param firstFailedAt  epoch ms of the first failure (0 when it has not failed yet)
 */
record RetryHeaders(int attempt, long notBefore, String originalTopic, int originalPartition, long originalOffset,
                    long firstFailedAt) {
    static final String ATTEMPT = "irg-attempt";
    static final String NOT_BEFORE = "irg-not-before";
    static final String ORIGINAL_TOPIC = "irg-original-topic";
    static final String ORIGINAL_PARTITION = "irg-original-partition";
    static final String ORIGINAL_OFFSET = "irg-original-offset";
    static final String FIRST_FAILED_AT = "irg-first-failed-at";
    static final String LAST_ERROR = "irg-last-error";

    /** The retry state of {@code r}: read from its headers, or attempt 1 for a record from an input topic. */
    static RetryHeaders of(ConsumerRecord<byte[], byte[]> r) {
        Headers h = r.headers();
        String topic = get(h, ORIGINAL_TOPIC);
        if (topic == null) {
            return new RetryHeaders(1, 0, r.topic(), r.partition(), r.offset(), 0);
        }
        return new RetryHeaders(Integer.parseInt(get(h, ATTEMPT)), Long.parseLong(get(h, NOT_BEFORE)), topic,
                Integer.parseInt(get(h, ORIGINAL_PARTITION)), Long.parseLong(get(h, ORIGINAL_OFFSET)),
                Long.parseLong(get(h, FIRST_FAILED_AT)));
    }

    /** The state of the next attempt, after a failure at {@code now}, waiting {@code delayMs}. */
    RetryHeaders next(long now, long delayMs) {
        return new RetryHeaders(attempt + 1, now + delayMs, originalTopic, originalPartition, originalOffset,
                firstFailedAt == 0 ? now : firstFailedAt);
    }

    /** Writes this state (and the error that led to it) into {@code h}. */
    void writeTo(Headers h, String error) {
        put(h, ATTEMPT, Integer.toString(attempt));
        put(h, NOT_BEFORE, Long.toString(notBefore));
        put(h, ORIGINAL_TOPIC, originalTopic);
        put(h, ORIGINAL_PARTITION, Integer.toString(originalPartition));
        put(h, ORIGINAL_OFFSET, Long.toString(originalOffset));
        put(h, FIRST_FAILED_AT, Long.toString(firstFailedAt));
        put(h, LAST_ERROR, error.length() > 1000 ? error.substring(0, 1000) : error);
    }

    private static void put(Headers h, String key, String value) {
        h.remove(key);
        h.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String get(Headers h, String key) {
        Header x = h.lastHeader(key);
        return x == null ? null : new String(x.value(), StandardCharsets.UTF_8);
    }
}
