package io.irgstream.worker;

import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.Step;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A worker rides out fatal Kafka client errors in-process (re-creating its consumer and producer), and stops rather
 * than fight when another live instance has its worker.id. Each test checks every record's output is committed
 * exactly once (read_committed).
 */
class WorkerRecoveryIT {
    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    @TempDir
    Path dir;

    @Test
    void shouldRideOutABrokerRestartMidRunAndCompleteEveryRecordExactlyOnce() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(dir.resolve("kafka")).build().start()) {
            Topics topics = Topics.withPrefix("restart.");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                List<TopicSpec> all = new ArrayList<>();
                for (String t : List.of(topics.prompts().name(), topics.thoughts().name(), topics.deadLetters().name(),
                        topics.retry("think", 1).name(), topics.retry("think", 2).name(), topics.retry("think", 3).name())) {
                    all.add(TopicSpec.of(t, 2));
                }
                // returns once the broker serves every partition, so the first prompts cannot meet an unopened one
                TopicBootstrap.ensureTopics(admin, all);
            }
            Map<String, Object> settings = new HashMap<>(fastFailure());
            // a slow model (1.5 s per batch): the broker goes away while a batch runs, so its commit meets the outage
            StepWorker worker = worker(broker.bootstrapServers(), topics, "think-restart", settings, 1500);
            Thread thread = new Thread(worker, "worker-restart");
            thread.start();
            int n = 24;
            send(broker.bootstrapServers(), topics, "r-", 0, 16);
            awaitCommitted(broker.bootstrapServers(), topics.thoughts().name(), 1);
            broker.stop();
            Thread.sleep(6_000); // longer than the producer's max.block.ms and delivery.timeout.ms (3 s)
            broker.start();
            send(broker.bootstrapServers(), topics, "r-", 16, n);
            assertEachCommittedOnce(broker.bootstrapServers(), topics, "think-restart", n, worker);
            assertThat(thread.isAlive()).as("the worker is still running").isTrue();
            assertThat(worker.stats().restarts() + worker.stats().abortedBatches())
                    .as("the outage hit a transaction (aborted, or the clients re-created)").isGreaterThanOrEqualTo(1);
            System.out.printf("broker restart: %d records, worker restarts %d, aborted batches %d%n", n,
                    worker.stats().restarts(), worker.stats().abortedBatches());
            assertThat(worker.stop(Duration.ofSeconds(30))).isTrue();
            thread.join(10_000);
        }
    }

    @Test
    void shouldRecreateItsClientsWhenItsProducerIsFencedAndCompleteEveryRecordExactlyOnce() throws Exception {
        Topics topics = createTopics("fenced");
        StepWorker worker = worker(KafkaFixture.bootstrapServers(), topics, "think-fenced", fastFailure(), 200);
        Thread thread = new Thread(worker, "worker-fenced");
        thread.start();
        int n = 24;
        send(KafkaFixture.bootstrapServers(), topics, "f-", 0, 8);
        awaitCommitted(KafkaFixture.bootstrapServers(), topics.thoughts().name(), 8);
        // Another producer initialises the worker's transactional id (as a stale incarnation's coordinator state
        // would): the worker's producer is fenced at its next transaction, with no other group member.
        Map<String, Object> p = KafkaFixture.producerProps();
        p.put("transactional.id", new WorkerConfig(config(KafkaFixture.bootstrapServers(), topics, "think-fenced",
                Map.of())).groupId() + "-think-fenced");
        try (KafkaProducer<byte[], byte[]> fencer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            fencer.initTransactions();
        }
        send(KafkaFixture.bootstrapServers(), topics, "f-", 8, n); // the worker's next transaction meets the fence
        assertEachCommittedOnce(KafkaFixture.bootstrapServers(), topics, "think-fenced", n, worker);
        assertThat(worker.stats().restarts()).as("clients re-created after the fencing").isGreaterThanOrEqualTo(1);
        assertThat(thread.isAlive()).as("the worker is still running").isTrue();
        assertThat(worker.stop(Duration.ofSeconds(30))).isTrue();
        thread.join(10_000);
    }

    @Test
    void shouldStopRatherThanFightWhenAnotherLiveInstanceHasItsWorkerId() throws Exception {
        Topics topics = createTopics("duplicate");
        StepWorker first = worker(KafkaFixture.bootstrapServers(), topics, "think-dup", fastFailure(), 200);
        Thread t1 = new Thread(first, "worker-dup-1");
        t1.start();
        int n = 30;
        send(KafkaFixture.bootstrapServers(), topics, "d-", 0, 10);
        awaitCommitted(KafkaFixture.bootstrapServers(), topics.thoughts().name(), 3);
        StepWorker second = worker(KafkaFixture.bootstrapServers(), topics, "think-dup", fastFailure(), 200);
        Thread t2 = new Thread(second, "worker-dup-2");
        t2.start();
        send(KafkaFixture.bootstrapServers(), topics, "d-", 10, n);
        long deadline = System.currentTimeMillis() + 60_000;
        while (t1.isAlive() && t2.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(t1.isAlive() && t2.isAlive()).as("one of the two instances with the same worker.id stopped").isFalse();
        Thread survivor = t1.isAlive() ? t1 : t2;
        assertEachCommittedOnce(KafkaFixture.bootstrapServers(), topics, "think-dup", n, first, second);
        Thread.sleep(3_000); // no late fencing of the survivor
        assertThat(survivor.isAlive()).as("the other instance keeps running").isTrue();
        first.stop(Duration.ofSeconds(30));
        second.stop(Duration.ofSeconds(30));
        t1.join(10_000);
        t2.join(10_000);
    }

    /** Short client timeouts so a broker outage surfaces as errors within seconds; quick recovery backoff. */
    private static Map<String, Object> fastFailure() {
        Map<String, Object> m = new HashMap<>();
        m.put("producer.max.block.ms", "3000");
        m.put("producer.request.timeout.ms", "2000");
        m.put("producer.delivery.timeout.ms", "3000");
        m.put(WorkerConfig.RECOVERY_BACKOFF_MS, "300");
        m.put(WorkerConfig.RECOVERY_BACKOFF_MAX_MS, "2000");
        m.put(WorkerConfig.RECOVERY_MAX_ATTEMPTS, "30");
        m.put(WorkerConfig.MAX_BATCH_SIZE, "4");
        return m;
    }

    private Topics createTopics(String name) {
        Topics topics = Topics.withPrefix(KafkaFixture.uniqueTopicPrefix(name));
        KafkaFixture.createTopics(TopicSpec.of(topics.prompts().name(), 2), TopicSpec.of(topics.thoughts().name(), 2),
                TopicSpec.of(topics.deadLetters().name(), 1), TopicSpec.of(topics.retry("think", 1).name(), 1),
                TopicSpec.of(topics.retry("think", 2).name(), 1), TopicSpec.of(topics.retry("think", 3).name(), 1));
        return topics;
    }

    private static Map<String, Object> config(String bootstrap, Topics topics, String workerId, Map<String, Object> settings) {
        Map<String, Object> p = new HashMap<>(settings);
        p.put(WorkerConfig.STEP, "think");
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrap);
        p.put(WorkerConfig.SCHEMA_REGISTRY_URL, registry.url());
        p.put(WorkerConfig.TOPIC_PREFIX, topics.prefix());
        p.put(WorkerConfig.WORKER_ID, workerId);
        return p;
    }

    private StepWorker worker(String bootstrap, Topics topics, String workerId, Map<String, Object> settings, long delayMs) {
        return new StepWorker(new WorkerConfig(config(bootstrap, topics, workerId, settings)),
                new DeterministicTestModel(Step.THINK, delayMs), registry.client(),
                new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 1024), null);
    }

    /** Writes prompts {@code prefix+from .. prefix+(to-1)} and waits for every write to be acknowledged. */
    private static void send(String bootstrap, Topics topics, String prefix, int from, int to) throws Exception {
        IrgAvroSerializer<PromptSubmitted> ser = new IrgAvroSerializer<>(registry.client());
        Map<String, Object> props = new HashMap<>(KafkaFixture.producerProps());
        props.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> acks = new ArrayList<>();
            for (int i = from; i < to; i++) {
                String id = prefix + i;
                PromptSubmitted ev = PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder()
                        .setTrajectoryId(id).setPrompt("a photo of a circle " + i).setSeed(i).setRounds(1)
                        .setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(Instant.now()).build()).build();
                acks.add(producer.send(new ProducerRecord<>(topics.prompts().name(), id.getBytes(StandardCharsets.UTF_8),
                        ser.serialize(topics.prompts().name(), ev))));
            }
            for (var ack : acks) {
                ack.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits for the thoughts of {@code n} keys and checks each was committed exactly once; a failure prints the
     * workers' stats and {@link #diagnose where every key went}.
     */
    private static void assertEachCommittedOnce(String bootstrap, Topics topics, String workerId, int n,
                                                StepWorker... workers) throws InterruptedException {
        Map<String, Integer> out = awaitCommitted(bootstrap, topics.thoughts().name(), n);
        assertThat(out).as(() -> "each record's thought committed exactly once; workers "
                        + java.util.Arrays.stream(workers).map(w -> w.stats().toString()).toList()
                        + diagnose(bootstrap, topics, workerId))
                .hasSize(n).allSatisfy((k, count) -> assertThat(count).as(k).isEqualTo(1));
    }

    /**
     * What a failed exactly-once check needs to be explained: where each key sits on the input, output (committed and
     * not), retry and dead-letter topics, and the worker group's committed offsets.
     */
    private static String diagnose(String bootstrap, Topics topics, String workerId) {
        StringBuilder b = new StringBuilder();
        for (String topic : List.of(topics.prompts().name(), topics.thoughts().name(), topics.retry("think", 1).name(),
                topics.retry("think", 2).name(), topics.retry("think", 3).name(), topics.deadLetters().name())) {
            for (String isolation : List.of("read_committed", "read_uncommitted")) {
                b.append('\n').append(topic).append(" (").append(isolation).append("): ")
                        .append(positions(bootstrap, topic, isolation));
            }
        }
        String group = new WorkerConfig(config(bootstrap, topics, workerId, Map.of())).groupId();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            b.append("\ncommitted offsets of ").append(group).append(": ")
                    .append(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, java.util.concurrent.TimeUnit.SECONDS));
        } catch (Exception e) {
            b.append("\ncommitted offsets of ").append(group).append(": unavailable (").append(e).append(')');
        }
        return b.toString();
    }

    /** key@partition:offset of every record on a topic, read with the given isolation level. */
    private static List<String> positions(String bootstrap, String topic, String isolation) {
        Map<String, Object> props = new HashMap<>(KafkaFixture.consumerProps("diagnose-" + System.nanoTime()));
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", isolation);
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(pi -> new org.apache.kafka.common.TopicPartition(topic, pi.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 2_000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add((r.key() == null ? "null" : new String(r.key(), StandardCharsets.UTF_8)) + "@" + r.partition()
                            + ":" + r.offset());
                }
            }
        }
        return out;
    }

    /** Committed outputs per key (read_committed, from the beginning) once at least {@code n} keys are there. */
    private static Map<String, Integer> awaitCommitted(String bootstrap, String topic, int n) throws InterruptedException {
        Map<String, Object> props = new HashMap<>(KafkaFixture.consumerProps("reader-" + System.nanoTime()));
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed");
        props.put("auto.offset.reset", "earliest");
        Map<String, Integer> counts = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 90_000;
            while (counts.size() < n && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    counts.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
            // a little longer: a duplicate committed after the last first copy would show here
            long settle = System.currentTimeMillis() + 1_500;
            while (System.currentTimeMillis() < settle) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    counts.merge(new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
                }
            }
        }
        return counts;
    }
}
