package io.irgstream.topology;

import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.IrgSerdeConfig;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two instances of the topology with everything on: API keys, HTTPS, and a schema registry that serves HTTPS and
 * requires basic auth (the topology's credentials and trust store come from its settings). Each instance owns one
 * partition, so queries for the other's trajectories are forwarded over HTTPS with the caller's key; without a key
 * both answer 401.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopologySecureClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldForwardQueriesOverHttpsWithTheCallersKeyWhenKeysTlsAndRegistryAuthAreOn() throws Exception {
        Path dir = Files.createTempDirectory("irg-topology-secure-");
        TestCertificates certs = TestCertificates.create(dir);
        Path keys = dir.resolve("api-keys");
        String readKey = ApiKeys.create(keys, ApiKeys.Role.READ, null).key();
        String prefix = KafkaFixture.uniqueTopicPrefix("topology-secure");
        Topics topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            specs.add(t.compacted() ? TopicSpec.of(t.name(), 2).compacted() : TopicSpec.of(t.name(), 2));
        }
        KafkaFixture.createTopics(specs.toArray(TopicSpec[]::new));
        HttpClient https = HttpClient.newBuilder().sslContext(trusting(certs)).build();
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                .tls(certs.keyStore(), certs.password()).user("operator", "op-secret", true).build().start();
                TopologyService a = instance(registry, certs, keys, prefix, dir.resolve("a")).start();
                TopologyService b = instance(registry, certs, keys, prefix, dir.resolve("b")).start();
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                        new StringSerializer(), new ByteArraySerializer())) {
            assertThat(a.url()).startsWith("https://");
            await().atMost(Duration.ofSeconds(60)).until(() -> a.state() == KafkaStreams.State.RUNNING
                    && b.state() == KafkaStreams.State.RUNNING);
            IrgAvroSerializer<SpecificRecord> serializer =
                    new IrgAvroSerializer<>(new HttpSchemaRegistryClient(registrySettings(registry, certs)));
            List<Events> trajectories = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Events e = new Events("secure-" + i, 1);
                trajectories.add(e);
                for (SpecificRecord event : List.of(e.prompt(), e.thought(), e.draft(), e.reflection(1, SATISFIED),
                        e.finalImage(1, SATISFIED))) {
                    String topic = topics.all().stream().filter(t -> t.valueClass().orElseThrow() == event.getClass())
                            .findFirst().orElseThrow().name();
                    producer.send(new ProducerRecord<>(topic, e.id, serializer.serialize(topic, event))).get();
                }
            }

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                for (TopologyService via : List.of(a, b)) {
                    for (Events e : trajectories) {
                        HttpResponse<String> r = get(https, via, "/api/trajectories/" + e.id, readKey);
                        assertThat(r.statusCode()).as("%s via %s: %s", e.id, via.url(), r.body()).isEqualTo(200);
                        assertThat(JSON.readTree(r.body()).path("status").asText()).isEqualTo("COMPLETED");
                    }
                    JsonNode list = JSON.readTree(get(https, via, "/api/trajectories?limit=100", readKey).body());
                    assertThat(list.path("count").asInt()).isEqualTo(4);
                }
            });
            JsonNode localA = JSON.readTree(get(https, a, "/api/trajectories?limit=100&local=true", readKey).body());
            assertThat(localA.path("count").asInt()).as("each instance owns a share").isBetween(1, 3);
            for (Events e : trajectories) {
                String sha = e.image(0, "draft").getSha256();
                for (TopologyService via : List.of(a, b)) {
                    HttpResponse<byte[]> image = https.send(HttpRequest.newBuilder(
                            URI.create(via.url() + "/api/images/" + sha)).header("Authorization", "Bearer " + readKey)
                            .build(), HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(image.statusCode()).isEqualTo(200);
                    assertThat(ImageStore.sha256(image.body())).isEqualTo(sha);
                }
                for (TopologyService via : List.of(a, b)) {
                    assertThat(get(https, via, "/api/trajectories/" + e.id, null).statusCode()).isEqualTo(401);
                }
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Map<String, Object> registrySettings(EmbeddedSchemaRegistry registry, TestCertificates certs) {
        Map<String, Object> s = new HashMap<>();
        s.put(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "https://127.0.0.1:" + registry.port());
        s.put(IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO");
        s.put(IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "operator:op-secret");
        s.put(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.trustStore().toString());
        s.put(IrgSerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG, certs.password());
        s.put(IrgSerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");
        return s;
    }

    private static TopologyService instance(EmbeddedSchemaRegistry registry, TestCertificates certs, Path keys,
            String prefix, Path dir) {
        Map<String, Object> settings = new HashMap<>(registrySettings(registry, certs));
        settings.put(TopologyConfig.APPLICATION_ID_CONFIG, prefix + "topology");
        settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        settings.put(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG, keys.toString());
        settings.put(TopologyConfig.HTTP_TLS_KEYSTORE_LOCATION_CONFIG, certs.keyStore().toString());
        settings.put(TopologyConfig.HTTP_TLS_KEYSTORE_PASSWORD_CONFIG, certs.password());
        settings.put(TopologyConfig.HTTP_TLS_TRUSTSTORE_LOCATION_CONFIG, certs.trustStore().toString());
        settings.put(TopologyConfig.HTTP_TLS_TRUSTSTORE_PASSWORD_CONFIG, certs.password());
        settings.put("streams.replication.factor", 1);
        return new TopologyService(settings);
    }

    private static SSLContext trusting(TestCertificates certs) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(certs.trustStore())) {
            trust.load(in, certs.password().toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private static HttpResponse<String> get(HttpClient http, TopologyService via, String path, String key)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(via.url() + path)).timeout(Duration.ofSeconds(10));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
