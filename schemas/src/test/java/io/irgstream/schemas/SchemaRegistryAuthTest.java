package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded registry with basic auth (admin users write, others read, nobody else gets in) and TLS, and
 * {@link HttpSchemaRegistryClient} with {@code basic.auth.*} and {@code schema.registry.ssl.truststore.*}.
 */
class SchemaRegistryAuthTest {

    private static final String SUBJECT = "irg.prompts-value";

    @TempDir
    Path dir;

    private static EmbeddedSchemaRegistry securedRegistry() {
        return EmbeddedSchemaRegistry.builder().port(0)
                .user("operator", "op-secret", true)
                .user("reader", "read-secret", false)
                .build().start();
    }

    private static HttpSchemaRegistryClient client(String url, String userInfo) {
        Map<String, Object> c = new HashMap<>();
        c.put(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url);
        if (userInfo != null) {
            c.put(IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO");
            c.put(IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, userInfo);
        }
        return new HttpSchemaRegistryClient(c);
    }

    @Test
    void shouldLetOnlyTheAdminUserWriteAndKnownUsersReadWhenBasicAuthIsOn() throws Exception {
        try (EmbeddedSchemaRegistry registry = securedRegistry()) {
            HttpSchemaRegistryClient operator = client(registry.url(), "operator:op-secret");
            HttpSchemaRegistryClient reader = client(registry.url(), "reader:read-secret");

            int id = operator.register(SUBJECT, PromptSubmitted.getClassSchema());
            operator.setCompatibility(SUBJECT, CompatibilityLevel.FULL);

            assertThat(reader.getSubjects()).containsExactly(SUBJECT);
            assertThat(reader.getSchemaById(id)).isEqualTo(PromptSubmitted.getClassSchema());
            assertThat(reader.lookup(SUBJECT, PromptSubmitted.getClassSchema())).get()
                    .extracting(RegisteredSchema::id).isEqualTo(id);
            assertThat(reader.getCompatibility(SUBJECT)).isEqualTo(CompatibilityLevel.FULL);
            assertThatThrownBy(() -> client(registry.url(), "reader:read-secret")
                    .register("other-value", PromptSubmitted.getClassSchema()))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(403))
                    .hasMessageContaining("HTTP 403").hasMessageContaining("admin");
            assertThatThrownBy(() -> reader.setCompatibility(SUBJECT, CompatibilityLevel.NONE))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(403));

            HttpClient http = HttpClient.newHttpClient();
            String readerAuth = "Basic " + Base64.getEncoder().encodeToString("reader:read-secret".getBytes());
            HttpResponse<String> delete = http.send(HttpRequest.newBuilder(
                    URI.create(registry.url() + "/subjects/" + SUBJECT + "/versions/1")).DELETE()
                    .header("Authorization", readerAuth).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(delete.statusCode()).isEqualTo(403);
            assertThat(delete.body()).contains("\"error_code\":40301");
            assertThat(reader.getVersions(SUBJECT)).containsExactly(1);
        }
    }

    @Test
    void shouldAnswer401WithoutCredentialsOrWithAWrongPasswordOnEveryRoute() throws Exception {
        try (EmbeddedSchemaRegistry registry = securedRegistry()) {
            client(registry.url(), "operator:op-secret").register(SUBJECT, PromptSubmitted.getClassSchema());
            HttpClient http = HttpClient.newHttpClient();
            for (String path : new String[] {"/subjects", "/schemas/ids/1", "/config", "/subjects/" + SUBJECT
                    + "/versions/latest", "/"}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(registry.url() + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path).isEqualTo(401);
                assertThat(r.headers().firstValue("WWW-Authenticate")).as(path).contains("Basic realm=\"schema-registry\"");
                assertThat(r.body()).as(path).contains("\"error_code\":401");
            }
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/config"))
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"NONE\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(401);

            assertThatThrownBy(() -> client(registry.url(), "operator:wrong").getSubjects())
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.status()).isEqualTo(401))
                    .hasMessageContaining("basic.auth.user.info");
            assertThatThrownBy(() -> client(registry.url(), "nobody:op-secret").getSubjects())
                    .isInstanceOf(SchemaRegistryException.class).hasMessageContaining("HTTP 401");
            assertThatThrownBy(() -> client(registry.url(), null).getSubjects())
                    .isInstanceOf(SchemaRegistryException.class).hasMessageContaining("HTTP 401");
            assertThat(client(registry.url(), "operator:op-secret").getCompatibility(null))
                    .isEqualTo(CompatibilityLevel.BACKWARD);
        }
    }

    @Test
    void shouldTalkHttpsWhenTheClientTrustsTheRegistrysCertificate() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                .tls(certs.keyStore(), certs.password()).user("operator", "op-secret", true).build().start()) {
            String url = "https://127.0.0.1:" + registry.port();
            assertThat(registry.url()).startsWith("https://");
            Map<String, Object> c = new HashMap<>();
            c.put(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url);
            c.put(IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO");
            c.put(IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "operator:op-secret");
            c.put(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, certs.trustStore().toString());
            c.put(IrgSerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG, certs.password());
            c.put(IrgSerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG, "PKCS12");

            assertThat(new HttpSchemaRegistryClient(c).register(SUBJECT, PromptSubmitted.getClassSchema()))
                    .isEqualTo(1);

            // without the trust store the JVM's default trust does not know the self-signed certificate
            Map<String, Object> untrusting = new HashMap<>(c);
            untrusting.remove(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG);
            assertThatThrownBy(() -> new HttpSchemaRegistryClient(untrusting).getSubjects())
                    .isInstanceOf(SchemaRegistryException.class).hasMessageContaining("unreachable")
                    .hasMessageContaining("schema.registry.ssl.truststore.location");
            Map<String, Object> wrongPassword = new HashMap<>(c);
            wrongPassword.put(IrgSerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG, "nope");
            assertThatThrownBy(() -> new HttpSchemaRegistryClient(wrongPassword))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG);
        }
    }

    @Test
    void shouldLetAReadOnlyUserSerializeWithASchemaTheOperatorRegistered() throws Exception {
        try (EmbeddedSchemaRegistry registry = securedRegistry()) {
            PromptSubmitted event = TestEvents.prompt();
            IrgAvroSerializer<PromptSubmitted> asReader = new IrgAvroSerializer<>(
                    client(registry.url(), "reader:read-secret"));
            assertThatThrownBy(() -> asReader.serialize("irg.prompts", event))
                    .isInstanceOf(org.apache.kafka.common.errors.SerializationException.class)
                    .hasMessageContaining("is not registered under subject irg.prompts-value")
                    .hasMessageContaining("register it with a writing user first");

            int id = client(registry.url(), "operator:op-secret").register(SUBJECT, PromptSubmitted.getClassSchema());
            byte[] bytes = new IrgAvroSerializer<PromptSubmitted>(client(registry.url(), "reader:read-secret"))
                    .serialize("irg.prompts", event);
            assertThat(java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        }
    }

    @Test
    void shouldStayOpenWithoutUsersAsBefore() throws Exception {
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0).build().start()) {
            assertThat(client(registry.url(), null).register(SUBJECT, PromptSubmitted.getClassSchema())).isEqualTo(1);
            assertThat(Files.exists(dir)).isTrue();
        }
    }
}
