package io.irgstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.irgstream.embedded.testing.KafkaFixture;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Lifecycle of a broker of its own (not the shared fixture): restart on the same data and port conflicts. */
@Timeout(60)
class EmbeddedKafkaBrokerTest {

    @TempDir
    Path tempDir;

    @Test
    void shouldKeepRecordsAndClusterIdWhenRestartedOnTheSameDataDirectory() throws Exception {
        Path dataDir = tempDir.resolve("kafka-data");
        String topic = "restart-events";
        String clusterId;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(dataDir).build()) {
            long startNanos = System.nanoTime();
            broker.start();
            System.out.printf("in-process broker, fresh directory: started in %d ms%n", millisSince(startNanos));
            clusterId = broker.clusterId();
            try (Admin admin = Admin.create(clientProps(broker))) {
                TopicBootstrap.ensureTopics(admin, List.of(TopicSpec.of(topic, 1)));
                assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(clientProps(broker),
                    new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>(topic, "k", "written before restart")).get();
            }
        }
        assertThat(readMetaProperties(dataDir).getProperty("cluster.id")).isEqualTo(clusterId);

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.builder(dataDir).build()) {
            long startNanos = System.nanoTime();
            restarted.start();
            System.out.printf("in-process broker, existing directory: started in %d ms%n", millisSince(startNanos));

            assertThat(restarted.clusterId()).isEqualTo(clusterId);
            try (Admin admin = Admin.create(clientProps(restarted))) {
                assertThat(admin.describeCluster().clusterId().get()).isEqualTo(clusterId);
                assertThat(TopicBootstrap.ensureTopics(admin, List.of(TopicSpec.of(topic, 1)))).isEmpty();
            }
            Map<String, Object> consumerProps = clientProps(restarted);
            consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "restart-reader");
            consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps,
                    new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(topic));
                List<ConsumerRecord<String, String>> records =
                        KafkaFixture.poll(consumer, 1, Duration.ofSeconds(20));
                assertThat(records).extracting(ConsumerRecord::value).containsExactly("written before restart");
            }
        }
    }

    @Test
    void shouldKeepItsPortWhenTheSameInstanceIsStoppedAndStartedAgain() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(tempDir.resolve("kafka-data")).build()) {
            String before = broker.start().bootstrapServers();
            broker.stop();
            assertThat(broker.isRunning()).isFalse();

            assertThat(broker.start().bootstrapServers()).isEqualTo(before);
            assertThat(broker.isRunning()).isTrue();
        }
    }

    @Test
    void shouldFailWithAClearMessageWhenThePortIsAlreadyInUse() throws Exception {
        Path dataDir = tempDir.resolve("never-created");
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(dataDir).port(port).build();

            assertThatThrownBy(broker::start)
                    .isInstanceOf(EmbeddedKafkaException.class)
                    .hasMessage("Kafka port " + port + " on 127.0.0.1 is already in use:"
                            + " stop the other broker or pick another port");
            assertThat(broker.isRunning()).isFalse();
            assertThat(dataDir).doesNotExist();
        }
    }

    @Test
    void shouldRefuseASecondBrokerWhenTheDataDirectoryIsInUse() {
        Path dataDir = tempDir.resolve("kafka-data");
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.builder(dataDir).build().start()) {
            EmbeddedKafkaBroker second = EmbeddedKafkaBroker.builder(dataDir).build();

            assertThatThrownBy(second::start)
                    .isInstanceOf(EmbeddedKafkaException.class)
                    .hasMessage("Kafka data directory " + dataDir.toAbsolutePath()
                            + " is in use by another broker: stop it or pick another directory");
            assertThat(second.isRunning()).isFalse();
            assertThat(first.isRunning()).isTrue();
        }
    }

    @Test
    void shouldNameTheBadSettingWhenAnExtraBrokerPropertyIsInvalid() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(tempDir.resolve("kafka-data"))
                .brokerProperty("message.max.bytes", "lots")
                .build();

        assertThatThrownBy(broker::start)
                .isInstanceOf(EmbeddedKafkaException.class)
                .hasMessageStartingWith("Invalid Kafka broker configuration: ")
                .hasMessageContaining("message.max.bytes");
        assertThat(tempDir.resolve("kafka-data").resolve("meta.properties")).doesNotExist();
    }

    @Test
    void shouldRejectManagedSettingsWhenGivenAsBrokerProperties() {
        assertThatThrownBy(() -> EmbeddedKafkaBroker.builder(tempDir).brokerProperty("listeners", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Broker property listeners is set by the embedded broker itself");
    }

    private static Map<String, Object> clientProps(EmbeddedKafkaBroker broker) {
        return new HashMap<>(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
    }

    private static Properties readMetaProperties(Path dataDir) throws Exception {
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(dataDir.resolve("meta.properties"))) {
            meta.load(in);
        }
        return meta;
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
