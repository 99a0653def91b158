package io.irgstream.worker;

import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.Step;
import io.irgstream.model.openai.FakeOpenAiServer;
import io.irgstream.model.openai.OpenAiSettings;
import io.irgstream.model.openai.OpenAiStepModel;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One think worker on the real broker: micro-batching, dead letters, and configuration errors. */
class StepWorkerIT {
    static final String WARMUP = "warmup";
    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    @TempDir
    Path dir;

    @Test
    void shouldCloseBatchesAtMaxBatchSize() throws Exception {
        try (Rig rig = new Rig("batch-size", Map.of(WorkerConfig.MAX_BATCH_SIZE, 4, WorkerConfig.MAX_BATCH_WAIT_MS, 2000L), 0)) {
            rig.sendPrompts(10);
            List<ConsumerRecord<String, byte[]>> out = rig.read(rig.topics.thoughts().name(), 10);
            assertThat(out).hasSize(10);
            // 10 records queued before the worker polls: batches of at most 4, never waiting the 2 s for a full batch
            assertThat(rig.model.batchSizes()).allSatisfy(n -> assertThat(n).isBetween(1, 4));
            assertThat(rig.model.batchSizes().stream().mapToInt(Integer::intValue).sum()).isEqualTo(10);
            assertThat(rig.model.batchSizes()).contains(4);
        }
    }

    @Test
    void shouldCloseABatchAfterMaxBatchWaitWhenItIsNotFull() throws Exception {
        try (Rig rig = new Rig("batch-wait", Map.of(WorkerConfig.MAX_BATCH_SIZE, 16, WorkerConfig.MAX_BATCH_WAIT_MS, 300L), 0)) {
            rig.awaitAssignment();
            long t0 = System.nanoTime();
            rig.sendPrompts(1);
            assertThat(rig.read(rig.topics.thoughts().name(), 1)).hasSize(1);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertThat(rig.model.batchSizes()).containsExactly(1);
            assertThat(ms).as("latency of a lone record").isGreaterThanOrEqualTo(300);
        }
    }

    @Test
    void shouldDeadLetterBadRecordsAndCompleteTheRestOfTheBatch() throws Exception {
        try (Rig rig = new Rig("dead-letters", Map.of(WorkerConfig.MAX_BATCH_SIZE, 8, WorkerConfig.MAX_BATCH_WAIT_MS, 200L,
                WorkerConfig.RETRY_BACKOFF_MS, ""), 0)) {
            rig.sendPrompts(2);
            rig.sendRaw("garbage-1", "{\"prompt\": \"not avro\"}".getBytes(StandardCharsets.UTF_8));
            rig.sendPrompt("bad-model", "please FAIL-think on this one");
            rig.sendPrompts(2);
            List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 4);
            List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 2);
            assertThat(thoughts).hasSize(4);
            assertThat(dls).hasSize(2);
            IrgAvroDeserializer<DeadLetter> d = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class);
            Map<String, DeadLetter> byKey = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : dls) {
                byKey.put(r.key(), d.deserialize(r.topic(), r.value()));
            }
            DeadLetter garbage = byKey.get("garbage-1");
            assertThat(garbage.getStep()).isEqualTo("think");
            assertThat(garbage.getErrorMessage()).contains("not Confluent wire format");
            assertThat(garbage.getTopic()).isEqualTo(rig.topics.prompts().name());
            assertThat(StandardCharsets.UTF_8.decode(garbage.getValue()).toString()).isEqualTo("{\"prompt\": \"not avro\"}");
            DeadLetter refused = byKey.get("bad-model");
            assertThat(refused.getErrorMessage()).contains("test model refuses prompt");
            assertThat(refused.getErrorClass()).isEqualTo(IllegalStateException.class.getName());
            assertThat(refused.getTrajectoryId()).isEqualTo("bad-model");
        }
    }

    @Test
    void shouldDeadLetterEmptyOversizeAndInvalidUtf8Prompts() throws Exception {
        try (Rig rig = new Rig("bad-prompts", Map.of(WorkerConfig.MAX_BATCH_SIZE, 8, WorkerConfig.MAX_BATCH_WAIT_MS, 100L), 0)) {
            rig.sendPrompt("empty", "   ");
            rig.sendPrompt("oversize", "a".repeat(1001));
            // "a photo of a \xff circle": the Avro string bytes carry an invalid UTF-8 byte
            byte[] wire = rig.serializer.serialize(rig.topics.prompts().name(), rig.prompt("utf8", "a photo of a X circle"));
            for (int i = 0; i < wire.length; i++) {
                if (wire[i] == 'X') {
                    wire[i] = (byte) 0xff;
                }
            }
            rig.sendRaw("utf8", wire);
            rig.sendPrompts(1);
            assertThat(rig.read(rig.topics.thoughts().name(), 1)).hasSize(1);
            List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 3);
            IrgAvroDeserializer<DeadLetter> d = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class);
            Map<String, String> reasons = new HashMap<>();
            dls.forEach(r -> reasons.put(r.key(), d.deserialize(r.topic(), r.value()).getErrorMessage()));
            assertThat(reasons).containsEntry("empty", "the prompt is empty")
                    .containsEntry("oversize", "the prompt has 1001 characters; the limit is 1000")
                    .containsEntry("utf8", "the prompt is not valid UTF-8");
        }
    }

    @Test
    void shouldRefuseAWrongSettingWithAMessageNamingIt() {
        Map<String, Object> p = new HashMap<>(Map.of(WorkerConfig.STEP, "think", WorkerConfig.BOOTSTRAP_SERVERS, "x:1",
                WorkerConfig.SCHEMA_REGISTRY_URL, "http://x"));
        p.put(WorkerConfig.MAX_BATCH_SIZE, "0");
        assertThatThrownBy(() -> new WorkerConfig(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("max.batch.size").hasMessageContaining("0");
        p.put(WorkerConfig.MAX_BATCH_SIZE, "4");
        p.put(WorkerConfig.STEP, "paint");
        assertThatThrownBy(() -> new WorkerConfig(p)).isInstanceOf(ConfigException.class).hasMessageContaining("step");
        p.remove(WorkerConfig.STEP);
        assertThatThrownBy(() -> new WorkerConfig(p)).isInstanceOf(ConfigException.class).hasMessageContaining("step");
    }

    /** The model the rig's worker runs; a test may wrap the test double. */
    io.irgstream.model.StepModel modelFor(DeterministicTestModel model) {
        return flaky == null ? model : flaky.apply(model);
    }

    java.util.function.Function<DeterministicTestModel, io.irgstream.model.StepModel> flaky;

    /** Topic settings of the rig's thoughts topic. */
    Map<String, String> thoughtsTopicConfig = Map.of();

    @Test
    void shouldRetryAFailedRecordWithBackoffWithoutHoldingUpTheRecordsBehindIt() throws Exception {
        java.util.Map<String, Integer> tries = new java.util.concurrent.ConcurrentHashMap<>();
        flaky = inner -> new io.irgstream.model.StepModel() {
            public Step step() { return Step.THINK; }
            public io.irgstream.model.ModelInfo info() { return inner.info(); }
            public java.util.List<io.irgstream.model.StepResult> run(java.util.List<io.irgstream.model.StepRequest> batch) {
                for (io.irgstream.model.StepRequest r : batch) {
                    int n = tries.merge(r.trajectoryId(), 1, Integer::sum);
                    if (r.prompt().contains("always broken") || (r.prompt().contains("flaky") && n <= 2)) {
                        // fails on its first two model calls: in a batch and then alone, or alone twice
                        throw new IllegalStateException("transient model failure #" + n + " for " + r.trajectoryId());
                    }
                }
                return inner.run(batch);
            }
            public void close() { }
        };
        try (Rig rig = new Rig("retries", Map.of(WorkerConfig.MAX_BATCH_SIZE, 4, WorkerConfig.MAX_BATCH_WAIT_MS, 20L,
                WorkerConfig.RETRY_BACKOFF_MS, "400,400"), 0)) {
            rig.sendPrompt("flaky-1", "a flaky prompt");
            rig.sendPrompt("broken-1", "an always broken prompt");
            rig.sendPrompts(3);
            List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 4);
            assertThat(thoughts).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("flaky-1", "t-0", "t-1", "t-2");
            // the records behind the failing ones did not wait for their retries
            assertThat(thoughts.get(thoughts.size() - 1).key()).isEqualTo("flaky-1");
            IrgAvroDeserializer<ThoughtProduced> td = new IrgAvroDeserializer<>(registry.client(), ThoughtProduced.class);
            ConsumerRecord<String, byte[]> flakyOut = thoughts.get(thoughts.size() - 1);
            int attempt = td.deserialize(flakyOut.topic(), flakyOut.value()).getProvenance().getAttempt();
            assertThat(attempt).as("the attempt that succeeded").isBetween(2, 3);
            List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 1);
            assertThat(dls).hasSize(1);
            DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class).deserialize(dls.get(0).topic(), dls.get(0).value());
            assertThat(dl.getTrajectoryId()).isEqualTo("broken-1");
            assertThat(dl.getAttempts()).isEqualTo(3);
            assertThat(dl.getTopic()).isEqualTo(rig.topics.prompts().name());
            assertThat(dl.getErrorMessage()).contains("transient model failure #", "for broken-1");
            assertThat(dl.getLastFailedAt()).isAfterOrEqualTo(dl.getFirstFailedAt().plusMillis(700));
            assertThat(rig.worker.stats().retries()).isEqualTo((attempt - 1) + 2L);
        } finally {
            flaky = null;
        }
    }

    @Test
    void shouldDeadLetterAPromptTheModelRejectsAtOnceWithItsReasonAndCompleteItsNeighbours() throws Exception {
        List<String> modelSaw = java.util.Collections.synchronizedList(new ArrayList<>());
        List<List<String>> checked = java.util.Collections.synchronizedList(new ArrayList<>());
        flaky = inner -> new io.irgstream.model.StepModel() {
            public Step step() { return Step.THINK; }
            public io.irgstream.model.ModelInfo info() { return inner.info(); }
            public List<String> rejections(List<String> prompts) {
                checked.add(List.copyOf(prompts));
                return prompts.stream().map(p -> p.contains("unicorn")
                        ? "prompt outside the test grammar: \"" + p + "\"; this model draws circles only" : "").toList();
            }
            public List<io.irgstream.model.StepResult> run(List<io.irgstream.model.StepRequest> batch) {
                batch.forEach(r -> modelSaw.add(r.prompt()));
                return inner.run(batch);
            }
            public void close() { }
        };
        try (Rig rig = new Rig("rejected-prompt", Map.of(WorkerConfig.MAX_BATCH_SIZE, 8, WorkerConfig.MAX_BATCH_WAIT_MS, 200L,
                WorkerConfig.RETRY_BACKOFF_MS, "300,300"), 0)) {
            rig.sendPrompts(2);
            rig.sendPrompt("outside", "a photo of a unicorn");
            rig.sendPrompts(2);
            List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 4);
            assertThat(thoughts).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3");
            List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 1);
            assertThat(dls).hasSize(1);
            DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class).deserialize(dls.get(0).topic(), dls.get(0).value());
            assertThat(dl.getTrajectoryId()).isEqualTo("outside");
            assertThat(dl.getStep()).isEqualTo("think");
            assertThat(dl.getErrorMessage())
                    .isEqualTo("prompt outside the test grammar: \"a photo of a unicorn\"; this model draws circles only");
            assertThat(dl.getErrorClass()).isEqualTo(PromptRejectedException.class.getName());
            assertThat(dl.getAttempts()).as("bad input: no retries").isEqualTo(1);
            assertThat(dl.getTopic()).isEqualTo(rig.topics.prompts().name());
            assertThat(rig.worker.stats().retries()).isZero();
            assertThat(modelSaw).as("the model never ran the rejected prompt").hasSize(4).doesNotContain("a photo of a unicorn");
            assertThat(checked.stream().flatMap(List::stream)).contains("a photo of a unicorn");
        } finally {
            flaky = null;
        }
    }

    @Test
    void shouldDeadLetterARemoteRefusalAtOnceAndRetryA429NoEarlierThanItsRetryAfter() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer(null, List.of("remote-think"))) {
            server.retryAfterSeconds(2);
            server.inject(FakeOpenAiServer.Fault.CONTENT_POLICY, FakeOpenAiServer.Fault.RATE_LIMITED);
            flaky = inner -> OpenAiStepModel.connect(Step.THINK, OpenAiSettings.of(server.baseUrl(), "remote-think"));
            try (Rig rig = new Rig("remote-failures", Map.of(WorkerConfig.MAX_BATCH_SIZE, 1,
                    WorkerConfig.RETRY_BACKOFF_MS, "100,100"), 0)) {
                long t0 = System.currentTimeMillis();
                rig.sendPrompt("policy-1", "a photo of a forbidden circle");
                rig.sendPrompt("rate-1", "a photo of a busy circle");
                List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 1);
                long ms = System.currentTimeMillis() - t0;
                List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 1);

                DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class)
                        .deserialize(dls.get(0).topic(), dls.get(0).value());
                assertThat(dl.getTrajectoryId()).isEqualTo("policy-1");
                assertThat(dl.getAttempts()).as("a refusal is not retried").isEqualTo(1);
                assertThat(dl.getErrorClass()).isEqualTo(ModelRequestRejectedException.class.getName());
                assertThat(dl.getErrorMessage()).contains("answered /chat/completions with 400: content_policy_violation: "
                        + "Your request was rejected as a result of our safety system.");
                assertThat(thoughts).extracting(ConsumerRecord::key).containsExactly("rate-1");
                var p = new IrgAvroDeserializer<>(registry.client(), ThoughtProduced.class)
                        .deserialize(thoughts.get(0).topic(), thoughts.get(0).value()).getProvenance();
                assertThat(p.getAttempt()).isEqualTo(2);
                assertThat(ms).as("the retry waited the server's Retry-After of 2 s, not the 100 ms tier").isGreaterThanOrEqualTo(2000);
                assertThat(p.getBackend()).isEqualTo("openai");
                assertThat(p.getModelName()).isEqualTo("remote-think");
                assertThat(p.getRemote().getHost()).isEqualTo("127.0.0.1:" + server.baseUrl().getPort());
                assertThat(p.getRemote().getResponseId()).startsWith("chatcmpl-");
                assertThat(p.getRemote().getPromptTokens()).isEqualTo(11);
                assertThat(p.getRemote().getSeed()).isEqualTo(p.getStepSeed());
                assertThat(server.violations()).isEmpty();
            }
        } finally {
            flaky = null;
        }
    }

    @Test
    void shouldKeepTheSuccessesOfARemoteBatchAndRetryOnlyTheRequestThatFailed() throws Exception {
        try (FakeOpenAiServer server = new FakeOpenAiServer("sk-worker", List.of("remote-think"))) {
            server.retryAfterSeconds(0);
            flaky = inner -> OpenAiStepModel.connect(Step.THINK, OpenAiSettings.of(server.baseUrl(), "remote-think")
                    .withApiKey(io.irgstream.model.openai.ApiKey.of("sk-worker")));
            try (Rig rig = new Rig("remote-partial", Map.of(WorkerConfig.MAX_BATCH_SIZE, 4,
                    WorkerConfig.MAX_BATCH_WAIT_MS, 1000L, WorkerConfig.RETRY_BACKOFF_MS, "100"), 0)) {
                server.inject(FakeOpenAiServer.Fault.SERVER_ERROR);
                rig.sendPrompts(4);
                List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 4);

                assertThat(thoughts).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3");
                IrgAvroDeserializer<ThoughtProduced> td = new IrgAvroDeserializer<>(registry.client(), ThoughtProduced.class);
                assertThat(thoughts).extracting(r -> td.deserialize(r.topic(), r.value()).getProvenance().getAttempt())
                        .containsExactlyInAnyOrder(1, 1, 1, 2);
                assertThat(server.received()).as("4 first tries and one retry, no one-by-one re-runs").hasSize(5);
                assertThat(rig.worker.stats().retries()).isEqualTo(1);
                assertThat(server.violations()).isEmpty();
            }
        } finally {
            flaky = null;
        }
    }

    @Test
    void shouldDeadLetterAnOversizeOutputWithItsSizeAndTheLimitAndCompleteTheRecordsAroundIt() throws Exception {
        flaky = inner -> new io.irgstream.model.StepModel() {
            public Step step() { return Step.THINK; }
            public io.irgstream.model.ModelInfo info() { return inner.info(); }
            public List<io.irgstream.model.StepResult> run(List<io.irgstream.model.StepRequest> batch) {
                return batch.stream().map(r -> r.prompt().contains("verbose")
                        ? io.irgstream.model.StepResult.text("a very long plan ".repeat(10_000))
                        : inner.run(List.of(r)).get(0)).toList();
            }
            public void close() { }
        };
        // the thoughts topic takes records up to 64 KiB (the producer up to its default 16 MiB): the worker reads the
        // topic's limit and dead-letters the 160 kB plan instead of failing the batch's transaction over and over
        thoughtsTopicConfig = Map.of("max.message.bytes", "65536");
        try (Rig rig = new Rig("oversize", Map.of(WorkerConfig.MAX_BATCH_SIZE, 8, WorkerConfig.MAX_BATCH_WAIT_MS, 300L), 0)) {
            rig.sendPrompts(2);
            rig.sendPrompt("verbose-1", "a verbose circle");
            rig.sendPrompts(2);
            List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 4);
            assertThat(thoughts).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3");
            List<ConsumerRecord<String, byte[]>> dls = rig.read(rig.topics.deadLetters().name(), 1);
            DeadLetter dl = new IrgAvroDeserializer<>(registry.client(), DeadLetter.class)
                    .deserialize(dls.get(0).topic(), dls.get(0).value());
            assertThat(dl.getTrajectoryId()).isEqualTo("verbose-1");
            assertThat(dl.getErrorClass()).isEqualTo(OutputTooLargeException.class.getName());
            assertThat(dl.getErrorMessage()).containsPattern("is \\d+ bytes, over the limit of 65536 bytes \\(max.message.bytes of ");
            assertThat(dl.getAttempts()).as("no retry can make it smaller").isEqualTo(1);
            assertThat(rig.worker.stats().abortedBatches()).as("the transaction was never aborted").isZero();
            assertThat(rig.worker.stats().restarts()).isZero();
        } finally {
            flaky = null;
            thoughtsTopicConfig = Map.of();
        }
    }

    @Test
    void shouldFinishABatchLongerThanMaxPollIntervalWithoutARebalanceOrADuplicate() throws Exception {
        // each batch takes 5 s, more than twice the consumer's 2 s max.poll.interval.ms: the worker keeps polling
        // (partitions paused) while the model runs, so its group never takes the partition away
        try (Rig rig = new Rig("slow-batch", Map.of(WorkerConfig.MAX_BATCH_SIZE, 4, WorkerConfig.MAX_BATCH_WAIT_MS, 500L,
                "consumer.max.poll.interval.ms", "2000"), 5000)) {
            rig.sendPrompts(6);
            List<ConsumerRecord<String, byte[]>> thoughts = rig.read(rig.topics.thoughts().name(), 6);
            assertThat(thoughts).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3", "t-4", "t-5");
            assertThat(rig.model.batchSizes().stream().mapToInt(Integer::intValue).sum())
                    .as("each record ran once (no batch ran again after a lost partition)").isEqualTo(6);
            assertThat(rig.worker.stats().rebalances()).isZero();
            assertThat(rig.worker.stats().abortedBatches()).isZero();
            assertThat(rig.worker.stats().restarts()).isZero();
            assertThat(rig.readFor(rig.topics.thoughts().name(), 3_000)).as("no duplicate committed later").hasSize(6);
        }
    }

    /** A think worker with a test-double model on its own topics. */
    final class Rig implements AutoCloseable {
        final Topics topics;
        final DeterministicTestModel model;
        final StepWorker worker;
        final Thread thread;
        final KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                new ByteArraySerializer(), new ByteArraySerializer());
        final IrgAvroSerializer<PromptSubmitted> serializer = new IrgAvroSerializer<>(registry.client());
        int sent;

        Rig(String name, Map<String, Object> settings, long delayMs) {
            topics = Topics.withPrefix(KafkaFixture.uniqueTopicPrefix(name));
            TopicSpec thoughts = TopicSpec.of(topics.thoughts().name(), 1);
            for (Map.Entry<String, String> e : thoughtsTopicConfig.entrySet()) {
                thoughts = thoughts.withConfig(e.getKey(), e.getValue());
            }
            KafkaFixture.createTopics(TopicSpec.of(topics.prompts().name(), 1), thoughts,
                    TopicSpec.of(topics.deadLetters().name(), 1), TopicSpec.of(topics.retry("think", 1).name(), 1),
                    TopicSpec.of(topics.retry("think", 2).name(), 1), TopicSpec.of(topics.retry("think", 3).name(), 1));
            Map<String, Object> p = new HashMap<>(settings);
            p.put(WorkerConfig.STEP, "think");
            p.put(WorkerConfig.BOOTSTRAP_SERVERS, KafkaFixture.bootstrapServers());
            p.put(WorkerConfig.SCHEMA_REGISTRY_URL, registry.url());
            p.put(WorkerConfig.TOPIC_PREFIX, topics.prefix());
            p.put(WorkerConfig.WORKER_ID, "think-test");
            model = new DeterministicTestModel(Step.THINK, delayMs);
            worker = new StepWorker(new WorkerConfig(p), modelFor(model), registry.client(), new ImageStore(new FileSystemBlobStore(dir), 1024), null);
            thread = new Thread(worker, "worker-" + name);
            thread.start();
        }

        void awaitAssignment() {
            // once a first record has gone through, the worker owns its partition; the warm-up is not counted
            sendPrompt(WARMUP, "warm up");
            assertThat(readKeys(topics.thoughts().name(), 1, true, 30_000)).hasSize(1);
            model.batchSizes().clear();
        }

        void sendPrompts(int n) {
            for (int i = 0; i < n; i++) {
                sendPrompt("t-" + (sent++), "a photo of a circle " + i);
            }
            producer.flush();
        }

        void sendPrompt(String id, String prompt) {
            sendRaw(id, serializer.serialize(topics.prompts().name(), prompt(id, prompt)));
        }

        PromptSubmitted prompt(String id, String prompt) {
            return PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder()
                    .setTrajectoryId(id).setPrompt(prompt).setSeed(42).setRounds(1)
                    .setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(Instant.now()).build()).build();
        }

        void sendRaw(String key, byte[] value) {
            producer.send(new ProducerRecord<>(topics.prompts().name(), key.getBytes(StandardCharsets.UTF_8), value));
            producer.flush();
        }

        List<ConsumerRecord<String, byte[]>> read(String topic, int n) {
            return readKeys(topic, n, false, 30_000);
        }

        /** Every committed record of {@code topic} (but the warm-up) that arrives within {@code ms}. */
        List<ConsumerRecord<String, byte[]>> readFor(String topic, long ms) {
            return readKeys(topic, Integer.MAX_VALUE, false, ms);
        }

        private List<ConsumerRecord<String, byte[]>> readKeys(String topic, int n, boolean warmupOnly, long timeoutMs) {
            Map<String, Object> props = KafkaFixture.consumerProps("reader-" + System.nanoTime());
            props.put("isolation.level", "read_committed");
            props.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                c.subscribe(List.of(topic));
                List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
                long deadline = System.currentTimeMillis() + timeoutMs;
                while (out.size() < n && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(100))) {
                        String key = new String(r.key(), StandardCharsets.UTF_8);
                        if (WARMUP.equals(key) == warmupOnly) {
                            out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), key, r.value()));
                        }
                    }
                }
                return out;
            }
        }

        @Override
        public void close() throws InterruptedException {
            worker.stop(Duration.ofSeconds(30));
            thread.join(30_000);
            producer.close();
        }
    }
}
