package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.Test;

class KafkaClientSettingsTest {
    static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"think\" "
            + "password=\"s3cret\";";

    static Map<String, Object> clientProperties() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", "kafka:9093");
        m.put("security.protocol", "SASL_SSL");
        m.put("sasl.mechanism", "SCRAM-SHA-512");
        m.put("sasl.jaas.config", JAAS);
        m.put("ssl.truststore.location", "/etc/irg/truststore.p12");
        m.put("ssl.truststore.password", "trust-secret");
        m.put("max.batch.size", "8"); // a worker setting in the same file: not a client setting
        m.put("consumer.sasl.jaas.config", "x"); // a prefixed one belongs to the worker
        return m;
    }

    @Test
    void picksTheConnectionSettingsOutOfAProcesssSettingsAndMergesThemIntoAClientsConfig() {
        KafkaClientSettings k = KafkaClientSettings.from(clientProperties());
        assertThat(k.bootstrapServers()).isEqualTo("kafka:9093");
        assertThat(k.connection()).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config",
                "ssl.truststore.location", "ssl.truststore.password");
        Map<String, Object> consumer = new HashMap<>(Map.of("bootstrap.servers", "old:1", "group.id", "g"));
        k.applyTo(consumer);
        assertThat(consumer).containsEntry("bootstrap.servers", "kafka:9093").containsEntry("group.id", "g")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", JAAS);
        assertThat(k.securityProtocol()).isEqualTo("SASL_SSL");
        assertThat(k.saslUser()).isEqualTo("think");
        assertThat(k.withBootstrapServers("other:9093").bootstrapServers()).isEqualTo("other:9093");
    }

    @Test
    void aConfigProviderKeepsThePasswordOutOfTheFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path secret = dir.resolve("kafka-secret.properties");
        java.util.Properties p = new java.util.Properties();
        p.setProperty("jaas", JAAS);
        try (var w = java.nio.file.Files.newBufferedWriter(secret)) {
            p.store(w, null);
        }
        Map<String, Object> file = new HashMap<>(Map.of("bootstrap.servers", "kafka:9093",
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "config.providers", "file",
                "config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider",
                "sasl.jaas.config", "${file:" + secret + ":jaas}"));
        Map<String, Object> producer = KafkaClientSettings.from(file).applyTo(new HashMap<>());
        producer.put("key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class);
        producer.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class);
        assertThat(new org.apache.kafka.clients.producer.ProducerConfig(producer)
                .getPassword("sasl.jaas.config").value()).isEqualTo(JAAS);
    }

    @Test
    void neverShowsASecret() {
        String shown = KafkaClientSettings.from(clientProperties()).toString();
        assertThat(shown).contains("SASL_SSL", "kafka:9093").doesNotContain("s3cret", "trust-secret");
    }

    @Test
    void aWrongProtocolOrAMissingLoginNamesTheSetting() {
        assertThatThrownBy(() -> KafkaClientSettings.from(Map.of("security.protocol", "SASL_TLS")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("security.protocol")
                .hasMessageContaining("SASL_SSL");
        assertThatThrownBy(() -> KafkaClientSettings.from(Map.of("security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sasl.jaas.config");
        assertThatThrownBy(() -> KafkaClientSettings.from(Map.of()).bootstrapServers())
                .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
        assertThatThrownBy(() -> KafkaClientSettings.of("k:1").with("group.id", "g"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("group.id");
    }

    @Test
    void explainsARefusedLoginAndADeniedTopicWithWhatToFix() {
        KafkaClientSettings k = KafkaClientSettings.from(clientProperties());
        String login = k.explain(new KafkaException("poll failed", new SaslAuthenticationException(
                "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512")));
        assertThat(login).contains("kafka:9093", "user 'think'", "SCRAM-SHA-512", "sasl.jaas.config")
                .doesNotContain("s3cret");
        String denied = k.explain(new TopicAuthorizationException(java.util.Set.of("irg.final-images")));
        assertThat(denied).contains("User:think", "irg.final-images", "./irg acls");
        String tls = k.explain(new org.apache.kafka.common.errors.SslAuthenticationException("SSL handshake failed",
                new javax.net.ssl.SSLHandshakeException("PKIX path validation failed")));
        assertThat(tls).contains("TLS handshake with Kafka at kafka:9093 failed", "ssl.truststore.location");
        javax.net.ssl.SSLHandshakeException handshake = new javax.net.ssl.SSLHandshakeException("PKIX path validation failed");
        handshake.initCause(new java.security.cert.CertificateExpiredException("NotAfter: Thu Dec 03 08:00:00 UTC 2026"));
        assertThat(k.explain(new org.apache.kafka.common.errors.SslAuthenticationException("SSL handshake failed",
                handshake))).contains("the broker's certificate has expired (NotAfter: Thu Dec 03",
                "ssl.truststore.location");
        assertThat(KafkaClientSettings.isSecurityFailure(new KafkaException("x", new SaslAuthenticationException("y"))))
                .isTrue();
        assertThat(KafkaClientSettings.isSecurityFailure(new KafkaException("x"))).isFalse();
    }
}
