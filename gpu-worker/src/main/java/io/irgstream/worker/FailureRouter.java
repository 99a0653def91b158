package io.irgstream.worker;

import io.irgstream.events.DeadLetter;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a batch's {@link Outcome}s into the records its transaction writes: each output event as it is, a record to
 * retry onto the retry tier of its next attempt (with {@link RetryHeaders}: when it may run, where it came from), and
 * a record that cannot be processed, or has no retries left, onto the dead-letter topic as a {@link DeadLetter}.
 */
final class FailureRouter {
    private static final Logger log = LoggerFactory.getLogger(FailureRouter.class);

    private final String step;
    private final String workerId;
    private final List<String> retryTopics;
    private final List<Long> retryBackoffMs;
    private final String deadLetterTopic;
    private final IrgAvroSerializer<SpecificRecord> serializer;
    private final WorkerStats stats;

    /**
     * @param step            the step's id
     * @param workerId        this worker's id, recorded in dead letters
     * @param retryTopics     the retry tier of each attempt after the first
     * @param retryBackoffMs  the delay before each retry; its length is the number of retries
     * @param deadLetterTopic where records that cannot be processed go
     * @param serializer      the dead-letter event serializer
     * @param stats           counters (retries, dead letters)
     */
    FailureRouter(String step, String workerId, List<String> retryTopics, List<Long> retryBackoffMs,
                  String deadLetterTopic, IrgAvroSerializer<SpecificRecord> serializer, WorkerStats stats) {
        this.step = step;
        this.workerId = workerId;
        this.retryTopics = List.copyOf(retryTopics);
        this.retryBackoffMs = List.copyOf(retryBackoffMs);
        this.deadLetterTopic = deadLetterTopic;
        this.serializer = serializer;
        this.stats = stats;
    }

    /**
     * What the transaction writes for {@code outcomes}: nothing for a skipped record, the report for an expired one,
     * one record for any other.
     */
    List<ProducerRecord<byte[], byte[]>> route(List<Outcome> outcomes) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(outcomes.size());
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.Produced p) {
                out.add(p.output());
            } else if (o instanceof Outcome.Retry r) {
                out.add(retry(r.input(), r.cause()));
            } else if (o instanceof Outcome.DeadLetter d) {
                out.add(deadLetter(d.input(), d.cause()));
            } else if (o instanceof Outcome.Expired e) {
                out.add(e.report());
            }
        }
        return out;
    }

    /**
     * The record of the next attempt on its retry tier, waiting that tier's delay (at least the Retry-After of a
     * {@link ModelUnavailableException}), or a dead letter when no retries are left.
     */
    ProducerRecord<byte[], byte[]> retry(ConsumerRecord<byte[], byte[]> r, Exception e) {
        RetryHeaders state;
        try {
            state = RetryHeaders.of(r);
        } catch (RuntimeException unreadable) {
            return deadLetter(r, e);
        }
        if (state.attempt() > retryBackoffMs.size()) {
            return deadLetter(r, e);
        }
        long now = System.currentTimeMillis();
        long delay = retryBackoffMs.get(state.attempt() - 1);
        if (e instanceof ModelUnavailableException u && u.retryAfter().isPresent()) {
            delay = Math.max(delay, u.retryAfter().get().toMillis()); // the server's Retry-After
        }
        RetryHeaders next = state.next(now, delay);
        String tier = retryTopics.get(state.attempt() - 1);
        stats.retries.incrementAndGet();
        log.warn("{} attempt {} of {}-{}@{} (key {}) failed, retrying in {} ms via {}: {}", step, state.attempt(),
                next.originalTopic(), next.originalPartition(), next.originalOffset(), key(r), next.notBefore() - now,
                tier, StepWorker.oneLine(e));
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers()) {
            headers.add(h);
        }
        next.writeTo(headers, e.getClass().getName() + ": " + StepWorker.oneLine(e));
        return new ProducerRecord<>(tier, null, r.key(), r.value(), headers);
    }

    /** The dead letter of {@code r}: where it first came from, its bytes, the error, the attempts and when they failed. */
    ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> r, Exception e) {
        stats.deadLetters.incrementAndGet();
        long now = System.currentTimeMillis();
        RetryHeaders state;
        try {
            state = RetryHeaders.of(r);
        } catch (RuntimeException unreadable) {
            state = new RetryHeaders(1, 0, r.topic(), r.partition(), r.offset(), 0);
        }
        String key = key(r);
        String error = StepWorker.oneLine(e);
        log.warn("{} dead-lettering {}-{}@{} (key {}): {}", step, r.topic(), r.partition(), r.offset(), key, error);
        DeadLetter dl = DeadLetter.newBuilder()
                .setStep(step)
                .setTrajectoryId(key)
                .setTopic(state.originalTopic())
                .setPartition(state.originalPartition())
                .setOffset(state.originalOffset())
                .setKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
                .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
                .setErrorClass(rootCause(e).getClass().getName())
                .setErrorMessage(error)
                .setAttempts(state.attempt())
                .setFirstFailedAt(Instant.ofEpochMilli(state.firstFailedAt() == 0 ? now : state.firstFailedAt()))
                .setLastFailedAt(Instant.ofEpochMilli(now))
                .setWorkerId(workerId)
                .build();
        Span span = KafkaTracing.tracer().spanBuilder("irg " + step + " dead letter")
                .setParent(KafkaTracing.extract(r.headers())).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("irg.step", step).setAttribute("irg.worker.id", workerId)
                .setAttribute("messaging.destination.name", r.topic()).setAttribute("messaging.kafka.offset", r.offset())
                .startSpan();
        if (key != null) {
            span.setAttribute("irg.trajectory.id", key);
        }
        span.setStatus(StatusCode.ERROR, error);
        RecordHeaders headers = new RecordHeaders();
        KafkaTracing.inject(Context.root().with(span), headers);
        span.end();
        return new ProducerRecord<>(deadLetterTopic, null, r.key(), serializer.serialize(deadLetterTopic, dl), headers);
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
