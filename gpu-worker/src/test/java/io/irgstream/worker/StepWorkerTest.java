package io.irgstream.worker;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.Step;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole worker loop on MockConsumer/MockProducer: no broker. */
class StepWorkerTest {
    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    @TempDir
    Path dir;

    private static final TopicPartition PROMPTS = new TopicPartition("irg.prompts", 0);

    private final MockConsumer<byte[], byte[]> consumer = feed(new MockConsumer<>("earliest"));
    private final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    private final DeterministicTestModel model = new DeterministicTestModel(Step.THINK, 0);

    @Test
    void shouldTurnPolledPromptsIntoThoughtsAndDeadLettersCommittedWithTheirOffsets() throws Exception {
        StepWorker worker = worker(new MockClients(List.of(consumer), List.of(producer)));
        Thread t = new Thread(worker, "worker-under-test");
        t.start();
        awaitCommit(producer);
        assertThat(worker.stop(Duration.ofSeconds(10))).isTrue();

        assertThat(producer.commitCount()).isEqualTo(1);
        List<ProducerRecord<byte[], byte[]>> out = producer.history();
        assertThat(out).extracting(ProducerRecord::topic)
                .containsExactly("irg.thoughts", "irg.thoughts", "irg.dead-letters", "irg.thoughts", "irg.thoughts");
        ThoughtProduced first = new IrgAvroDeserializer<>(registry.client(), ThoughtProduced.class)
                .deserialize("irg.thoughts", out.get(0).value());
        assertThat(first.getThought()).startsWith("plan for: a circle 0");
        assertThat(first.getProvenance().getBatchSize()).isEqualTo(4);
        assertThat(producer.consumerGroupOffsetsHistory()).containsExactly(
                Map.of("dummy.group.id", Map.of(PROMPTS, new OffsetAndMetadata(5))));
        assertThat(model.batchSizes()).containsExactly(4);
        assertThat(worker.stats().recordsIn()).isEqualTo(5);
        assertThat(worker.stats().recordsOut()).isEqualTo(4);
        assertThat(worker.stats().deadLetters()).isEqualTo(1);
        assertThat(producer.closed()).isTrue();
        assertThat(consumer.closed()).isTrue();
    }

    @Test
    void shouldRecreateItsClientsAfterAFailedTransactionAndCommitTheBatchOnce() throws Exception {
        producer.commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("broker away");
        MockConsumer<byte[], byte[]> second = feed(new MockConsumer<>("earliest"));
        MockProducer<byte[], byte[]> secondProducer = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        StepWorker worker = worker(new MockClients(List.of(consumer, second), List.of(producer, secondProducer)));
        Thread t = new Thread(worker, "worker-under-test");
        t.start();
        awaitCommit(secondProducer);
        assertThat(worker.stop(Duration.ofSeconds(10))).isTrue();

        assertThat(producer.transactionAborted()).as("the first transaction").isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(producer.closed() && consumer.closed()).as("the first clients were closed").isTrue();
        assertThat(secondProducer.history()).hasSize(5);
        assertThat(secondProducer.commitCount()).isEqualTo(1);
        assertThat(worker.stats().abortedBatches()).isEqualTo(1);
        assertThat(worker.stats().restarts()).isEqualTo(1);
        assertThat(worker.stats().recordsIn()).isEqualTo(5);
    }

    private StepWorker worker(WorkerClients clients) {
        Map<String, Object> p = new HashMap<>();
        p.put(WorkerConfig.STEP, "think");
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092");
        p.put(WorkerConfig.SCHEMA_REGISTRY_URL, registry.url());
        p.put(WorkerConfig.WORKER_ID, "think-0");
        p.put(WorkerConfig.MAX_BATCH_SIZE, 8);
        p.put(WorkerConfig.RECOVERY_BACKOFF_MS, 1L);
        return new StepWorker(new WorkerConfig(p), model, registry.client(),
                new ImageStore(new FileSystemBlobStore(dir), 1024), null, null, clients);
    }

    /** {@code c} with a first poll that assigns it irg.prompts-0 holding 5 prompts (the third one empty). */
    private static MockConsumer<byte[], byte[]> feed(MockConsumer<byte[], byte[]> c) {
        IrgAvroSerializer<PromptSubmitted> ser = new IrgAvroSerializer<>(registry.client());
        c.schedulePollTask(() -> {
            c.rebalance(List.of(PROMPTS));
            c.updateBeginningOffsets(Map.of(PROMPTS, 0L));
            for (int i = 0; i < 5; i++) {
                String prompt = i == 2 ? "" : "a circle " + i;
                PromptSubmitted p = PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder()
                        .setTrajectoryId("t-" + i).setPrompt(prompt).setSeed(i).setRounds(1)
                        .setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(Instant.now()).build()).build();
                c.addRecord(new ConsumerRecord<>("irg.prompts", 0, i, ("t-" + i).getBytes(StandardCharsets.UTF_8),
                        ser.serialize("irg.prompts", p)));
            }
        });
        return c;
    }

    private static void awaitCommit(MockProducer<byte[], byte[]> p) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (p.commitCount() < 1 && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
    }

    /** Hands the worker the test's mock clients, one pair per client session, in order. */
    private static final class MockClients implements WorkerClients {
        private final java.util.Iterator<MockConsumer<byte[], byte[]>> consumers;
        private final java.util.Iterator<MockProducer<byte[], byte[]>> producers;

        MockClients(List<MockConsumer<byte[], byte[]>> consumers, List<MockProducer<byte[], byte[]>> producers) {
            this.consumers = consumers.iterator();
            this.producers = producers.iterator();
        }

        @Override
        public Consumer<byte[], byte[]> consumer(Map<String, Object> config) {
            assertThat(config).containsEntry("isolation.level", "read_committed").containsEntry("group.instance.id", "think-0");
            return consumers.next();
        }

        @Override
        public Producer<byte[], byte[]> producer(Map<String, Object> config) {
            assertThat(config).containsEntry("transactional.id", "irg-think-think-0");
            return producers.next();
        }

        @Override
        public Admin admin(Map<String, Object> config) {
            throw new UnsupportedOperationException("not fenced in this test");
        }
    }
}
