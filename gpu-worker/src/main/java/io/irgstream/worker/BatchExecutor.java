package io.irgstream.worker;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.Provenance;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.model.PartialBatchException;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.tracing.KafkaTracing;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Runs one batch of input records through the step, with no broker: decode each record, skip what needs no work, ask
 * the handler which prompts the model rejects, call the model once for the rest, and turn each result into its encoded
 * output event with provenance and a trace span. Returns one {@link Outcome} per record, in order; a record's failure
 * becomes its outcome ({@link FailureKind}), never an exception.
 *
 * <p>When the model call fails for the whole batch, each record runs alone so one bad record does not sink its
 * neighbours; that re-run starts no call after {@code splitBudgetMs} from the batch's start, and the records it did
 * not reach are retried. An engine that reports each request of a batch ({@link PartialBatchException}) keeps its
 * successes. An output larger than the producer may send is encoded again with its images in the blob store, and
 * dead-lettered with its size and the limit if still too large.
 *
 * <p>Not thread-safe; the worker runs it on its compute thread, one batch at a time.
 */
final class BatchExecutor {
    private static final Logger log = LoggerFactory.getLogger(BatchExecutor.class);
    /** Bytes a record needs beyond its key, value and headers, at most (record batch header and record fields). */
    static final int RECORD_OVERHEAD_BYTES = 61 + 21;
    /** Bytes each header needs beyond its key and value, at most (two varint lengths). */
    static final int HEADER_OVERHEAD_BYTES = 10;
    /** How long the think step waits for the prompts follower before retrying a record it cannot yet de-duplicate. */
    static final java.time.Duration REPEAT_CHECK_WAIT = java.time.Duration.ofSeconds(20);

    private final Step step;
    private final String workerId;
    private final StepHandler<SpecificRecord, SpecificRecord> handler;
    private final StepModel model;
    private final ImageStore images;
    private final ImageStore blobImages;
    private final Map<String, IrgAvroDeserializer<? extends SpecificRecord>> deserializers;
    private final IrgAvroSerializer<SpecificRecord> serializer;
    private final String outputTopic;
    private final Cancellations cancellations;
    private final String cancellationsTopic;
    private final long maxRequestSize;
    /** The largest record the output topic accepts, or 0 when not known. */
    private volatile long topicMaxMessageBytes;
    private final long splitBudgetMs;
    private final WorkerStats stats;
    private final DistributionSummary batchSizes;
    private final Timer queueWait;
    private final Timer compute;

    /**
     * @param handler        the step's handler
     * @param model          the step's model (used from the caller's thread only)
     * @param images         where input images are read and output images stored
     * @param deserializers  the input event type of each input topic
     * @param serializer     the output event serializer
     * @param outputTopic    the step's output topic
     * @param cancellations  cancelled trajectories to skip, or null
     * @param cancellationsTopic where a skip past a trajectory's deadline is reported (a CancellationRequested
     *                       with its deadline)
     * @param maxRecordBytes largest record the producer may send ({@code max.request.size}); see also
     *                       {@link #topicMaxMessageBytes(long)}
     * @param splitBudgetMs  how long after a batch's start its one-by-one re-run may start a call
     * @param workerId       this worker's id, for provenance and spans
     * @param stats          counters (cancelled skips)
     * @param metrics        where batch size, queue wait and compute time are recorded, with {@code tags}
     */
    BatchExecutor(StepHandler<SpecificRecord, SpecificRecord> handler, StepModel model, ImageStore images,
                  Map<String, IrgAvroDeserializer<? extends SpecificRecord>> deserializers,
                  IrgAvroSerializer<SpecificRecord> serializer, String outputTopic, Cancellations cancellations,
                  String cancellationsTopic, long maxRecordBytes, long splitBudgetMs, String workerId, WorkerStats stats, MeterRegistry metrics,
                  Tags tags) {
        this.step = handler.step();
        this.handler = handler;
        this.model = model;
        this.images = images;
        this.blobImages = images.withInlineMaxBytes(0);
        this.deserializers = Map.copyOf(deserializers);
        this.serializer = serializer;
        this.outputTopic = outputTopic;
        this.cancellations = cancellations;
        this.cancellationsTopic = cancellationsTopic;
        this.maxRequestSize = maxRecordBytes;
        this.splitBudgetMs = splitBudgetMs;
        this.workerId = workerId;
        this.stats = stats;
        this.batchSizes = DistributionSummary.builder("irg.worker.batch.size").description("records per model call")
                .tags(tags).publishPercentileHistogram(false).register(metrics);
        this.queueWait = Timer.builder("irg.worker.queue.wait")
                .description("from the input event's timestamp to the start of its model call").tags(tags)
                .publishPercentiles(0.5, 0.95, 0.99).register(metrics);
        this.compute = Timer.builder("irg.worker.compute").description("duration of one model call (one batch)")
                .tags(tags).publishPercentiles(0.5, 0.95, 0.99).register(metrics);
    }

    /**
     * The executor of {@code config}'s step: its handler, its input types read through {@code registry}, its output
     * topic, the producer's {@code max.request.size} and half of {@code batch.timeout.ms} for the one-by-one re-run.
     */
    @SuppressWarnings("unchecked")
    static BatchExecutor of(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                            Cancellations cancellations, WorkerStats stats, MeterRegistry metrics, Tags tags) {
        StepHandler<SpecificRecord, SpecificRecord> handler =
                (StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(config.step());
        Topics all = Topics.withPrefix(config.topicPrefix());
        Map<String, IrgAvroDeserializer<? extends SpecificRecord>> deserializers = new HashMap<>();
        handler.inputs(all).forEach((topic, type) -> deserializers.put(topic, new IrgAvroDeserializer<>(registry, type)));
        return new BatchExecutor(handler, model, images, deserializers, new IrgAvroSerializer<>(registry),
                handler.output(all), cancellations, all.cancellations().name(), config.maxRequestSize(), config.batchTimeoutMs() / 2,
                config.workerId(), stats, metrics, tags);
    }

    /** The topics the step reads (sorted) and the one it writes. */
    List<String> inputTopics() {
        return List.copyOf(new TreeSet<>(deserializers.keySet()));
    }

    /** The topic the step writes. */
    String outputTopic() {
        return outputTopic;
    }

    /**
     * The output topic's {@code max.message.bytes} (0: unknown), read by the worker at the start of each client
     * session: an output over it, or over {@code max.request.size}, is dead-lettered instead of failing the
     * transaction.
     */
    void topicMaxMessageBytes(long bytes) {
        this.topicMaxMessageBytes = bytes;
    }

    /** One record on its way through the batch. */
    private static final class Item {
        final ConsumerRecord<byte[], byte[]> record;
        final int attempt;
        final SpecificRecord input;
        final StepRequest request;
        /** Set when the trajectory's deadline had passed: the report to write instead of any output. */
        ProducerRecord<byte[], byte[]> expiryReport;
        StepResult result;
        Exception failure;
        /** Records in the model call that produced the result; 0 when no model call did. */
        int batchSize;
        long computeStartMs;
        long computeMs;

        Item(ConsumerRecord<byte[], byte[]> record, int attempt, SpecificRecord input, StepRequest request) {
            this.record = record;
            this.attempt = attempt;
            this.input = input;
            this.request = request;
        }
    }

    /** The outcome of each record of {@code batch}, in order. */
    List<Outcome> execute(List<ConsumerRecord<byte[], byte[]>> batch) {
        long startNanos = System.nanoTime();
        Outcome[] outcomes = new Outcome[batch.size()];
        List<Item> items = new ArrayList<>(batch.size());
        List<Integer> positions = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            ConsumerRecord<byte[], byte[]> r = batch.get(i);
            try {
                Item it = decode(r);
                if (it == null) {
                    outcomes[i] = new Outcome.Skipped(r);
                } else if (it.expiryReport != null) {
                    outcomes[i] = new Outcome.Expired(r, it.expiryReport);
                } else {
                    items.add(it);
                    positions.add(i);
                }
            } catch (RuntimeException e) {
                outcomes[i] = Outcome.failed(r, e);
            }
        }
        List<Item> forModel = new ArrayList<>();
        for (Item it : items) {
            if (it.result == null) {
                forModel.add(it);
            }
        }
        rejectPrompts(forModel);
        forModel.removeIf(it -> it.failure != null);
        runModel(forModel, startNanos);
        for (int k = 0; k < items.size(); k++) {
            Item it = items.get(k);
            outcomes[positions.get(k)] = it.failure != null ? Outcome.failed(it.record, it.failure) : produce(it);
        }
        return List.of(outcomes);
    }

    /** The item of {@code r}, or null when it needs no work. */
    private Item decode(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            throw new BadInputException("record has no value (tombstone) on " + r.topic());
        }
        RetryHeaders retry;
        try {
            retry = RetryHeaders.of(r);
        } catch (RuntimeException unreadable) {
            throw new BadInputException("unreadable retry headers: " + unreadable, unreadable);
        }
        IrgAvroDeserializer<? extends SpecificRecord> d = deserializers.get(retry.originalTopic());
        if (d == null) {
            throw new BadInputException("no input type for topic " + retry.originalTopic());
        }
        SpecificRecord in;
        try {
            in = d.deserialize(retry.originalTopic(), r.value());
        } catch (SerializationException notTheEventType) {
            throw new BadInputException(notTheEventType.getMessage(), notTheEventType);
        }
        TrajectoryContext ctx = handler.context(in);
        String id = ctx.getTrajectoryId();
        if (id == null || id.isBlank()) {
            throw new BadInputException("event has an empty trajectoryId");
        }
        checkText("prompt", ctx.getPrompt(), StepWorker.MAX_PROMPT_CHARS);
        if (handler.skip(in)) {
            return null;
        }
        if (cancellations != null && cancellations.isCancelled(id)) {
            log.debug("{} skipping cancelled trajectory {}", step.id(), id);
            stats.cancelledSkips.incrementAndGet();
            return null;
        }
        if (step == Step.THINK && cancellations != null
                && r.headers().lastHeader(TrajectoryClient.IDEMPOTENT_HEADER) != null
                && isRepeatedPrompt(id, retry)) {
            log.info("think skipping a repeated submission of idempotent trajectory {} ({}-{}@{})", id,
                    retry.originalTopic(), retry.originalPartition(), retry.originalOffset());
            stats.repeatedPromptSkips.incrementAndGet();
            return null;
        }
        long now = System.currentTimeMillis();
        if (ctx.getDeadline() != null && now >= ctx.getDeadline().toEpochMilli()) {
            log.info("{} skipping trajectory {}: its deadline {} has passed", step.id(), id, ctx.getDeadline());
            stats.expiredSkips.incrementAndGet();
            Item expired = new Item(r, retry.attempt(), in, null);
            expired.expiryReport = expiryReport(r, id, ctx, now);
            return expired;
        }
        long seed = Seeds.stepSeed(ctx.getSeed(), step, handler.round(in));
        StepRequest request = handler.request(in, seed, images);
        Item it = new Item(r, retry.attempt(), in, request);
        it.result = handler.withoutModel(in, request);
        return it;
    }

    /** Whether the prompt record {@code retry} names repeats an earlier submission of {@code id} (see Cancellations). */
    private boolean isRepeatedPrompt(String id, RetryHeaders retry) {
        try {
            return cancellations.isRepeatedPrompt(id, retry.originalPartition(), retry.originalOffset(),
                    REPEAT_CHECK_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while de-duplicating prompt " + id, e);
        }
    }

    /**
     * The report of a skip past the deadline: a CancellationRequested with the deadline set, keyed by the trajectory
     * id, on the cancellations topic (so the topology marks the trajectory EXPIRED and every worker skips it).
     */
    private ProducerRecord<byte[], byte[]> expiryReport(ConsumerRecord<byte[], byte[]> r, String id,
                                                        TrajectoryContext ctx, long now) {
        CancellationRequested report = CancellationRequested.newBuilder().setTrajectoryId(id)
                .setRequestedAt(Instant.ofEpochMilli(now)).setRequestedBy(step.id() + " worker " + workerId)
                .setReason("the deadline " + ctx.getDeadline() + " passed before the " + step.id() + " step")
                .setDeadline(ctx.getDeadline()).setStep(step.id()).build();
        return new ProducerRecord<>(cancellationsTopic, null, r.key(), serializer.serialize(cancellationsTopic, report));
    }

    /**
     * Rejects text no model should see: empty, longer than {@code max}, or not valid UTF-8 on the wire (Avro decodes
     * malformed bytes to U+FFFD, which no client writes).
     */
    static void checkText(String what, String text, int max) {
        if (text == null || text.isBlank()) {
            throw new BadInputException("the " + what + " is empty");
        }
        if (text.length() > max) {
            throw new BadInputException("the " + what + " has " + text.length() + " characters; the limit is " + max);
        }
        if (text.indexOf('\uFFFD') >= 0) {
            throw new BadInputException("the " + what + " is not valid UTF-8");
        }
    }

    /** Marks the prompts the handler's model rejects as bad input (one check per batch). */
    private void rejectPrompts(List<Item> items) {
        if (items.isEmpty()) {
            return;
        }
        List<String> prompts = new ArrayList<>(items.size());
        items.forEach(it -> prompts.add(it.request.prompt()));
        List<String> reasons;
        try {
            reasons = handler.rejections(model, prompts);
        } catch (RuntimeException e) {
            items.forEach(it -> it.failure = e);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            String reason = reasons.get(i);
            if (reason != null && !reason.isEmpty()) {
                items.get(i).failure = new PromptRejectedException(reason);
            }
        }
    }

    /** Runs the model once on {@code items}; on a failure of the whole batch, runs each item alone (bounded). */
    private void runModel(List<Item> items, long batchStartNanos) {
        if (items.isEmpty()) {
            return;
        }
        long start = System.currentTimeMillis();
        try {
            List<StepResult> results = call(items);
            recordCall(items, start);
            for (int i = 0; i < items.size(); i++) {
                items.get(i).result = results.get(i);
            }
        } catch (PartialBatchException partial) {
            // The engine ran each request on its own: keep its successes, route each failure on its type.
            recordCall(items, start);
            if (partial.results().size() != items.size()) {
                ModelOutputException wrong = new ModelOutputException(step.id() + " model reported "
                        + partial.results().size() + " outcomes for " + items.size() + " requests");
                items.forEach(it -> it.failure = wrong);
                return;
            }
            for (int i = 0; i < items.size(); i++) {
                items.get(i).result = partial.results().get(i);
                items.get(i).failure = partial.failures().get(i);
            }
        } catch (RuntimeException batchFailure) {
            if (items.size() == 1) {
                items.get(0).failure = batchFailure;
                return;
            }
            runAlone(items, batchFailure, batchStartNanos);
        }
    }

    /**
     * The fallback after a batch's model call failed: each item alone, so only the bad one fails. It starts no call
     * once {@code splitBudgetMs} have passed since the batch started; the items it did not reach are retried.
     */
    private void runAlone(List<Item> items, RuntimeException batchFailure, long batchStartNanos) {
        log.warn("{} batch of {} failed ({}); running its records one by one", step.id(), items.size(),
                StepWorker.oneLine(batchFailure));
        long deadline = batchStartNanos + TimeUnit.MILLISECONDS.toNanos(splitBudgetMs);
        for (Item it : items) {
            if (System.nanoTime() >= deadline) {
                it.failure = new ModelUnavailableException("not run alone: the one-by-one re-run of a failed batch of "
                        + items.size() + " starts no call after " + splitBudgetMs + " ms (half of "
                        + WorkerConfig.BATCH_TIMEOUT_MS + "); the batch failed with: "
                        + StepWorker.oneLine(batchFailure), null, batchFailure);
                continue;
            }
            long start = System.currentTimeMillis();
            try {
                it.result = call(List.of(it)).get(0);
                recordCall(List.of(it), start);
            } catch (RuntimeException e) {
                it.failure = e;
            }
        }
    }

    private List<StepResult> call(List<Item> items) {
        List<StepRequest> requests = new ArrayList<>(items.size());
        items.forEach(it -> requests.add(it.request));
        List<StepResult> results = model.run(requests);
        if (results == null || results.size() != requests.size()) {
            throw new ModelOutputException(step.id() + " model returned "
                    + (results == null ? "null" : results.size() + " results") + " for " + requests.size() + " requests");
        }
        return results;
    }

    private void recordCall(List<Item> items, long startMs) {
        long ms = System.currentTimeMillis() - startMs;
        compute.record(ms, TimeUnit.MILLISECONDS);
        batchSizes.record(items.size());
        for (Item it : items) {
            it.batchSize = items.size();
            it.computeStartMs = startMs;
            it.computeMs = ms;
            queueWait.record(Math.max(0, startMs - it.record.timestamp()), TimeUnit.MILLISECONDS);
        }
    }

    /** The encoded output event of a successful item, or its failure. */
    private Outcome produce(Item it) {
        try {
            Provenance p = provenance(it);
            RecordHeaders headers = new RecordHeaders();
            Span span = span(it, p);
            KafkaTracing.inject(Context.root().with(span), headers);
            span.end();
            long topicMax = topicMaxMessageBytes;
            boolean topicBinds = topicMax > 0 && topicMax < maxRequestSize;
            long limit = topicBinds ? topicMax : maxRequestSize;
            ProducerRecord<byte[], byte[]> out = encode(it, handler.output(it.input, it.result, p, images), headers);
            if (size(out) > limit) {
                // Too large with its images inline: the same event with every image it writes in the blob store.
                out = encode(it, handler.output(it.input, it.result, p, blobImages), headers);
                if (size(out) > limit) {
                    throw new OutputTooLargeException(outputTopic, size(out), limit,
                            topicBinds ? "max.message.bytes of " + outputTopic : "producer.max.request.size");
                }
            }
            return new Outcome.Produced(it.record, out);
        } catch (Exception e) {
            return Outcome.failed(it.record, e);
        }
    }

    private ProducerRecord<byte[], byte[]> encode(Item it, SpecificRecord event, RecordHeaders headers) {
        return new ProducerRecord<>(outputTopic, null, it.record.key(), serializer.serialize(outputTopic, event), headers);
    }

    /** An upper bound of the bytes the producer needs for {@code r} (what it compares with max.request.size). */
    static long size(ProducerRecord<byte[], byte[]> r) {
        long n = RECORD_OVERHEAD_BYTES + (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
        for (Header h : r.headers()) {
            n += HEADER_OVERHEAD_BYTES + h.key().getBytes(StandardCharsets.UTF_8).length
                    + (h.value() == null ? 0 : h.value().length);
        }
        return n;
    }

    private Provenance provenance(Item it) {
        ModelInfo info = model.info();
        boolean ranModel = it.batchSize > 0;
        return Provenance.newBuilder()
                .setStep(step.id())
                .setModelName(info.name())
                .setModelSha256(info.sha256())
                .setDevice(info.device())
                .setWorkerId(workerId)
                .setAttempt(it.attempt)
                .setStepSeed(it.request.stepSeed())
                .setBatchSize(it.batchSize)
                .setQueueWaitMs(Math.max(0, (ranModel ? it.computeStartMs : System.currentTimeMillis()) - it.record.timestamp()))
                .setComputeMs(it.computeMs)
                .setProducedAt(Instant.ofEpochMilli(System.currentTimeMillis()))
                .setBackend(info.backend())
                .setRemote(ranModel ? remoteCall(it.result.remote()) : null)
                .build();
    }

    /**
     * The span of one trajectory's pass through this step: a child of the span that produced its input event, from
     * the start of its model call to now, with the queue wait and compute time as attributes.
     */
    private Span span(Item it, Provenance p) {
        TrajectoryContext ctx = handler.context(it.input);
        return KafkaTracing.tracer().spanBuilder("irg " + step.id())
                .setParent(KafkaTracing.extract(it.record.headers()))
                .setSpanKind(SpanKind.CONSUMER)
                .setStartTimestamp(it.batchSize > 0 ? it.computeStartMs : System.currentTimeMillis(), TimeUnit.MILLISECONDS)
                .setAttribute("irg.trajectory.id", ctx.getTrajectoryId())
                .setAttribute("irg.step", step.id())
                .setAttribute("irg.round", handler.round(it.input))
                .setAttribute("irg.batch.size", p.getBatchSize())
                .setAttribute("irg.queue.wait.ms", p.getQueueWaitMs())
                .setAttribute("irg.compute.ms", p.getComputeMs())
                .setAttribute("irg.model.sha256", p.getModelSha256())
                .setAttribute("irg.worker.id", workerId)
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
}
