package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.irgstream.events.PromptSubmitted;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class HttpSchemaRegistryClientTest {

    @Test
    void shouldNameUrlWhenRegistryIsUnreachable() throws Exception {
        String url = "http://127.0.0.1:" + freePort();
        SchemaRegistryClient client = new HttpSchemaRegistryClient(url);

        assertThatThrownBy(() -> client.register("irg.prompts-value", PromptSubmitted.getClassSchema()))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(SchemaRegistryException.NO_RESPONSE);
                    assertThat(e.isRetriable()).isTrue();
                })
                .hasMessageStartingWith("schema registry unreachable while registering schema "
                        + "io.irgstream.events.PromptSubmitted under subject irg.prompts-value: " + url + " (");
    }

    @Test
    void shouldUseFirstReachableUrlWhenSeveralAreGiven() throws Exception {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(
                    "http://127.0.0.1:" + freePort() + " , " + registry.url() + "/");

            int id = client.register("irg.prompts-value", PromptSubmitted.getClassSchema());

            assertThat(id).isEqualTo(1);
            assertThat(client.getSubjects()).containsExactly("irg.prompts-value");
        }
    }

    @Test
    void shouldSendBasicAuthWhenUserInfoIsConfigured() throws Exception {
        List<String> authorizations = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = "[\"s-value\"]".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            new HttpSchemaRegistryClient(Map.of(
                    IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url,
                    IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO",
                    IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, "irg:s3cret")).getSubjects();
            List<String> fromUrl = new HttpSchemaRegistryClient(
                    "http://reader:p%40ss@127.0.0.1:" + server.getAddress().getPort()).getSubjects();
            new HttpSchemaRegistryClient(url).getSubjects();

            assertThat(fromUrl).containsExactly("s-value");
            assertThat(authorizations).containsExactly(
                    "Basic " + base64("irg:s3cret"), "Basic " + base64("reader:p@ss"), null);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void shouldRejectConfigWhenUserInfoSourceHasNoUserInfo() {
        assertThatThrownBy(() -> new HttpSchemaRegistryClient(Map.of(
                IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://localhost:8081",
                IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, "USER_INFO")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic.auth.user.info must be user:password");
        assertThatThrownBy(() -> new HttpSchemaRegistryClient("localhost:8081"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> new HttpSchemaRegistryClient(Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
