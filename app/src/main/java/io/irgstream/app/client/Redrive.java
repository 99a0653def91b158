package io.irgstream.app.client;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.Revisions;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.StepHandler;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Runs one step again for historical trajectories (e.g. with a new model) and writes each result as a new revision
 * of that step's output event, beside the original, which stays untouched.
 *
 * <p>{@link #plan} reads (read_committed) the step's input topics from {@code from} (up to {@code to}) and its output
 * topic from {@code from} to its end. An input is a <i>target</i> when it is work for the step as the workers see it
 * (revisions and inputs the step skips are not) and the step has already produced its original result (revision 0):
 * an input still in flight, cancelled or dead-lettered has nothing to redrive. A target is skipped when a result of
 * the same step and round made by the same model file (sha256) is already there, the original or an earlier
 * revision, unless {@code force}: running the same redrive twice writes nothing the second time, and a run that
 * stopped half-way finishes the rest when started again. Otherwise its revision is one more than the highest there.
 *
 * <p>{@link #run} rebuilds each request exactly as the worker does ({@link StepHandler}, the same step seed), runs
 * the model in batches and writes each batch's events in one Kafka transaction (transactional id
 * {@code <prefix>redrive-<step>}, so a new run aborts whatever a crashed one left open).
 */
public final class Redrive {
    /** What a redrive does with one input. */
    public enum Action { REDRIVE, SKIP_SAME_MODEL }

    /**
     * One input of the step with its original result.
     *
     * @param trajectoryId the trajectory
     * @param round        the round of the step's output (0 for think and draw)
     * @param input        the step's input event, as the worker read it
     * @param original     the step's original output event (revision 0)
     * @param revisions    how many revisions of it exist already
     * @param revision     the revision this redrive writes (highest there + 1)
     * @param action       redrive, or skip because the model already made a result of it
     * @param reason       why it is skipped, or ""
     */
    public record Target(String trajectoryId, int round, SpecificRecord input, SpecificRecord original, int revisions,
                         int revision, Action action, String reason) {
        /** The model sha256 of the original result. */
        public String originalModelSha256() {
            return Revisions.provenance(original).getModelSha256();
        }
    }

    /**
     * What a redrive would do.
     *
     * @param step          the step
     * @param modelSha256   the model that would run
     * @param targets       every input with an original result in the window, in input order
     * @param notProcessed  inputs in the window that the step has not answered (yet): nothing to redrive
     * @param unreadable    records of the input topics that could not be decoded
     */
    public record Plan(Step step, String modelSha256, List<Target> targets, int notProcessed, int unreadable) {
        public List<Target> toRedrive() {
            return targets.stream().filter(t -> t.action() == Action.REDRIVE).toList();
        }
    }

    /**
     * The outcome of one target.
     *
     * @param target the target
     * @param event  the revision written, or null when it failed
     * @param error  why the model or the output failed, or null
     */
    public record Result(Target target, SpecificRecord event, String error) {
    }

    private record Key(String id, int round) {
    }

    private Redrive() {
    }

    /** The output event type of {@code step}. */
    static Class<? extends SpecificRecord> outputType(Step step) {
        return switch (step) {
            case THINK -> ThoughtProduced.class;
            case DRAW -> DraftImageProduced.class;
            case REFLECT -> ReflectionProduced.class;
            case REFINE -> FinalImageProduced.class;
        };
    }

    /** The round of a step output event (0 for thoughts and drafts). */
    static int outputRound(SpecificRecord e) {
        if (e instanceof ReflectionProduced r) {
            return r.getRound();
        } else if (e instanceof FinalImageProduced f) {
            return f.getRound();
        }
        return 0;
    }

    /**
     * Finds what a redrive of {@code step} would do.
     *
     * @param from         inputs written at or after this instant
     * @param to           inputs written before this instant, or null for no bound
     * @param trajectories only these trajectories, or empty for all
     * @param modelSha256  sha256 of the model that would run
     * @param force        redrive also when the model already made a result of the input
     */
    public static Plan plan(String bootstrapServers, SchemaRegistryClient registry, String prefix, Step step,
                            Instant from, Instant to, Set<String> trajectories, String modelSha256, boolean force) {
        return plan(KafkaClientSettings.of(bootstrapServers), registry, prefix, step, from, to, trajectories,
                modelSha256, force);
    }

    /** As above, connecting with {@code kafka} (bootstrap servers, security.protocol, sasl.*, ssl.*). */
    public static Plan plan(KafkaClientSettings kafka, SchemaRegistryClient registry, String prefix, Step step,
                            Instant from, Instant to, Set<String> trajectories, String modelSha256, boolean force) {
        @SuppressWarnings("unchecked")
        StepHandler<SpecificRecord, SpecificRecord> handler = (StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(step);
        Topics topics = Topics.withPrefix(prefix);
        Map<Key, SpecificRecord> inputs = new LinkedHashMap<>();
        int[] unreadable = {0};
        for (Map.Entry<String, Class<? extends SpecificRecord>> in : handler.inputs(topics).entrySet()) {
            IrgAvroDeserializer<? extends SpecificRecord> d = new IrgAvroDeserializer<>(registry, in.getValue());
            TopicReader.read(kafka, in.getKey(), from, r -> {
                if (to != null && r.timestamp() >= to.toEpochMilli()) {
                    return;
                }
                SpecificRecord e;
                try {
                    e = d.deserialize(r.topic(), r.value());
                } catch (RuntimeException bad) {
                    unreadable[0]++; // the worker dead-lettered it: never processed, nothing to redrive
                    return;
                }
                if (e == null || handler.skip(e)) {
                    return;
                }
                String id = handler.context(e).getTrajectoryId();
                if (trajectories.isEmpty() || trajectories.contains(id)) {
                    inputs.putIfAbsent(new Key(id, handler.round(e)), e); // a re-submitted input is the same work
                }
            });
        }
        Map<Key, List<SpecificRecord>> outputs = new HashMap<>();
        IrgAvroDeserializer<? extends SpecificRecord> od = new IrgAvroDeserializer<>(registry, outputType(step));
        TopicReader.read(kafka, handler.output(topics), from, r -> {
            SpecificRecord e;
            try {
                e = od.deserialize(r.topic(), r.value());
            } catch (RuntimeException bad) {
                return;
            }
            Key k = new Key(r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8), outputRound(e));
            if (inputs.containsKey(k)) {
                outputs.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
            }
        });
        List<Target> targets = new ArrayList<>();
        int notProcessed = 0;
        for (Map.Entry<Key, SpecificRecord> in : inputs.entrySet()) {
            List<SpecificRecord> out = outputs.getOrDefault(in.getKey(), List.of());
            SpecificRecord original = out.stream().filter(e -> !Revisions.isRevision(e)).findFirst().orElse(null);
            if (original == null) {
                notProcessed++;
                continue;
            }
            Set<Integer> revisions = new LinkedHashSet<>();
            int highest = 0;
            String sameModel = null;
            for (SpecificRecord e : out) {
                Provenance p = Revisions.provenance(e);
                highest = Math.max(highest, p.getRevision());
                if (p.getRevision() > 0) {
                    revisions.add(p.getRevision());
                }
                if (sameModel == null && p.getModelSha256().equals(modelSha256)) {
                    sameModel = p.getRevision() == 0 ? "the original result was made by this model"
                            : "revision " + p.getRevision() + " was made by this model";
                }
            }
            Action action = sameModel != null && !force ? Action.SKIP_SAME_MODEL : Action.REDRIVE;
            targets.add(new Target(in.getKey().id(), in.getKey().round(), in.getValue(), original, revisions.size(),
                    highest + 1, action, action == Action.REDRIVE ? "" : sameModel));
        }
        return new Plan(step, modelSha256, targets, notProcessed, unreadable[0]);
    }

    /**
     * Runs the plan's targets through {@code model} in batches of {@code batchSize} and writes one revision per
     * target, one transaction per batch. A batch whose model call fails is run record by record, and a record that
     * still fails is reported (nothing is written for it). A failed transaction stops the run (what was committed
     * before stays; run it again to finish).
     *
     * @param workerId  recorded as the revisions' provenance workerId
     * @param progress  called with each result after its batch committed
     * @return the results, in target order
     */
    public static List<Result> run(Plan plan, String bootstrapServers, SchemaRegistryClient registry, String prefix,
                                   StepModel model, ImageStore images, int batchSize, String workerId,
                                   Consumer<Result> progress) {
        return run(plan, KafkaClientSettings.of(bootstrapServers), registry, prefix, model, images, batchSize, workerId,
                progress);
    }

    /** As above, connecting with {@code kafka} (bootstrap servers, security.protocol, sasl.*, ssl.*). */
    public static List<Result> run(Plan plan, KafkaClientSettings kafka, SchemaRegistryClient registry, String prefix,
                                   StepModel model, ImageStore images, int batchSize, String workerId,
                                   Consumer<Result> progress) {
        if (model.step() != plan.step()) {
            throw new IllegalArgumentException("a redrive of " + plan.step().id() + " was given a " + model.step().id()
                    + " model (" + model.info().name() + ")");
        }
        if (!model.info().sha256().equals(plan.modelSha256())) {
            throw new IllegalArgumentException("the plan was made for model " + plan.modelSha256() + ", not "
                    + model.info().sha256());
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("the batch size must be at least 1");
        }
        @SuppressWarnings("unchecked")
        StepHandler<SpecificRecord, SpecificRecord> handler = (StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(plan.step());
        String topic = handler.output(Topics.withPrefix(prefix));
        IrgAvroSerializer<SpecificRecord> serializer = new IrgAvroSerializer<>(registry);
        List<Target> todo = plan.toRedrive();
        List<Result> results = new ArrayList<>();
        if (todo.isEmpty()) {
            return results;
        }
        Map<String, Object> p = kafka.applyTo(new HashMap<>());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, prefix + "redrive-" + plan.step().id());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, prefix + "redrive-" + plan.step().id() + "-producer");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int from = 0; from < todo.size(); from += batchSize) {
                List<Target> batch = todo.subList(from, Math.min(todo.size(), from + batchSize));
                List<Result> done = batch(handler, batch, model, images, workerId);
                List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
                for (Result r : done) {
                    if (r.event() != null) {
                        out.add(new ProducerRecord<>(topic, null, r.target().trajectoryId().getBytes(StandardCharsets.UTF_8),
                                serializer.serialize(topic, r.event())));
                    }
                }
                try {
                    producer.beginTransaction();
                    out.forEach(producer::send);
                    producer.commitTransaction();
                } catch (KafkaException e) {
                    try {
                        producer.abortTransaction();
                    } catch (KafkaException ignored) {
                        // fenced or closed: nothing of this batch was committed either way
                    }
                    throw new IllegalStateException("writing a batch of " + out.size() + " revisions to " + topic
                            + " failed (" + results.size() + " written before it stay; run the redrive again to finish): "
                            + e.getMessage(), e);
                }
                results.addAll(done);
                done.forEach(progress);
            }
        }
        return results;
    }

    private static final class Item {
        final Target target;
        final StepRequest request;
        StepResult result;
        int batchSize;
        long computeMs;
        String error;

        Item(Target target, StepRequest request) {
            this.target = target;
            this.request = request;
        }
    }

    private static List<Result> batch(StepHandler<SpecificRecord, SpecificRecord> handler, List<Target> batch,
                                      StepModel model, ImageStore images, String workerId) {
        List<Item> items = new ArrayList<>();
        for (Target t : batch) {
            TrajectoryContext ctx = handler.context(t.input());
            long seed = Seeds.stepSeed(ctx.getSeed(), handler.step(), handler.round(t.input()));
            Item it;
            try {
                it = new Item(t, handler.request(t.input(), seed, images));
                it.result = handler.withoutModel(t.input(), it.request);
            } catch (RuntimeException e) {
                it = new Item(t, null);
                it.error = "cannot rebuild the request: " + e.getMessage();
            }
            items.add(it);
        }
        List<Item> modelItems = items.stream().filter(i -> i.error == null && i.result == null).toList();
        if (!modelItems.isEmpty()) {
            long t0 = System.currentTimeMillis();
            try {
                List<StepResult> results = model.run(modelItems.stream().map(i -> i.request).toList());
                if (results == null || results.size() != modelItems.size()) {
                    throw new IllegalStateException("the model returned " + (results == null ? "null" : results.size()
                            + " results") + " for " + modelItems.size() + " requests");
                }
                long ms = System.currentTimeMillis() - t0;
                for (int i = 0; i < modelItems.size(); i++) {
                    modelItems.get(i).result = results.get(i);
                    modelItems.get(i).batchSize = modelItems.size();
                    modelItems.get(i).computeMs = ms;
                }
            } catch (RuntimeException batchFailure) {
                for (Item it : modelItems) {
                    long t1 = System.currentTimeMillis();
                    try {
                        it.result = model.run(List.of(it.request)).get(0);
                        it.batchSize = 1;
                        it.computeMs = System.currentTimeMillis() - t1;
                    } catch (RuntimeException e) {
                        it.error = "the model failed: " + e.getMessage();
                    }
                }
            }
        }
        ModelInfo info = model.info();
        List<Result> out = new ArrayList<>();
        for (Item it : items) {
            if (it.error != null) {
                out.add(new Result(it.target, null, it.error));
                continue;
            }
            Provenance p = Provenance.newBuilder()
                    .setStep(handler.step().id())
                    .setModelName(info.name())
                    .setModelSha256(info.sha256())
                    .setDevice(info.device())
                    .setWorkerId(workerId)
                    .setAttempt(1)
                    .setStepSeed(it.request.stepSeed())
                    .setBatchSize(it.batchSize)
                    .setQueueWaitMs(0)
                    .setComputeMs(it.computeMs)
                    .setProducedAt(Instant.now())
                    .setRevision(it.target.revision())
                    .setRedrivenModelSha256(it.target.originalModelSha256())
                    .build();
            try {
                out.add(new Result(it.target, handler.output(it.target.input(), it.result, p, images), null));
            } catch (Exception e) {
                out.add(new Result(it.target, null, "cannot write the result: " + e.getMessage()));
            }
        }
        return out;
    }
}
