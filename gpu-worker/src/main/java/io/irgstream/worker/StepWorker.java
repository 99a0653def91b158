package io.irgstream.worker;

import io.irgstream.events.DeadLetter;
import io.irgstream.events.Provenance;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.model.Seeds;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.tracing.KafkaTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import org.apache.kafka.common.header.internals.RecordHeaders;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One instance of one IRG step: a transactional consume -> model -> produce loop with dynamic micro-batching.
 *
 * <p>Design notes:
 * <ul>
 *   <li><b>Exactly once within Kafka.</b> Each batch's output events, its dead letters and its input offsets are
 *       committed in one Kafka transaction, fenced by the consumer group's metadata (KIP-447). A worker that dies
 *       mid-batch leaves an open transaction that its successor aborts (same {@code worker.id}) or that times out;
 *       read_committed readers never see its output, and the input is read again.</li>
 *   <li><b>Micro-batching.</b> Records are buffered as they arrive; a batch closes when it holds
 *       {@code max.batch.size} records or {@code max.batch.wait.ms} after its first record arrived. The model runs
 *       once per batch. With the default wait of 0 a batch is whatever is ready when the model is free (as Triton's
 *       dynamic batcher with no queue delay): an idle worker starts on a lone record at once, and under load the
 *       records that arrived during a batch make the next one. While the buffer is full the worker stops polling,
 *       so memory stays bounded.</li>
 *   <li><b>Bad input.</b> A record that cannot be decoded or whose model call fails alone goes to the dead-letter
 *       topic with the reason, in the same transaction; the rest of the batch completes.</li>
 *   <li><b>Typed model failures</b> ({@link io.irgstream.model.StepModelException}) are routed on their class: a
 *       {@link ModelRequestRejectedException} is dead-lettered at once, a {@link ModelUnavailableException} waits at
 *       least its Retry-After on its retry tier, anything else is retried. An engine that reports a batch's requests
 *       one by one ({@link io.irgstream.model.PartialBatchException}) keeps its successes.</li>
 *   <li><b>Threading.</b> {@link #run()} runs the loop on the calling thread; {@link #close()} may be called from any
 *       thread (e.g. a SIGTERM hook): the open batch finishes and commits, then the clients close.</li>
 * </ul>
 */
public final class StepWorker implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StepWorker.class);

    private final WorkerConfig config;
    private final StepHandler<SpecificRecord, SpecificRecord> handler;
    private final StepModel model;
    private final ImageStore images;
    private final StepTopics topics;
    private final Map<String, IrgAvroDeserializer<? extends SpecificRecord>> inputDeserializers = new HashMap<>();
    private final Cancellations cancellations;
    private final List<String> retryTopics = new ArrayList<>();
    private final List<Long> retryBackoffMs;
    private final Map<TopicPartition, Long> pausedUntil = new HashMap<>();
    private final MeterRegistry metrics;
    private final Tags tags;
    private final DistributionSummary batchSizes;
    private final Timer queueWait;
    private final Timer compute;
    private final IrgAvroSerializer<SpecificRecord> serializer;
    private final WorkerStats stats = new WorkerStats();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final ArrayDeque<Pending> buffer = new ArrayDeque<>();
    private volatile boolean running = true;
    private volatile KafkaConsumer<byte[], byte[]> consumer;

    /** Longest prompt a worker accepts (the same limit as submit's). */
    static final int MAX_PROMPT_CHARS = io.irgstream.schemas.client.Submission.MAX_PROMPT_CHARS;

    /**
     * Rejects text no model should see: empty, longer than {@code max}, or not valid UTF-8 on the wire (Avro
     * decodes malformed bytes to U+FFFD, which no client writes).
     */
    static void checkText(String what, String text, int max) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("the " + what + " is empty");
        }
        if (text.length() > max) {
            throw new IllegalArgumentException("the " + what + " has " + text.length() + " characters; the limit is " + max);
        }
        if (text.indexOf('\uFFFD') >= 0) {
            throw new IllegalArgumentException("the " + what + " is not valid UTF-8");
        }
    }

    private record Pending(ConsumerRecord<byte[], byte[]> record, long arrivedNanos) {
    }

    /**
     * @param config   validated worker configuration
     * @param model    the step model; owned by the caller (not closed by the worker)
     * @param registry schema registry client shared by the serdes
     * @param images   image store for reading inputs and writing outputs
     * @param cancellations cancelled trajectories to skip, or null to skip none
     */
    public StepWorker(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                      Cancellations cancellations) {
        this(config, model, registry, images, cancellations, null);
    }

    /**
     * As {@link #StepWorker(WorkerConfig, StepModel, SchemaRegistryClient, ImageStore, Cancellations)}, publishing
     * the worker's meters ({@code irg.worker.*} and its Kafka clients' metrics) to {@code metrics} when not null.
     */
    @SuppressWarnings("unchecked")
    public StepWorker(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                      Cancellations cancellations, MeterRegistry metrics) {
        if (model.step() != config.step()) {
            throw new IllegalArgumentException("worker for step " + config.step().id() + " was given a "
                    + model.step().id() + " model (" + model.info().name() + ")");
        }
        this.config = config;
        this.model = model;
        this.images = images;
        this.handler = (StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(config.step());
        Topics all = Topics.withPrefix(config.topicPrefix());
        handler.inputs(all).forEach((topic, type) -> inputDeserializers.put(topic, new IrgAvroDeserializer<>(registry, type)));
        this.topics = new StepTopics(List.copyOf(new java.util.TreeSet<>(handler.inputs(all).keySet())),
                handler.output(all), all.deadLetters().name());
        for (int tier = 1; tier <= Topics.RETRY_TIERS; tier++) {
            retryTopics.add(all.retry(config.step().id(), tier).name());
        }
        this.retryBackoffMs = config.retryBackoffMs();
        this.cancellations = cancellations;
        this.metrics = metrics != null ? metrics : new SimpleMeterRegistry();
        this.tags = Tags.of("step", config.step().id(), "worker", config.workerId());
        stats.bindTo(this.metrics, tags);
        this.batchSizes = DistributionSummary.builder("irg.worker.batch.size").description("records per model call")
                .tags(tags).publishPercentileHistogram(false).register(this.metrics);
        this.queueWait = Timer.builder("irg.worker.queue.wait")
                .description("from the input event's timestamp to the start of its model call").tags(tags)
                .publishPercentiles(0.5, 0.95, 0.99).register(this.metrics);
        this.compute = Timer.builder("irg.worker.compute").description("duration of one model call (one batch)")
                .tags(tags).publishPercentiles(0.5, 0.95, 0.99).register(this.metrics);
        this.serializer = new IrgAvroSerializer<>(registry);
    }

    public WorkerStats stats() {
        return stats;
    }

    public StepTopics topics() {
        return topics;
    }

    @Override
    public void run() {
        String txId = config.groupId() + "-" + config.workerId();
        int failedRecoveries = 0;
        try {
            while (running) {
                Session session = new Session();
                try {
                    runSession(txId, session);
                } catch (WakeupException e) {
                    // close() during a poll: normal shutdown (the loop ends as running is false)
                } catch (RuntimeException e) {
                    if (!running) {
                        log.warn("{} worker {} failed while stopping: {}", config.step().id(), config.workerId(),
                                oneLine(e));
                        break;
                    }
                    if (!recoverable(e)) {
                        log.error("{} worker {} failed and stops; its uncommitted input will be read again by the next"
                                + " owner: {}", config.step().id(), config.workerId(), oneLine(e));
                        throw e;
                    }
                    failedRecoveries = session.committed ? 1 : failedRecoveries + 1;
                    if (failedRecoveries > config.recoveryMaxAttempts()) {
                        log.error("{} worker {} failed and stops after {} recoveries in a row that committed nothing"
                                        + " ({} = {}); its uncommitted input will be read again by the next owner: {}",
                                config.step().id(), config.workerId(), failedRecoveries - 1,
                                WorkerConfig.RECOVERY_MAX_ATTEMPTS, config.recoveryMaxAttempts(), oneLine(e));
                        throw e;
                    }
                    long delay = Math.min(config.recoveryBackoffMaxMs(),
                            config.recoveryBackoffMs() << Math.min(20, failedRecoveries - 1));
                    stats.restarts.incrementAndGet();
                    log.warn("{} worker {} hit {}: {}; closed its Kafka clients and dropped {} buffered records (read"
                                    + " again from the committed offsets), re-creating them in {} ms (recovery {} of"
                                    + " at most {} in a row)", config.step().id(), config.workerId(),
                            e.getClass().getSimpleName(), oneLine(e), session.dropped, delay, failedRecoveries,
                            config.recoveryMaxAttempts());
                    try {
                        stopRequested.await(delay, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                    // After the wait, a duplicate that fenced this worker has joined the group under the same id.
                    if (running && isFencing(e) && duplicateLive(session)) {
                        log.error("{} worker {} was fenced by another live instance with the same worker.id {}; stopping"
                                        + " so the two do not fence each other in turn (give each instance its own"
                                        + " worker.id): {}", config.step().id(), config.workerId(), config.workerId(),
                                oneLine(e));
                        throw e;
                    }
                }
            }
        } finally {
            consumer = null;
            log.info("{} worker {} stopped ({})", config.step().id(), config.workerId(), stats);
            stopped.countDown(); // last: a SIGTERM hook waiting on this lets the JVM halt right after
        }
    }

    /** One life of the worker's Kafka clients, from their creation to a stop or a fatal error. */
    private static final class Session {
        /** Whether this session committed a batch (a recovery that led to one succeeded). */
        volatile boolean committed;
        /** The consumer's group member id at its last assignment, null before one. */
        volatile String memberId;
        /** Buffered records dropped when the session failed. */
        int dropped;
    }

    private Session session;

    /**
     * Creates the consumer and the transactional producer, runs the loop until a stop or an error, and closes both.
     * On an error, an open transaction is aborted where the producer still can, the buffer and paused partitions are
     * dropped (nothing in them was committed, so the partitions' next reader, this worker's next session or another
     * instance, reads them again), and the clients are closed with a short timeout; then the error is thrown.
     */
    private void runSession(String txId, Session s) {
        session = s;
        KafkaConsumer<byte[], byte[]> c = null;
        KafkaProducer<byte[], byte[]> producer = null;
        KafkaClientMetrics consumerMetrics = null;
        KafkaClientMetrics producerMetrics = null;
        boolean failed = true;
        try {
            c = new KafkaConsumer<>(consumerProps());
            producer = new KafkaProducer<>(producerProps(txId));
            consumer = c;
            consumerMetrics = new KafkaClientMetrics(c, tags);
            producerMetrics = new KafkaClientMetrics(producer, tags);
            consumerMetrics.bindTo(metrics);
            producerMetrics.bindTo(metrics);
            if (!running) {
                failed = false;
                return;
            }
            producer.initTransactions();
            List<String> subscription = new ArrayList<>(topics.inputs());
            subscription.addAll(retryTopics);
            c.subscribe(subscription, new DropBufferedOnRevoke());
            log.info("{} worker {} consuming {} -> {} (group {}, batch <= {} or {} ms, model {} sha256 {} on {})",
                    config.step().id(), config.workerId(), topics.inputs(), topics.output(), config.groupId(),
                    config.maxBatchSize(), config.maxBatchWaitMs(), model.info().name(),
                    shortSha(model.info().sha256()), model.info().device());
            loop(c, producer);
            failed = false;
        } finally {
            Duration closeTimeout = Duration.ofSeconds(failed ? 5 : 30);
            if (failed) {
                s.dropped = buffer.size();
                buffer.clear();
                pausedUntil.clear();
                if (producer != null) {
                    try {
                        producer.abortTransaction();
                    } catch (RuntimeException notOpenOrFatal) {
                        log.debug("abort after a failure: {}", oneLine(notOpenOrFatal));
                    }
                }
            }
            consumer = null;
            closeQuietly(producerMetrics);
            closeQuietly(consumerMetrics);
            if (producer != null) {
                try {
                    producer.close(closeTimeout);
                } catch (RuntimeException e) {
                    log.debug("producer close: {}", oneLine(e));
                }
            }
            if (c != null) {
                try {
                    c.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(closeTimeout));
                } catch (RuntimeException e) {
                    log.debug("consumer close: {}", oneLine(e));
                }
            }
        }
    }

    private static void closeQuietly(KafkaClientMetrics m) {
        if (m != null) {
            try {
                m.close();
            } catch (RuntimeException e) {
                log.debug("metrics close: {}", oneLine(e));
            }
        }
    }

    /**
     * Errors the worker recovers from by re-creating its clients: all but a missing permission or an unsupported
     * broker (which no new client fixes). A recurring error stops it after {@code recovery.max.attempts}.
     */
    private static boolean recoverable(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof UnsupportedVersionException
                    || t instanceof org.apache.kafka.common.config.ConfigException) {
                return false;
            }
        }
        return true;
    }

    /** An error that another holder of this worker's transactional id or group instance id can cause. */
    static boolean isFencing(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
                    || t instanceof org.apache.kafka.common.errors.FencedInstanceIdException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether another live instance holds this worker's id: the consumer group has a member with this worker's
     * group instance id ({@code worker.id}) but another member id than the one this worker's consumer had. (A
     * producer that merely re-initialised the transactional id, or a coordinator that aborted a timed-out
     * transaction, leaves the group membership alone.) When the group cannot be described, false: the recovery then
     * goes on and is bounded by {@code recovery.max.attempts}.
     */
    private boolean duplicateLive(Session s) {
        Map<String, Object> p = new HashMap<>(config.consumerOverrides());
        p.keySet().removeIf(k -> !k.startsWith("security.") && !k.startsWith("sasl.") && !k.startsWith("ssl."));
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.CLIENT_ID_CONFIG,
                config.groupId() + "-" + config.workerId() + "-admin");
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        p.put(org.apache.kafka.clients.admin.AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(p)) {
            var group = admin.describeConsumerGroups(List.of(config.groupId())).all().get(6, TimeUnit.SECONDS)
                    .get(config.groupId());
            for (var m : group.members()) {
                if (m.groupInstanceId().filter(config.workerId()::equals).isPresent()
                        && !m.consumerId().equals(s.memberId)) {
                    log.warn("{} worker {}: group {} has member {} (client {}, host {}) with this worker's id; this"
                                    + " worker's member id was {}", config.step().id(), config.workerId(),
                            config.groupId(), m.consumerId(), m.clientId(), m.host(), s.memberId);
                    return true;
                }
            }
            return false;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception unreachable) {
            log.warn("{} worker {} could not describe group {} to look for another instance with its id: {}",
                    config.step().id(), config.workerId(), config.groupId(), oneLine(unreachable));
            return false;
        }
    }

    private void loop(KafkaConsumer<byte[], byte[]> c, KafkaProducer<byte[], byte[]> producer) {
        int max = config.maxBatchSize();
        long waitNanos = TimeUnit.MILLISECONDS.toNanos(config.maxBatchWaitMs());
        while (running) {
            resumeDue(c);
            if (buffer.size() < max) {
                long timeoutMs = buffer.isEmpty() ? config.pollTimeoutMs()
                        : Math.max(0, TimeUnit.NANOSECONDS.toMillis(buffer.peekFirst().arrivedNanos + waitNanos - System.nanoTime()));
                java.util.Set<TopicPartition> waiting = new java.util.HashSet<>();
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(timeoutMs))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (waiting.contains(tp)) {
                        continue; // behind a record that is not due yet; read again after the resume
                    }
                    long notBefore = retryTopics.contains(r.topic()) ? notBefore(r) : 0;
                    if (notBefore > System.currentTimeMillis()) {
                        // Retry tiers are FIFO with one delay each: the head waits, the input partitions go on.
                        waiting.add(tp);
                        c.pause(List.of(tp));
                        c.seek(tp, r.offset());
                        pausedUntil.put(tp, notBefore);
                        continue;
                    }
                    buffer.addLast(new Pending(r, System.nanoTime()));
                }
            }
            if (buffer.isEmpty()) {
                continue;
            }
            boolean full = buffer.size() >= max;
            boolean due = System.nanoTime() - buffer.peekFirst().arrivedNanos >= waitNanos;
            if (full || due || !running) {
                List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(Math.min(max, buffer.size()));
                while (batch.size() < max && !buffer.isEmpty()) {
                    batch.add(buffer.pollFirst().record);
                }
                processBatch(c, producer, batch);
            }
        }
    }

    private void resumeDue(KafkaConsumer<byte[], byte[]> c) {
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
        due.retainAll(c.assignment());
        if (!due.isEmpty()) {
            c.resume(due);
        }
    }

    private static long notBefore(ConsumerRecord<byte[], byte[]> r) {
        try {
            return RetryHeaders.of(r).notBefore();
        } catch (RuntimeException e) {
            return 0; // unreadable retry headers: try it now, the attempt path reports the problem
        }
    }

    private void processBatch(KafkaConsumer<byte[], byte[]> c, KafkaProducer<byte[], byte[]> producer,
                              List<ConsumerRecord<byte[], byte[]>> batch) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(batch.size());
        List<Item> items = new ArrayList<>(batch.size());
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            try {
                items.add(prepare(r));
            } catch (RuntimeException e) {
                out.add(failed(r, e, !isBadInput(e)));
            }
        }
        if (config.step() == io.irgstream.model.Step.THINK) {
            rejectPrompts(items, out);
        }
        List<Item> modelItems = new ArrayList<>();
        for (Item it : items) {
            if (it.result == null && !it.skipped && it.failure == null) {
                modelItems.add(it);
            }
        }
        long computeStart = System.currentTimeMillis();
        long computeMs = 0;
        if (!modelItems.isEmpty()) {
            try {
                List<StepResult> results = runModel(modelItems);
                computeMs = System.currentTimeMillis() - computeStart;
                compute.record(computeMs, TimeUnit.MILLISECONDS);
                batchSizes.record(modelItems.size());
                for (Item it : modelItems) {
                    queueWait.record(Math.max(0, computeStart - it.record.timestamp()), TimeUnit.MILLISECONDS);
                }
                for (int i = 0; i < modelItems.size(); i++) {
                    modelItems.get(i).result = results.get(i);
                    modelItems.get(i).batchSize = modelItems.size();
                }
            } catch (io.irgstream.model.PartialBatchException partial) {
                // The engine ran each request on its own: keep its successes, route each failure on its type.
                computeMs = System.currentTimeMillis() - computeStart;
                compute.record(computeMs, TimeUnit.MILLISECONDS);
                batchSizes.record(modelItems.size());
                if (partial.results().size() != modelItems.size()) {
                    modelItems.forEach(it -> it.failure = new IllegalStateException(config.step().id() + " model reported "
                            + partial.results().size() + " outcomes for " + modelItems.size() + " requests"));
                } else {
                    for (int i = 0; i < modelItems.size(); i++) {
                        Item it = modelItems.get(i);
                        it.result = partial.results().get(i);
                        it.failure = partial.failures().get(i);
                        it.batchSize = modelItems.size();
                    }
                }
            } catch (RuntimeException batchFailure) {
                if (modelItems.size() == 1) {
                    modelItems.get(0).failure = batchFailure;
                    modelItems.clear();
                } else {
                    log.warn("{} batch of {} failed ({}); retrying its records one by one", config.step().id(),
                            modelItems.size(), oneLine(batchFailure));
                }
                for (Item it : modelItems) {
                    long t0 = System.currentTimeMillis();
                    try {
                        it.result = runModel(List.of(it)).get(0);
                        it.batchSize = 1;
                        it.computeMs = System.currentTimeMillis() - t0;
                    } catch (RuntimeException e) {
                        it.failure = e;
                    }
                }
                computeMs = -1;
            }
        }
        for (Item it : items) {
            if (it.skipped) {
                continue;
            }
            if (it.failure != null) {
                out.add(failed(it.record, it.failure, !(it.failure instanceof ModelRequestRejectedException)));
                continue;
            }
            try {
                boolean ranModel = it.batchSize > 0;
                Provenance p = Provenance.newBuilder()
                        .setStep(config.step().id())
                        .setModelName(model.info().name())
                        .setModelSha256(model.info().sha256())
                        .setDevice(model.info().device())
                        .setWorkerId(config.workerId())
                        .setAttempt(RetryHeaders.of(it.record).attempt())
                        .setStepSeed(it.request.stepSeed())
                        .setBatchSize(ranModel ? it.batchSize : 0)
                        .setQueueWaitMs(Math.max(0, computeStart - it.record.timestamp()))
                        .setComputeMs(ranModel ? (computeMs >= 0 ? computeMs : it.computeMs) : 0)
                        .setProducedAt(java.time.Instant.ofEpochMilli(System.currentTimeMillis()))
                        .setBackend(model.info().backend())
                        .setRemote(ranModel ? remoteCall(it.result.remote()) : null)
                        .build();
                SpecificRecord event = handler.output(it.input, it.result, p, images);
                Span span = stepSpan(it, computeStart, p);
                RecordHeaders headers = new RecordHeaders();
                KafkaTracing.inject(Context.root().with(span), headers);
                span.end();
                out.add(new ProducerRecord<>(topics.output(), null, it.record.key(),
                        serializer.serialize(topics.output(), event), headers));
            } catch (Exception e) {
                out.add(failed(it.record, e, !isBadInput(e)));
            }
        }
        commit(c, producer, batch, out);
    }

    /**
     * Asks the model which prompts of the batch it does not understand (one call per batch) and dead-letters those at
     * once with its reason; a failing check fails its records like a failing model call (retried).
     */
    private void rejectPrompts(List<Item> items, List<ProducerRecord<byte[], byte[]>> out) {
        List<Item> asked = new ArrayList<>();
        List<String> prompts = new ArrayList<>();
        for (Item it : items) {
            if (it.result == null && !it.skipped) {
                asked.add(it);
                prompts.add(it.request.prompt());
            }
        }
        if (asked.isEmpty()) {
            return;
        }
        List<String> reasons;
        try {
            reasons = model.rejections(prompts);
            if (reasons == null || reasons.size() != prompts.size()) {
                throw new IllegalStateException(config.step().id() + " model returned "
                        + (reasons == null ? "null" : reasons.size() + " answers") + " from its prompt check for "
                        + prompts.size() + " prompts");
            }
        } catch (RuntimeException e) {
            asked.forEach(it -> it.failure = e);
            return;
        }
        for (int i = 0; i < asked.size(); i++) {
            String reason = reasons.get(i);
            if (reason != null && !reason.isEmpty()) {
                Item it = asked.get(i);
                items.remove(it);
                out.add(failed(it.record, new PromptRejectedException(reason), false));
            }
        }
    }

    private List<StepResult> runModel(List<Item> items) {
        List<StepRequest> requests = new ArrayList<>(items.size());
        for (Item it : items) {
            requests.add(it.request);
        }
        List<StepResult> results = model.run(requests);
        if (results == null || results.size() != requests.size()) {
            throw new IllegalStateException(config.step().id() + " model returned "
                    + (results == null ? "null" : results.size() + " results") + " for " + requests.size() + " requests");
        }
        return results;
    }

    private Item prepare(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            throw new IllegalArgumentException("record has no value (tombstone) on " + r.topic());
        }
        RetryHeaders retry = RetryHeaders.of(r);
        IrgAvroDeserializer<? extends SpecificRecord> d = inputDeserializers.get(retry.originalTopic());
        if (d == null) {
            throw new IllegalArgumentException("no input type for topic " + retry.originalTopic());
        }
        SpecificRecord in = d.deserialize(retry.originalTopic(), r.value());
        TrajectoryContext ctx = handler.context(in);
        String id = ctx.getTrajectoryId();
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("event has an empty trajectoryId");
        }
        checkText("prompt", ctx.getPrompt(), MAX_PROMPT_CHARS);
        if (handler.skip(in)) {
            return Item.skipped(r, in);
        }
        if (cancellations != null && cancellations.isCancelled(id)) {
            log.debug("{} skipping cancelled trajectory {}", config.step().id(), id);
            stats.cancelledSkips.incrementAndGet();
            return Item.skipped(r, in);
        }
        long seed = Seeds.stepSeed(ctx.getSeed(), config.step(), handler.round(in));
        StepRequest req = handler.request(in, seed, images);
        Item it = new Item(r, in, req);
        it.result = handler.withoutModel(in, req);
        return it;
    }

    /**
     * The span of one trajectory's pass through this step: a child of the span that produced its input event, from
     * the start of its model call to now, with the queue wait and compute time as attributes.
     */
    private Span stepSpan(Item it, long computeStart, Provenance p) {
        TrajectoryContext ctx = handler.context(it.input);
        return KafkaTracing.tracer().spanBuilder("irg " + config.step().id())
                .setParent(KafkaTracing.extract(it.record.headers()))
                .setSpanKind(SpanKind.CONSUMER)
                .setStartTimestamp(computeStart, TimeUnit.MILLISECONDS)
                .setAttribute("irg.trajectory.id", ctx.getTrajectoryId())
                .setAttribute("irg.step", config.step().id())
                .setAttribute("irg.round", handler.round(it.input))
                .setAttribute("irg.batch.size", p.getBatchSize())
                .setAttribute("irg.queue.wait.ms", p.getQueueWaitMs())
                .setAttribute("irg.compute.ms", p.getComputeMs())
                .setAttribute("irg.model.sha256", p.getModelSha256())
                .setAttribute("irg.worker.id", config.workerId())
                .setAttribute("messaging.destination.name", it.record.topic())
                .setAttribute("messaging.kafka.offset", it.record.offset())
                .startSpan();
    }

    private static io.irgstream.events.RemoteCall remoteCall(io.irgstream.model.RemoteCall c) {
        if (c == null) {
            return null;
        }
        return io.irgstream.events.RemoteCall.newBuilder().setHost(c.host()).setModel(c.model())
                .setResponseId(c.responseId()).setPromptTokens(c.promptTokens())
                .setCompletionTokens(c.completionTokens()).setLatencyMs(c.latencyMs()).setSeed(c.seed()).build();
    }

    /** Bad input: no attempt can succeed, so it goes straight to the dead letters. */
    private static boolean isBadInput(Throwable e) {
        return e instanceof IllegalArgumentException || e instanceof org.apache.kafka.common.errors.SerializationException
                || e instanceof io.irgstream.schemas.images.ImageIntegrityException && String.valueOf(e.getMessage()).contains("integrity check failed");
    }

    /**
     * A record this attempt could not process: waits on the next retry tier when {@code retriable} and retries are
     * left, else goes to the dead letters.
     */
    private ProducerRecord<byte[], byte[]> failed(ConsumerRecord<byte[], byte[]> r, Exception e, boolean retriable) {
        RetryHeaders state;
        try {
            state = RetryHeaders.of(r);
        } catch (RuntimeException bad) {
            return deadLetter(r, e, System.currentTimeMillis());
        }
        if (!retriable || state.attempt() > retryBackoffMs.size()) {
            return deadLetter(r, e, System.currentTimeMillis());
        }
        long now = System.currentTimeMillis();
        long delay = retryBackoffMs.get(state.attempt() - 1);
        if (e instanceof ModelUnavailableException u && u.retryAfter().isPresent()) {
            delay = Math.max(delay, u.retryAfter().get().toMillis()); // the server's Retry-After
        }
        RetryHeaders next = state.next(now, delay);
        String tier = retryTopics.get(state.attempt() - 1);
        stats.retries.incrementAndGet();
        log.warn("{} attempt {} of {}-{}@{} (key {}) failed, retrying in {} ms via {}: {}", config.step().id(),
                state.attempt(), next.originalTopic(), next.originalPartition(), next.originalOffset(),
                r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                next.notBefore() - now, tier, oneLine(e));
        RecordHeaders headers = new RecordHeaders();
        for (org.apache.kafka.common.header.Header h : r.headers()) {
            headers.add(h);
        }
        next.writeTo(headers, e.getClass().getName() + ": " + oneLine(e));
        return new ProducerRecord<>(tier, null, r.key(), r.value(), headers);
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> r, Exception e, long now) {
        stats.deadLetters.incrementAndGet();
        RetryHeaders state;
        try {
            state = RetryHeaders.of(r);
        } catch (RuntimeException bad) {
            state = new RetryHeaders(1, 0, r.topic(), r.partition(), r.offset(), 0);
        }
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        log.warn("{} dead-lettering {}-{}@{} (key {}): {}", config.step().id(), r.topic(), r.partition(), r.offset(),
                key, oneLine(e));
        DeadLetter dl = DeadLetter.newBuilder()
                .setStep(config.step().id())
                .setTrajectoryId(key)
                .setTopic(state.originalTopic())
                .setPartition(state.originalPartition())
                .setOffset(state.originalOffset())
                .setKey(r.key() == null ? null : ByteBuffer.wrap(r.key()))
                .setValue(r.value() == null ? null : ByteBuffer.wrap(r.value()))
                .setErrorClass(rootCause(e).getClass().getName())
                .setErrorMessage(oneLine(e))
                .setAttempts(state.attempt())
                .setFirstFailedAt(java.time.Instant.ofEpochMilli(state.firstFailedAt() == 0 ? now : state.firstFailedAt()))
                .setLastFailedAt(java.time.Instant.ofEpochMilli(System.currentTimeMillis()))
                .setWorkerId(config.workerId())
                .build();
        Span span = KafkaTracing.tracer().spanBuilder("irg " + config.step().id() + " dead letter")
                .setParent(KafkaTracing.extract(r.headers())).setSpanKind(SpanKind.CONSUMER)
                .setAttribute("irg.step", config.step().id()).setAttribute("irg.worker.id", config.workerId())
                .setAttribute("messaging.destination.name", r.topic()).setAttribute("messaging.kafka.offset", r.offset())
                .startSpan();
        if (key != null) {
            span.setAttribute("irg.trajectory.id", key);
        }
        span.setStatus(StatusCode.ERROR, oneLine(e));
        RecordHeaders headers = new RecordHeaders();
        KafkaTracing.inject(Context.root().with(span), headers);
        span.end();
        return new ProducerRecord<>(topics.deadLetters(), null, r.key(), serializer.serialize(topics.deadLetters(), dl),
                headers);
    }

    private void commit(KafkaConsumer<byte[], byte[]> c, KafkaProducer<byte[], byte[]> producer,
                        List<ConsumerRecord<byte[], byte[]>> batch, List<ProducerRecord<byte[], byte[]>> out) {
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
            producer.sendOffsetsToTransaction(offsets, c.groupMetadata());
            producer.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException
                 | UnsupportedVersionException | AuthorizationException fatal) {
            throw fatal;
        } catch (KafkaException e) {
            log.warn("{} transaction for a batch of {} failed, aborting and re-reading it: {}", config.step().id(),
                    batch.size(), oneLine(e));
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailure) {
                // the producer cannot go on: the worker re-creates its clients (run())
                log.warn("abort failed too: {}", oneLine(abortFailure));
                e.addSuppressed(abortFailure);
                throw e;
            }
            stats.abortedBatches.incrementAndGet();
            rewind(c, batch);
            return;
        }
        Session current = session;
        if (current != null) {
            current.committed = true;
        }
        stats.batches.incrementAndGet();
        stats.recordsIn.addAndGet(batch.size());
        stats.lastBatchSize.set(batch.size());
        stats.recordsOut.addAndGet(out.stream().filter(p -> p.topic().equals(topics.output())).count());
    }

    /** Seeks every partition of an aborted batch back to its first record and drops what was buffered after it. */
    private void rewind(KafkaConsumer<byte[], byte[]> c, List<ConsumerRecord<byte[], byte[]>> batch) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        buffer.removeIf(p -> first.containsKey(new TopicPartition(p.record.topic(), p.record.partition())));
        for (Map.Entry<TopicPartition, Long> e : first.entrySet()) {
            if (c.assignment().contains(e.getKey())) {
                c.seek(e.getKey(), e.getValue());
            }
        }
    }

    private final class DropBufferedOnRevoke implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            dropBuffered(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            dropBuffered(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.debug("{} worker {} assigned {}", config.step().id(), config.workerId(), partitions);
            KafkaConsumer<byte[], byte[]> c = consumer;
            Session current = session;
            if (c != null && current != null) {
                current.memberId = c.groupMetadata().memberId();
            }
        }

        private void dropBuffered(Collection<TopicPartition> partitions) {
            // Uncommitted: the partition's next owner reads these records again from the committed offset.
            for (Iterator<Pending> it = buffer.iterator(); it.hasNext(); ) {
                ConsumerRecord<byte[], byte[]> r = it.next().record;
                if (partitions.contains(new TopicPartition(r.topic(), r.partition()))) {
                    it.remove();
                }
            }
        }
    }

    private static final class Item {
        final ConsumerRecord<byte[], byte[]> record;
        final SpecificRecord input;
        final StepRequest request;
        StepResult result;
        RuntimeException failure;
        int batchSize;
        long computeMs;
        boolean skipped;

        Item(ConsumerRecord<byte[], byte[]> record, SpecificRecord input, StepRequest request) {
            this.record = record;
            this.input = input;
            this.request = request;
        }

        static Item skipped(ConsumerRecord<byte[], byte[]> record, SpecificRecord input) {
            Item it = new Item(record, input, null);
            it.skipped = true;
            return it;
        }
    }

    private Map<String, Object> consumerProps() {
        Map<String, Object> p = new HashMap<>(config.consumerOverrides());
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.groupId() + "-" + config.workerId() + "-consumer");
        // Static membership: a restarted instance (same worker.id) takes its partitions back at once instead of
        // waiting for the group to time its old session out.
        p.putIfAbsent(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.workerId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(config.maxBatchSize(), 1));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    private Map<String, Object> producerProps(String transactionalId) {
        Map<String, Object> p = new HashMap<>(config.producerOverrides());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId + "-producer");
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, config.transactionTimeoutMs());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /**
     * Stops the loop: the batch being processed finishes and commits, buffered records that were not started are left
     * uncommitted for the next owner, then the Kafka clients close. Waits up to {@code timeout} for that.
     *
     * @return true when the worker stopped within the timeout
     */
    public boolean stop(Duration timeout) {
        running = false;
        stopRequested.countDown();
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Throwable t = e;
        while (t != null && sb.length() < 500) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            String m = t.getMessage();
            sb.append(m == null ? t.getClass().getSimpleName() : m.replace('\n', ' '));
            if (t.getCause() == t) {
                break;
            }
            t = t.getCause();
            if (t != null && m != null && t.getMessage() != null && m.contains(t.getMessage())) {
                break;
            }
        }
        return sb.toString();
    }

    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static String shortSha(String sha) {
        return sha == null || sha.length() < 12 ? String.valueOf(sha) : sha.substring(0, 12);
    }
}
