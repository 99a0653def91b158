package io.irgstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secured broker ({@link BrokerSecurity}): SASL_SSL with SCRAM-SHA-512 users created through the Admin API, mutual
 * TLS with certificates made in the test, and the StandardAuthorizer denying what no ACL allows.
 */
@Timeout(120)
class SecureBrokerTest {
    private static final String PASSWORD = "test-store-secret";

    @TempDir
    static Path dir;
    static DevCertificates certs;
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void start() {
        certs = DevCertificates.create(dir.resolve("certs"), PASSWORD, Duration.ofDays(1),
                List.of("irg-broker", "alice", "stranger"));
        broker = EmbeddedKafkaBroker.builder(dir.resolve("kafka"))
                .security(BrokerSecurity.of(certs, "irg-broker")).build().start();
        broker.createScramUser("bob", "bob-secret");
        try (Admin admin = Admin.create(superUser())) {
            admin.createTopics(List.of(new NewTopic("t", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.createAcls(List.of(
                    allow("User:bob", ResourceType.TOPIC, "t", AclOperation.WRITE),
                    allow("User:alice", ResourceType.TOPIC, "t", AclOperation.READ)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void scramUserWritesWhatItsAclAllowsAndAnMtlsClientReadsIt() throws Exception {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(producer(scram("bob", "bob-secret")),
                new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>("t", "k", "over SASL_SSL")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> c = new HashMap<>(certs.mtlsClientSettings("alice"));
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.mtlsBootstrapServers());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new StringDeserializer())) {
            TopicPartition tp = new TopicPartition("t", 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<String> read = new java.util.ArrayList<>();
            long until = System.currentTimeMillis() + 30_000;
            while (read.isEmpty() && System.currentTimeMillis() < until) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.add(r.value());
                }
            }
            assertThat(read).contains("over SASL_SSL");
        }
    }

    @Test
    void aPrincipalWithoutAnAclIsDenied() {
        // alice may read t, not write it (not idempotent: without WRITE on any topic that is denied on the cluster)
        Map<String, Object> p = producer(certs.mtlsClientSettings("alice"));
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.mtlsBootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordIsRefusedAsAnAuthenticationFailure() {
        try (KafkaProducer<String, String> p = new KafkaProducer<>(producer(scram("bob", "not-bob-secret")),
                new StringSerializer(), new StringSerializer())) {
            assertThatThrownBy(() -> p.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    @Test
    void theMtlsListenerRefusesAClientWithoutACertificate() {
        Map<String, Object> p = producer(certs.trustSettings());
        p.put("security.protocol", "SSL");
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.mtlsBootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("t", "k", "v")).get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SslAuthenticationException.class);
        }
    }

    static Map<String, Object> superUser() {
        Map<String, Object> m = new HashMap<>(broker.superUserClientSettings());
        m.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.mtlsBootstrapServers());
        return m;
    }

    static Map<String, Object> scram(String user, String password) {
        Map<String, Object> m = new HashMap<>(certs.trustSettings());
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");
        m.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        return m;
    }

    static Map<String, Object> producer(Map<String, Object> settings) {
        Map<String, Object> m = new HashMap<>(settings);
        m.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        m.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 25_000);
        m.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
        return m;
    }

    static AclBinding allow(String principal, ResourceType type, String name, AclOperation op) {
        return new AclBinding(new ResourcePattern(type, name, PatternType.LITERAL),
                new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW));
    }
}
