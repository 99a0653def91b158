package io.irgstream.app;

import io.irgstream.app.security.KafkaAcls;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryException;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./irg dev --secure}'s stack ({@link EmbeddedStack.Builder#secure()}) on a fresh data dir: a prompt submitted
 * with the {@code client.properties} it wrote, through {@code ./irg submit}'s code path, runs to COMPLETED through
 * four workers of four principals and the topology, read through the HTTP API with the {@code api-key} it wrote
 * (401 without); the operator lists the dead letters with the operator.properties it wrote; the think workers'
 * principal may not write the final images; a role's registry user may not
 * register schemas. A second start on the same dir reuses the certificates, passwords and key: the same client.properties
 * and key submit and read a second prompt to COMPLETED.
 */
@Timeout(120)
class SecureDevIT {
    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    private EmbeddedStack.Builder stack() {
        return EmbeddedStack.builder(dir).kafkaPort(0).registryPort(0)
                .layout(new TopicLayout("irg.", 1, TopicLayout.DEFAULT_RETENTION_MS)).topology(0).secure()
                // after the restart the topology's group waits out its previous member's session (Kafka Streams does
                // not leave its group on close): 6 s, the broker's least, instead of 45 s
                .topologySetting("streams.consumer.session.timeout.ms", 6_000)
                .models(step -> new DeterministicTestModel(step, 0));
    }

    @Test
    void runsATrajectoryWithEveryClientAuthenticatedAndAuthorizedAndReusesItsSecretsOnRestart() throws Exception {
        Path secure = dir.resolve("secure");
        String id;
        String apiKey;
        byte[] trustStore;
        String clientProperties;
        try (EmbeddedStack stack = stack().build().start()) {
            // what a client needs, readable by its owner only
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secure))).isEqualTo("rwx------");
            for (String f : new String[] {"secrets.properties", "client.properties", "api-key", "api-keys",
                    "truststore.p12", "irg-broker.p12"}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secure.resolve(f))))
                        .as(f).isEqualTo("rw-------");
            }
            Properties client = new Properties();
            try (Reader r = Files.newBufferedReader(secure.resolve("client.properties"))) {
                client.load(r);
            }
            assertThat(client.getProperty("bootstrap.servers")).isEqualTo(stack.bootstrapServers());
            assertThat(client.getProperty("security.protocol")).isEqualTo("SASL_SSL");
            assertThat(client.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
            assertThat(client.getProperty("sasl.jaas.config")).contains("username=\"irg-submitter\"");
            assertThat(client.getProperty("ssl.truststore.location")).isEqualTo(secure.resolve("truststore.p12").toString());
            assertThat(client.getProperty("schema.registry.url")).isEqualTo(stack.registryUrl()).startsWith("https://");
            assertThat(client.getProperty("basic.auth.credentials.source")).isEqualTo("USER_INFO");
            assertThat(client.getProperty("basic.auth.user.info")).startsWith("irg-submitter:");
            apiKey = Files.readString(secure.resolve("api-key")).strip();
            assertThat(apiKey).isEqualTo(stack.secure().apiKey()).startsWith("irg_");

            // the submitter submits with ./irg submit and the written client.properties only
            InProcessCli.Result submitted = InProcessCli.run("submit", "--config",
                    secure.resolve("client.properties").toString(), "a red circle above a blue square");
            assertThat(submitted.exitCode()).as(submitted.err()).isZero();
            id = submitted.out().strip();

            String url = stack.topology().url() + "/api/trajectories/" + id;
            assertThat(get(url, null).statusCode()).isEqualTo(401);
            awaitCompleted(url, apiKey, Duration.ofSeconds(60));

            // the think workers' principal may not write the final images
            Map<String, Object> think = new HashMap<>(stack.secure().kafka(KafkaAcls.Role.THINK,
                    stack.bootstrapServers()).toMap());
            think.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
            think.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
            think.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 20_000);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(think, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("irg.final-images", new byte[] {1}))
                        .get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicAuthorizationException.class);
            }
            // the operator reads every topic with the written operator.properties
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                    secure.resolve("operator.properties")))).isEqualTo("rw-------");
            InProcessCli.Result listed = InProcessCli.run("dead-letters", "--config",
                    secure.resolve("operator.properties").toString());
            assertThat(listed.exitCode()).as(listed.err()).isZero();
            assertThat(listed.out()).contains("0 dead letters");
            // a role's registry user only reads: the stack's admin user registered the schemas
            HttpSchemaRegistryClient submitterRegistry = new HttpSchemaRegistryClient(
                    stack.secure().registry(KafkaAcls.Role.SUBMITTER, stack.registryUrl()));
            assertThat(submitterRegistry.getSubjects()).contains("irg.prompts-value");
            assertThatThrownBy(() -> submitterRegistry.register("irg.prompts-value",
                    org.apache.avro.SchemaBuilder.record("Junk").fields().requiredInt("x").endRecord()))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(403));

            trustStore = Files.readAllBytes(secure.resolve("truststore.p12"));
            clientProperties = Files.readString(secure.resolve("client.properties"));
        }

        // a second start on the same data dir: the same certificates, passwords and key
        try (EmbeddedStack stack = stack().build().start()) {
            assertThat(Files.readAllBytes(secure.resolve("truststore.p12"))).isEqualTo(trustStore);
            assertThat(stack.secure().apiKey()).isEqualTo(apiKey);
            assertThat(Files.readString(secure.resolve("api-key")).strip()).isEqualTo(apiKey);
            String jaas = "sasl.jaas.config=";
            assertThat(line(Files.readString(secure.resolve("client.properties")), jaas))
                    .isEqualTo(line(clientProperties, jaas));
            // the same submitter password logs in again, the same key reads, and the topology, as its user, answers
            InProcessCli.Result again = InProcessCli.run("submit", "--config",
                    secure.resolve("client.properties").toString(), "two green squares");
            assertThat(again.exitCode()).as(again.err()).isZero();
            String url = stack.topology().url() + "/api/trajectories/" + id;
            assertThat(get(url, null).statusCode()).isEqualTo(401);
            awaitCompleted(url, apiKey, Duration.ofSeconds(30));
            awaitCompleted(stack.topology().url() + "/api/trajectories/" + again.out().strip(), apiKey,
                    Duration.ofSeconds(30));
        }
    }

    /** Waits until the trajectory at {@code url} is COMPLETED; fails with the last answer otherwise. */
    private void awaitCompleted(String url, String apiKey, Duration atMost) {
        java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(250)).until(() -> {
                HttpResponse<String> r = get(url, apiKey);
                last.set(r.statusCode() + " " + r.body());
                return r.statusCode() == 200
                        && "COMPLETED".equals(AvroJson.MAPPER.readTree(r.body()).path("status").asText());
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("not COMPLETED within " + atMost + ": last answer " + last.get(), e);
        }
    }

    private static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow();
    }

    private HttpResponse<String> get(String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
