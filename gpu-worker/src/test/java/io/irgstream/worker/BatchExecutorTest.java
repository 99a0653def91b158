package io.irgstream.worker;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.Provenance;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.events.Verdict;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.model.PartialBatchException;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.worker.images.Png;
import io.irgstream.worker.testing.DelegatingTestModel;
import io.irgstream.worker.testing.DeterministicTestModel;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batch executor without a broker: each failure kind becomes its typed outcome and the records around it complete.
 */
class BatchExecutorTest {
    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    @TempDir
    Path dir;

    private final WorkerStats stats = new WorkerStats();

    @Test
    void shouldDeadLetterBadInputAtOnceAndProduceItsNeighbours() {
        BatchExecutor ex = executor(Step.THINK, Map.of(), new DeterministicTestModel(Step.THINK, 0));
        List<Outcome> out = ex.execute(List.of(prompt("a", "a red circle"),
                record("irg.prompts", "garbage", "{not avro".getBytes(StandardCharsets.UTF_8)),
                prompt("empty", "  "), prompt("b", "a blue square")));
        assertThat(out.get(0)).isInstanceOf(Outcome.Produced.class);
        assertDeadLetter(out.get(1), FailureKind.BAD_INPUT, "not Confluent wire format");
        assertDeadLetter(out.get(2), FailureKind.BAD_INPUT, "the prompt is empty");
        assertThat(out.get(3)).isInstanceOf(Outcome.Produced.class);
    }

    @Test
    void shouldRetryATransientFailureFoundByRunningAFailedBatchOneByOne() {
        BatchExecutor ex = executor(Step.THINK, Map.of(), new DeterministicTestModel(Step.THINK, 0));
        List<Outcome> out = ex.execute(List.of(prompt("a", "one"), prompt("bad", "please FAIL-think"), prompt("b", "two")));
        assertThat(out.get(1)).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.kind()).isEqualTo(FailureKind.TRANSIENT);
            assertThat(r.cause()).hasMessageContaining("test model refuses prompt");
        });
        assertThat(thought(out.get(0)).getProvenance().getBatchSize()).as("run alone after the batch failed").isEqualTo(1);
        assertThat(thought(out.get(2)).getThought()).startsWith("plan for: two");
    }

    @Test
    void shouldRetryAnUnavailableModelAndDeadLetterARejectedRequestAtOnce() {
        StepModel model = failing(Step.THINK, r -> r.prompt().contains("busy")
                ? new ModelUnavailableException("server busy", java.time.Duration.ofSeconds(3), null)
                : r.prompt().contains("policy") ? new ModelRequestRejectedException("content policy") : null);
        BatchExecutor ex = executor(Step.THINK, Map.of(), model);
        List<Outcome> out = ex.execute(List.of(prompt("busy", "busy"), prompt("policy", "policy"), prompt("ok", "fine")));
        assertThat(out.get(0)).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.kind()).isEqualTo(FailureKind.TRANSIENT);
            assertThat(r.cause()).isInstanceOf(ModelUnavailableException.class);
        });
        assertDeadLetter(out.get(1), FailureKind.BAD_INPUT, "content policy");
        assertThat(out.get(2)).isInstanceOf(Outcome.Produced.class);
    }

    @Test
    void shouldRetryAReflectionWithoutAVerdictAsInvalidOutputQuotingIt() {
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.REFLECT, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                return batch.stream().map(r -> StepResult.text("The image looks fine to me.")).toList();
            }
        };
        BatchExecutor ex = executor(Step.REFLECT, Map.of(), model);
        List<Outcome> out = ex.execute(List.of(draft("d", image(16, 1))));
        assertThat(out.get(0)).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.kind()).isEqualTo(FailureKind.OUTPUT_INVALID);
            assertThat(r.cause()).isInstanceOf(ModelOutputException.class)
                    .hasMessageContaining("no 'Verdict: SATISFIED|NEEDS_CHANGES' line")
                    .hasMessageContaining("The image looks fine to me.");
        });
    }

    @Test
    void shouldDeadLetterAnInputImageThatFailsItsHashAndRetryOneTheBlobStoreCannotRead() {
        BatchExecutor ex = executor(Step.REFLECT, Map.of(), new DeterministicTestModel(Step.REFLECT, 0));
        ImageRef good = image(16, 2);
        ImageRef tampered = ImageRef.newBuilder(good).setSha256("0".repeat(64)).build();
        ImageRef missing = ImageRef.newBuilder(good).setInline(null)
                .setUri(dir.resolve("blobs").resolve("nowhere.png").toUri().toString()).build();
        List<Outcome> out = ex.execute(List.of(draft("t", tampered), draft("m", missing), draft("g", good)));
        assertDeadLetter(out.get(0), FailureKind.BAD_INPUT, "integrity check failed");
        assertThat(out.get(1)).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.kind()).isEqualTo(FailureKind.TRANSIENT));
        assertThat(out.get(2)).isInstanceOf(Outcome.Produced.class);
    }

    @Test
    void shouldKeepTheJudgedImageOfASatisfiedVerdictWithoutAModelCallAfterVerifyingIt() {
        DeterministicTestModel model = new DeterministicTestModel(Step.REFINE, 0);
        BatchExecutor ex = executor(Step.REFINE, Map.of(), model);
        ImageRef judged = image(16, 3);
        ImageRef tampered = ImageRef.newBuilder(judged).setSha256("0".repeat(64)).build();

        List<Outcome> out = ex.execute(List.of(reflection("s", judged, Verdict.SATISFIED),
                reflection("x", tampered, Verdict.SATISFIED), reflection("n", judged, Verdict.NEEDS_CHANGES)));

        FinalImageProduced kept = finalImage(out.get(0));
        assertThat(kept.getImage()).as("the judged image, byte for byte").isEqualTo(judged);
        assertThat(kept.getProvenance().getBatchSize()).isZero();
        assertDeadLetter(out.get(1), FailureKind.BAD_INPUT, "integrity check failed");
        FinalImageProduced refined = finalImage(out.get(2));
        assertThat(refined.getProvenance().getBatchSize()).isEqualTo(1);
        assertThat(refined.getImage().getSha256()).isNotEqualTo(judged.getSha256());
        assertThat(model.batchSizes()).as("one model call, for NEEDS_CHANGES only").containsExactly(1);
    }

    private FinalImageProduced finalImage(Outcome o) {
        assertThat(o).isInstanceOf(Outcome.Produced.class);
        var out = ((Outcome.Produced) o).output();
        return new IrgAvroDeserializer<>(registry.client(), FinalImageProduced.class).deserialize(out.topic(),
                out.value());
    }

    private ConsumerRecord<byte[], byte[]> reflection(String id, ImageRef image, Verdict verdict) {
        ReflectionProduced r = ReflectionProduced.newBuilder().setContext(context(id, "a circle")).setRound(1)
                .setThought("plan").setImage(image).setReflection("Verdict: " + verdict).setVerdict(verdict)
                .setProvenance(provenance()).build();
        return record("irg.reflections", id, serialize("irg.reflections", r));
    }

    @Test
    void shouldDeadLetterAnInputImageWhoseUriIsOutsideTheBlobStoreWithoutReadingIt() throws Exception {
        BatchExecutor ex = executor(Step.REFLECT, Map.of(), new DeterministicTestModel(Step.REFLECT, 0));
        ImageRef good = image(16, 2);
        java.nio.file.Path outside = java.nio.file.Files.write(dir.resolve("outside.png"), inlineBytes(good));
        ImageRef elsewhere = ImageRef.newBuilder(good).setInline(null).setUri(outside.toUri().toString()).build();

        List<Outcome> out = ex.execute(List.of(draft("o", elsewhere)));

        assertDeadLetter(out.get(0), FailureKind.BAD_INPUT, "outside the blob store");
    }

    private static byte[] inlineBytes(ImageRef ref) {
        java.nio.ByteBuffer b = ref.getInline().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    @Test
    void shouldDeadLetterAnOversizeOutputWithItsSizeAndTheLimitAndProduceTheRecordsAroundIt() {
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.THINK, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                return batch.stream().map(r -> StepResult.text(r.prompt().contains("huge") ? "x".repeat(200_000)
                        : "plan for " + r.prompt())).toList();
            }
        };
        BatchExecutor ex = executor(Step.THINK, Map.of("producer.max.request.size", "100000"), model);
        List<Outcome> out = ex.execute(List.of(prompt("a", "small"), prompt("huge", "a huge plan"), prompt("b", "small too")));
        assertThat(out.get(0)).isInstanceOf(Outcome.Produced.class);
        assertThat(out.get(2)).isInstanceOf(Outcome.Produced.class);
        assertThat(out.get(1)).isInstanceOfSatisfying(Outcome.DeadLetter.class, d -> {
            assertThat(d.kind()).isEqualTo(FailureKind.OUTPUT_TOO_LARGE);
            OutputTooLargeException e = (OutputTooLargeException) d.cause();
            assertThat(e.limit()).isEqualTo(100_000);
            assertThat(e.size()).isGreaterThan(200_000);
            assertThat(e).hasMessageContaining(e.size() + " bytes, over the limit of 100000 bytes");
        });
    }

    @Test
    void shouldPutTheImagesOfAnOutputTooLargeInlineInTheBlobStore() {
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.DRAW, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                return batch.stream().map(r -> StepResult.image(noise(128, r.stepSeed()))).toList();
            }
        };
        // inline up to 1 MiB, but a record may have 20 kB: the ~49 kB PNG must go to the blob store
        BatchExecutor ex = executor(Step.DRAW, Map.of("producer.max.request.size", "20000"), model, 1 << 20);
        List<Outcome> out = ex.execute(List.of(thoughtEvent("d1"), thoughtEvent("d2")));
        for (Outcome o : out) {
            assertThat(o).isInstanceOf(Outcome.Produced.class);
            Outcome.Produced p = (Outcome.Produced) o;
            assertThat(BatchExecutor.size(p.output())).isLessThanOrEqualTo(20_000);
            DraftImageProduced d = new IrgAvroDeserializer<>(registry.client(), DraftImageProduced.class)
                    .deserialize(p.output().topic(), p.output().value());
            assertThat(d.getImage().getInline()).isNull();
            assertThat(d.getImage().getUri()).isNotNull();
            assertThat(d.getImage().getSizeBytes()).isGreaterThan(20_000);
        }
    }

    @Test
    void shouldStopRunningAFailedBatchOneByOneAfterItsBudgetAndRetryTheRest() {
        List<Integer> calls = new ArrayList<>();
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.THINK, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                calls.add(batch.size());
                sleep(120);
                if (batch.size() > 1) {
                    throw new IllegalStateException("out of memory for a batch of " + batch.size());
                }
                return super.run(batch);
            }
        };
        // half of batch.timeout.ms (1000) = 500 ms: the batch call and about three single calls fit
        BatchExecutor ex = executor(Step.THINK, Map.of(WorkerConfig.BATCH_TIMEOUT_MS, "1000"), model);
        List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            batch.add(prompt("p" + i, "prompt " + i));
        }
        List<Outcome> out = ex.execute(batch);
        long produced = out.stream().filter(o -> o instanceof Outcome.Produced).count();
        assertThat(produced).isBetween(2L, 4L);
        assertThat(calls).hasSize(1 + (int) produced);
        assertThat(out.subList((int) produced, 8)).allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(Outcome.Retry.class, r -> {
            assertThat(r.cause()).isInstanceOf(ModelUnavailableException.class)
                    .hasMessageContaining("not run alone").hasMessageContaining("out of memory for a batch of 8");
        }));
    }

    @Test
    void shouldKeepTheSuccessesOfAPartialBatchWithoutRunningThemAgain() {
        List<Integer> calls = new ArrayList<>();
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.THINK, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                calls.add(batch.size());
                List<StepResult> results = new ArrayList<>();
                List<RuntimeException> failures = new ArrayList<>();
                for (StepRequest r : batch) {
                    boolean bad = r.prompt().contains("bad");
                    results.add(bad ? null : StepResult.text("plan"));
                    failures.add(bad ? new ModelUnavailableException("502", null, null) : null);
                }
                throw new PartialBatchException(results, failures);
            }
        };
        List<Outcome> out = executor(Step.THINK, Map.of(), model).execute(List.of(prompt("a", "ok"), prompt("b", "bad"), prompt("c", "ok")));
        assertThat(calls).containsExactly(3);
        assertThat(out).extracting(o -> o.getClass().getSimpleName()).containsExactly("Produced", "Retry", "Produced");
    }

    @Test
    void shouldDeadLetterAPromptTheThinkModelRejectsWithoutRunningIt() {
        List<String> ran = new ArrayList<>();
        StepModel model = new DelegatingTestModel(new DeterministicTestModel(Step.THINK, 0)) {
            @Override
            public List<String> rejections(List<String> prompts) {
                return prompts.stream().map(p -> p.contains("unicorn") ? "no unicorns here" : "").toList();
            }

            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                batch.forEach(r -> ran.add(r.prompt()));
                return super.run(batch);
            }
        };
        List<Outcome> out = executor(Step.THINK, Map.of(), model).execute(List.of(prompt("u", "a unicorn"), prompt("c", "a circle")));
        assertDeadLetter(out.get(0), FailureKind.BAD_INPUT, "no unicorns here");
        assertThat(((Outcome.DeadLetter) out.get(0)).cause()).isInstanceOf(PromptRejectedException.class);
        assertThat(out.get(1)).isInstanceOf(Outcome.Produced.class);
        assertThat(ran).containsExactly("a circle");
    }

    @Test
    void shouldDeadLetterInvalidSamplerParametersAsBadInput() {
        PromptSubmitted p = promptEvent("hot", "a circle");
        p.getContext().getSampler().setTemperature(99.0);
        List<Outcome> out = executor(Step.THINK, Map.of(), new DeterministicTestModel(Step.THINK, 0))
                .execute(List.of(record("irg.prompts", "hot", serialize("irg.prompts", p))));
        assertDeadLetter(out.get(0), FailureKind.BAD_INPUT, "the sampler parameters are invalid: temperature");
    }

    // --- helpers ---

    private static void assertDeadLetter(Outcome o, FailureKind kind, String message) {
        assertThat(o).isInstanceOfSatisfying(Outcome.DeadLetter.class, d -> {
            assertThat(d.kind()).isEqualTo(kind);
            assertThat(StepWorker.oneLine(d.cause())).contains(message);
        });
    }

    @Test
    void shouldSkipAPastDeadlineWithoutAModelCallAndReportItOnTheCancellationsTopic() {
        DeterministicTestModel model = new DeterministicTestModel(Step.DRAW, 0);
        BatchExecutor ex = executor(Step.DRAW, Map.of(), model);
        Instant past = Instant.now().minusSeconds(1);
        ThoughtProduced expired = ThoughtProduced.newBuilder()
                .setContext(TrajectoryContext.newBuilder(context("late", "a circle")).setDeadline(past).build())
                .setThought("plan late").setProvenance(provenance()).build();
        ThoughtProduced inTime = ThoughtProduced.newBuilder()
                .setContext(TrajectoryContext.newBuilder(context("soon", "a circle"))
                        .setDeadline(Instant.now().plusSeconds(3600)).build())
                .setThought("plan soon").setProvenance(provenance()).build();

        List<Outcome> out = ex.execute(List.of(record("irg.thoughts", "late", serialize("irg.thoughts", expired)),
                record("irg.thoughts", "soon", serialize("irg.thoughts", inTime))));

        assertThat(out.get(0)).isInstanceOfSatisfying(Outcome.Expired.class, e -> {
            assertThat(e.report().topic()).isEqualTo("irg.cancellations");
            assertThat(new String(e.report().key(), StandardCharsets.UTF_8)).isEqualTo("late");
            io.irgstream.events.CancellationRequested report = new IrgAvroDeserializer<>(registry.client(),
                    io.irgstream.events.CancellationRequested.class).deserialize("irg.cancellations", e.report().value());
            assertThat(report.getTrajectoryId()).isEqualTo("late");
            assertThat(report.getDeadline()).isEqualTo(past.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
            assertThat(report.getStep()).isEqualTo("draw");
        });
        assertThat(out.get(1)).isInstanceOf(Outcome.Produced.class);
        assertThat(model.batchSizes()).as("one model call, for the trajectory in time only").containsExactly(1);
        assertThat(stats.expiredSkips()).isEqualTo(1);
    }

    private BatchExecutor executor(Step step, Map<String, String> settings, StepModel model) {
        return executor(step, settings, model, 256 * 1024);
    }

    private BatchExecutor executor(Step step, Map<String, String> settings, StepModel model, int inlineMaxBytes) {
        Map<String, Object> p = new HashMap<>(settings);
        p.put(WorkerConfig.STEP, step.id());
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092");
        p.put(WorkerConfig.SCHEMA_REGISTRY_URL, registry.url());
        p.put(WorkerConfig.WORKER_ID, step.id() + "-test");
        return BatchExecutor.of(new WorkerConfig(p), model, registry.client(), images(inlineMaxBytes), null, stats,
                new SimpleMeterRegistry(), Tags.empty());
    }

    private ImageStore images(int inlineMaxBytes) {
        return new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), inlineMaxBytes);
    }

    private ImageRef image(int size, long seed) {
        try {
            return Png.store(images(256 * 1024), noise(size, seed));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static RgbImage noise(int size, long seed) {
        float[] u = io.irgstream.model.Seeds.uniform(seed, size * size * 3);
        byte[] px = new byte[u.length];
        for (int i = 0; i < u.length; i++) {
            px[i] = (byte) (u[i] * 256);
        }
        return new RgbImage(size, size, px);
    }

    private static TrajectoryContext context(String id, String prompt) {
        return TrajectoryContext.newBuilder().setTrajectoryId(id).setPrompt(prompt).setSeed(7).setRounds(1)
                .setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(Instant.now()).build();
    }

    private static PromptSubmitted promptEvent(String id, String prompt) {
        return PromptSubmitted.newBuilder().setContext(context(id, prompt)).build();
    }

    private ConsumerRecord<byte[], byte[]> prompt(String id, String prompt) {
        return record("irg.prompts", id, serialize("irg.prompts", promptEvent(id, prompt)));
    }

    private ConsumerRecord<byte[], byte[]> thoughtEvent(String id) {
        ThoughtProduced t = ThoughtProduced.newBuilder().setContext(context(id, "a circle")).setThought("plan " + id)
                .setProvenance(provenance()).build();
        return record("irg.thoughts", id, serialize("irg.thoughts", t));
    }

    private ConsumerRecord<byte[], byte[]> draft(String id, ImageRef image) {
        DraftImageProduced d = DraftImageProduced.newBuilder().setContext(context(id, "a circle")).setThought("plan")
                .setImage(image).setProvenance(provenance()).build();
        return record("irg.draft-images", id, serialize("irg.draft-images", d));
    }

    private static Provenance provenance() {
        return Provenance.newBuilder().setStep("test").setModelName("m").setModelSha256("0".repeat(64)).setDevice("cpu")
                .setWorkerId("w").setAttempt(1).setStepSeed(1).setBatchSize(1).setQueueWaitMs(0).setComputeMs(0)
                .setProducedAt(Instant.now()).build();
    }

    private static byte[] serialize(String topic, SpecificRecord event) {
        return new IrgAvroSerializer<SpecificRecord>(registry.client()).serialize(topic, event);
    }

    private int offset;

    private ConsumerRecord<byte[], byte[]> record(String topic, String key, byte[] value) {
        return new ConsumerRecord<>(topic, 0, offset++, key.getBytes(StandardCharsets.UTF_8), value);
    }

    private ThoughtProduced thought(Outcome o) {
        assertThat(o).isInstanceOf(Outcome.Produced.class);
        var out = ((Outcome.Produced) o).output();
        return new IrgAvroDeserializer<>(registry.client(), ThoughtProduced.class).deserialize(out.topic(), out.value());
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A model whose requests fail with {@code failure.apply(request)} where not null (the whole call fails). */
    private static StepModel failing(Step step, Function<StepRequest, RuntimeException> failure) {
        return new DelegatingTestModel(new DeterministicTestModel(step, 0)) {
            @Override
            public List<StepResult> run(List<StepRequest> batch) {
                for (StepRequest r : batch) {
                    RuntimeException e = failure.apply(r);
                    if (e != null) {
                        throw e;
                    }
                }
                return super.run(batch);
            }
        };
    }
}
