package io.irgstream.embedded;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A three-node cluster, each node in its own JVM: topics and the internal topics are replicated three times with
 * {@code min.insync.replicas=2}; the leader of a partition is killed with SIGKILL, transactional writes go on against
 * the two nodes left, and the killed node comes back on its ports and data and catches up.
 */
class EmbeddedKafkaClusterIT {

    @TempDir
    Path dir;

    @Test
    void shouldKeepTransactionalWritesThroughTheKillOfALeaderAndCatchItUpOnRestart() throws Exception {
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder(dir).build().start()) {
            assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
            String bootstrap = cluster.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                TopicBootstrap.ensureTopics(admin, List.of(TopicSpec.of("events", 2).withReplicationFactor(3)));
                TopicDescription d = admin.describeTopics(List.of("events")).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get("events");
                assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                String minIsr = admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "events")))
                        .all().get(30, TimeUnit.SECONDS).values().iterator().next().get("min.insync.replicas").value();
                assertThat(minIsr).isEqualTo("2");
            }
            assertThat(cluster.replicationFactor()).isEqualTo(3);
            assertThat(cluster.minInsyncReplicas()).isEqualTo(2);

            try (KafkaProducer<String, String> producer = transactionalProducer(bootstrap)) {
                producer.initTransactions();
                write(producer, 0, 50);
                int leader = cluster.leaderOf("events", 0);
                assertThat(leader).isBetween(1, 3);

                cluster.kill(leader);
                assertThat(cluster.isRunning(leader)).isFalse();
                write(producer, 50, 100); // on the two nodes left: still min.insync.replicas
                assertThat(cluster.leaderOf("events", 0)).isNotIn(leader, -1);

                cluster.restart(leader);
                cluster.awaitFullyReplicated(Duration.ofSeconds(60));
                write(producer, 100, 150);
            }
            assertThat(readCommitted(bootstrap)).hasSize(150).doesNotHaveDuplicates();
        }
    }

    @Test
    void shouldRejectSettingsItManagesAndNodeIdsOutOfRange() {
        assertThatThrownBy(() -> EmbeddedKafkaCluster.builder(dir).brokerProperty("node.id", 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node.id is set by the embedded cluster");
        EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder(dir).build();
        assertThatThrownBy(() -> cluster.kill(4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Kafka node id must be between 1 and 3, got 4");
        assertThatThrownBy(() -> cluster.restart(1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was never started");
    }

    private static void write(KafkaProducer<String, String> producer, int from, int to) {
        producer.beginTransaction();
        for (int i = from; i < to; i++) {
            producer.send(new ProducerRecord<>("events", i % 2, "k" + i, "v" + i));
        }
        producer.commitTransaction();
    }

    private static KafkaProducer<String, String> transactionalProducer(String bootstrap) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "cluster-it",
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000),
                new StringSerializer(), new StringSerializer());
    }

    private static List<String> readCommitted(String bootstrap) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = List.of(new TopicPartition("events", 0), new TopicPartition("events", 1));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < 150 && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }
}
