package io.irgstream.schemas.client;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Submits prompts to {@code <prefix>prompts} (straight to the think workers) or to {@code <prefix>submissions} (the
 * topology's admission scheduler, which releases them into the prompts topic by priority class and tenant) and
 * cancellations to {@code <prefix>cancellations}. Thread-safe; one
 * producer per client.
 */
public final class TrajectoryClient implements AutoCloseable {
    /**
     * Header of a PromptSubmitted whose id was derived from an idempotency key (value: the tenant): think workers run
     * only the first such record of an id.
     */
    public static final String IDEMPOTENT_HEADER = "irg-idempotent";
    private final KafkaProducer<byte[], byte[]> producer;
    private final IrgAvroSerializer<PromptSubmitted> serializer;
    private final String topic;
    private final String queueTopic;
    private final String cancelTopic;
    private final IrgAvroSerializer<CancellationRequested> cancelSerializer;
    private final String source;
    private final SecureRandom random = new SecureRandom();

    /** As {@link #TrajectoryClient(KafkaClientSettings, SchemaRegistryClient, String, String)} over plaintext. */
    public TrajectoryClient(String bootstrapServers, SchemaRegistryClient registry, String topicPrefix, String source) {
        this(KafkaClientSettings.of(bootstrapServers), registry, topicPrefix, source);
    }

    /**
     * @param kafka       the process's Kafka client settings (bootstrap servers, security.protocol, sasl.*, ssl.*)
     * @param registry    the schema registry the events are registered with
     * @param topicPrefix prefix of the topic names
     * @param source      who submits (client id {@code irg-client-<source>}), e.g. cli or http
     */
    public TrajectoryClient(KafkaClientSettings kafka, SchemaRegistryClient registry, String topicPrefix, String source) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "irg-client-" + source);
        kafka.applyTo(p);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new IrgAvroSerializer<>(registry);
        this.topic = Topics.withPrefix(topicPrefix).prompts().name();
        this.queueTopic = Topics.withPrefix(topicPrefix).submissions().name();
        this.cancelTopic = Topics.withPrefix(topicPrefix).cancellations().name();
        this.cancelSerializer = new IrgAvroSerializer<>(registry);
        this.source = source;
    }

    /** Builds the event for {@code s}: a new trajectory id, and a drawn seed when none was given. */
    public PromptSubmitted event(Submission s) {
        return event(s, s.idempotencyKey() == null ? UUID.randomUUID().toString()
                : Submission.idFor(s.tenant(), s.idempotencyKey(), 0));
    }

    /**
     * Builds the event for {@code s} with trajectory id {@code id}. With an idempotency key and no seed, the seed is
     * derived from the id, so two API instances that take the same request build the same event.
     */
    public PromptSubmitted event(Submission s, String id) {
        long seed = s.seed() != null ? s.seed()
                : s.idempotencyKey() != null ? UUID.fromString(id).getLeastSignificantBits() & Long.MAX_VALUE
                : random.nextLong() & Long.MAX_VALUE;
        return PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder()
                .setTrajectoryId(id)
                .setPrompt(s.prompt())
                .setSeed(seed)
                .setRounds(s.rounds())
                .setSampler(SamplerParams.newBuilder(s.sampler()).build())
                .setSubmittedAt(Instant.now())
                .setSource(source)
                .setDeadline(s.deadline())
                .setTenant(s.tenant())
                .setIdempotencyKey(s.idempotencyKey())
                .setCallbackUrl(s.callbackUrl())
                .setPriority(s.priority().wireName())
                .build()).build();
    }

    /** Submits one prompt and waits for the broker's acknowledgement; returns the event sent. */
    public PromptSubmitted submit(Submission s) {
        return submitAll(List.of(s)).get(0);
    }

    /** Submits all prompts at once (so the pipeline can batch them) and waits for every acknowledgement. */
    public List<PromptSubmitted> submitAll(List<Submission> submissions) {
        return submitAll(submissions, false);
    }

    /**
     * Submits all prompts at once and waits for every acknowledgement.
     *
     * @param viaScheduler true: to the admission scheduler's topic ({@code <prefix>submissions}, needs the topology
     *                     running); false: straight to {@code <prefix>prompts}
     */
    public List<PromptSubmitted> submitAll(List<Submission> submissions, boolean viaScheduler) {
        List<PromptSubmitted> events = new ArrayList<>(submissions.size());
        for (Submission s : submissions) {
            events.add(event(s));
        }
        submitEvents(events, viaScheduler);
        return events;
    }

    /** Sends events made by {@link #event} to the prompts topic and waits for every acknowledgement. */
    public void submitEvents(List<PromptSubmitted> events) {
        submitEvents(events, false);
    }

    /**
     * Sends events made by {@link #event} and waits for every acknowledgement.
     *
     * @param viaScheduler true: to {@code <prefix>submissions}, the admission scheduler's queue; false: to
     *                     {@code <prefix>prompts}
     */
    public void submitEvents(List<PromptSubmitted> events, boolean viaScheduler) {
        String topic = viaScheduler ? queueTopic : this.topic;
        List<Future<?>> acks = new ArrayList<>(events.size());
        for (PromptSubmitted e : events) {
            String id = e.getContext().getTrajectoryId();
            Span span = KafkaTracing.tracer().spanBuilder("irg submit").setSpanKind(SpanKind.PRODUCER)
                    .setAttribute("irg.trajectory.id", id).setAttribute("irg.source", source)
                    .setAttribute("messaging.destination.name", topic).startSpan();
            RecordHeaders headers = new RecordHeaders();
            KafkaTracing.inject(Context.root().with(span), headers);
            span.end();
            if (e.getContext().getIdempotencyKey() != null) {
                // what the think workers' de-duplication looks for (a dead letter re-submitted without it still runs)
                headers.add(IDEMPOTENT_HEADER, e.getContext().getTenant().getBytes(StandardCharsets.UTF_8));
            }
            acks.add(producer.send(new ProducerRecord<>(topic, null, id.getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, e), headers)));
        }
        producer.flush();
        for (Future<?> f : acks) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("could not submit to " + topic + ": " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IllegalStateException("could not submit to " + topic + ": no answer from the broker in 30 s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while submitting", e);
            }
        }
    }

    /** Asks every step to skip trajectory {@code id} from now on; waits for the broker's acknowledgement. */
    public void cancel(String id, String requestedBy, String reason) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("trajectory id is empty");
        }
        CancellationRequested c = CancellationRequested.newBuilder().setTrajectoryId(id).setRequestedAt(Instant.now())
                .setRequestedBy(requestedBy).setReason(reason).build();
        try {
            producer.send(new ProducerRecord<>(cancelTopic, id.getBytes(StandardCharsets.UTF_8),
                    cancelSerializer.serialize(cancelTopic, c))).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not cancel " + id + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("could not cancel " + id + ": no answer from the broker in 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while cancelling", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
