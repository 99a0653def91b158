package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ThoughtProduced;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSchemaRegistryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void shouldNumberIdsFromOneAndReuseThemWhenSameSchemaIsRegisteredAgain() {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            SchemaRegistryClient other = new HttpSchemaRegistryClient(registry.url());

            int prompt = client.register("irg.prompts-value", PromptSubmitted.getClassSchema());
            int thought = client.register("irg.thoughts-value", ThoughtProduced.getClassSchema());
            int again = other.register("irg.prompts-value", PromptSubmitted.getClassSchema());
            int elsewhere = other.register("copy.prompts-value", PromptSubmitted.getClassSchema());

            assertThat(List.of(prompt, thought, again, elsewhere)).containsExactly(1, 2, 1, 1);
            assertThat(other.getVersions("irg.prompts-value")).containsExactly(1);
            assertThat(other.getSubjects())
                    .containsExactly("copy.prompts-value", "irg.prompts-value", "irg.thoughts-value");
        }
    }

    @Test
    void shouldKeepIdsVersionsAndLevelsWhenRestartedOnSameStoreFile() {
        Path store = dir.resolve("registry/schemas.json");
        int promptId;
        int deadLetterId;
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0).storeFile(store).build()
                .start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            client.register("warmup-value", ImageRef.getClassSchema());
            promptId = client.register("irg.prompts-value", PromptSubmitted.getClassSchema());
            deadLetterId = client.register("irg.dead-letters-value", DeadLetter.getClassSchema());
            client.setCompatibility("irg.dead-letters-value", CompatibilityLevel.FULL);
        }

        try (EmbeddedSchemaRegistry restarted = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            SchemaRegistryClient fresh = new HttpSchemaRegistryClient(restarted.url());

            assertThat(fresh.getSchemaById(promptId)).isEqualTo(PromptSubmitted.getClassSchema());
            assertThat(fresh.getSchemaById(deadLetterId)).isEqualTo(DeadLetter.getClassSchema());
            assertThat(fresh.register("irg.prompts-value", PromptSubmitted.getClassSchema())).isEqualTo(promptId);
            assertThat(fresh.getLatest("irg.dead-letters-value").id()).isEqualTo(deadLetterId);
            assertThat(fresh.getCompatibility("irg.dead-letters-value")).isEqualTo(CompatibilityLevel.FULL);
            assertThat(fresh.register("irg.thoughts-value", ThoughtProduced.getClassSchema()))
                    .isEqualTo(deadLetterId + 1);
        }
    }

    @Test
    void shouldLeaveOnlyTheStoreFileWhenWritingAtomically() throws Exception {
        Path store = dir.resolve("schemas.json");
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            client.register("a-value", PromptSubmitted.getClassSchema());
            client.register("b-value", ThoughtProduced.getClassSchema());
        }

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("schemas.json");
        }
        JsonNode stored = JSON.readTree(store.toFile());
        assertThat(stored.path("schemas")).hasSize(2);
        assertThat(stored.path("subjects").path("b-value").get(0).asInt()).isEqualTo(2);
    }

    @Test
    void shouldRefuseToStartWithClearMessageWhenStoreFileIsCorrupt() throws Exception {
        Path store = dir.resolve("schemas.json");
        Files.writeString(store, "{\"format\":1,\"schemas\":[{\"id\":1,\"schema\":\"{not avro\"}],\"subjects\":{}}");

        assertThatThrownBy(() -> new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("schema registry store " + store + " is corrupt: schema id 1 does not parse");
    }

    @Test
    void shouldSayPortIsInUseWhenAnotherRegistryHoldsIt() {
        try (EmbeddedSchemaRegistry first = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            int port = first.port();

            assertThatThrownBy(() -> new EmbeddedSchemaRegistry("127.0.0.1", port, null).start())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("schema registry port " + port + " on 127.0.0.1 is already in use");
        }
    }

    @Test
    void shouldAnswerConfluentErrorsWhenRequestsAreInvalid() throws Exception {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            String url = registry.url();
            HttpResponse<String> invalid = send("POST", url + "/subjects/bad-value/versions",
                    "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"NoFields\\\"}\"}");
            HttpResponse<String> unknownId = send("GET", url + "/schemas/ids/77", null);
            HttpResponse<String> unknownSubject = send("GET", url + "/subjects/nope/versions", null);
            HttpResponse<String> noSubjectLevel = send("GET", url + "/config/nope", null);
            HttpResponse<String> badLevel = send("PUT", url + "/config", "{\"compatibility\":\"SIDEWAYS\"}");

            assertThat(invalid.statusCode()).isEqualTo(422);
            assertThat(invalid.headers().firstValue("Content-Type")).hasValue(HttpSchemaRegistryClient.CONTENT_TYPE);
            assertThat(errorCode(invalid)).isEqualTo(42201);
            assertThat(unknownId.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(unknownId.body()).path("message").asText()).isEqualTo("Schema 77 not found");
            assertThat(errorCode(unknownId)).isEqualTo(40403);
            assertThat(errorCode(unknownSubject)).isEqualTo(40401);
            assertThat(errorCode(noSubjectLevel)).isEqualTo(40408);
            assertThat(badLevel.statusCode()).isEqualTo(422);
            assertThat(errorCode(badLevel)).isEqualTo(42203);
        }
    }

    @Test
    void shouldRefusePathLikeSubjectNamesWhenRegisteringOrConfiguring() throws Exception {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            String url = registry.url();
            String schema = schemaBody("{\"type\":\"string\"}");
            for (String subject : List.of("..%2F..%2Fetc%2Fpasswd", "a%5Cb", "..", "a%00b")) {
                HttpResponse<String> registered = send("POST", url + "/subjects/" + subject + "/versions", schema);
                HttpResponse<String> configured = send("PUT", url + "/config/" + subject, "{\"compatibility\":\"NONE\"}");

                assertThat(registered.statusCode()).as(subject).isEqualTo(422);
                assertThat(errorCode(registered)).isEqualTo(SchemaRegistryException.INVALID_SUBJECT);
                assertThat(JSON.readTree(registered.body()).path("message").asText()).contains("is not allowed");
                assertThat(configured.statusCode()).as(subject).isEqualTo(422);
            }
            assertThat(send("POST", url + "/subjects/irg.prompts-value/versions", schema).statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(send("GET", url + "/subjects", null).body())).hasSize(1);
        }
    }

    @Test
    void shouldDeleteAJunkVersionSoALegitimateChangeRegistersWhenTheOperatorDeletesIt() throws Exception {
        Path store = dir.resolve("delete/schemas.json");
        String v1 = schemaBody("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
        String junk = schemaBody("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                + "{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}");
        String legit = schemaBody("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},"
                + "{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}]}");
        int junkId;
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            String url = registry.url() + "/subjects/r-value";
            send("POST", url + "/versions", v1);
            junkId = JSON.readTree(send("POST", url + "/versions", junk).body()).path("id").asInt();
            assertThat(send("POST", url + "/versions", legit).statusCode()).isEqualTo(409);

            HttpResponse<String> deleted = send("DELETE", url + "/versions/2", null);

            assertThat(deleted.statusCode()).isEqualTo(200);
            assertThat(deleted.body()).isEqualTo("2");
            assertThat(send("POST", url + "/versions", legit).statusCode()).isEqualTo(200);
            assertThat(errorCode(send("DELETE", url + "/versions/2", null))).isEqualTo(40402);
            assertThat(errorCode(send("GET", url + "/versions/2", null))).isEqualTo(40402);
        }
        try (EmbeddedSchemaRegistry restarted = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            String url = restarted.url();
            assertThat(JSON.readTree(send("GET", url + "/subjects/r-value/versions", null).body()).toString())
                    .isEqualTo("[1,3]");
            assertThat(JSON.readTree(send("GET", url + "/subjects/r-value/versions/latest", null).body())
                    .path("version").asInt()).isEqualTo(3);
            assertThat(send("GET", url + "/schemas/ids/" + junkId, null).statusCode())
                    .as("records written with a deleted version's id stay readable").isEqualTo(200);
        }
    }

    @Test
    void shouldAnswer409InConfluentFormatWhenSchemaIsIncompatible() throws Exception {
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start()) {
            String v1 = ImageRef.getClassSchema().toString();
            String v2 = v1.substring(0, v1.length() - 2) + ",{\"name\":\"colorSpace\",\"type\":\"string\"}]}";
            send("POST", registry.url() + "/subjects/images-value/versions", schemaBody(v1));

            HttpResponse<String> refused = send("POST", registry.url() + "/subjects/images-value/versions",
                    schemaBody(v2));

            assertThat(refused.statusCode()).isEqualTo(409);
            JsonNode body = JSON.readTree(refused.body());
            assertThat(body.path("error_code").asInt()).isEqualTo(409);
            assertThat(body.path("message").asText()).startsWith("Schema being registered is incompatible with an "
                    + "earlier schema for subject \"images-value\", details: [{errorType:'READER_FIELD_MISSING_"
                    + "DEFAULT_VALUE', description:'The field 'colorSpace' at path '/fields/7' in the new schema has "
                    + "no default value and is missing in the old schema'}");
        }
    }

    @Test
    void shouldServeLookupLatestAndConfigWhenUsedThroughClient() {
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                .defaultCompatibility(CompatibilityLevel.FULL).build().start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            int id = client.register("irg.prompts-value", PromptSubmitted.getClassSchema());

            RegisteredSchema found = new HttpSchemaRegistryClient(registry.url())
                    .lookup("irg.prompts-value", PromptSubmitted.getClassSchema()).orElseThrow();
            RegisteredSchema latest = client.getLatest("irg.prompts-value");

            assertThat(found).isEqualTo(new RegisteredSchema("irg.prompts-value", id, 1,
                    PromptSubmitted.getClassSchema()));
            assertThat(latest).isEqualTo(found);
            assertThat(client.lookup("irg.prompts-value", ThoughtProduced.getClassSchema())).isEmpty();
            assertThat(client.lookup("no-such-subject", ThoughtProduced.getClassSchema())).isEmpty();
            assertThat(client.getCompatibility(null)).isEqualTo(CompatibilityLevel.FULL);
            assertThatThrownBy(() -> client.getSchemaById(99))
                    .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                        assertThat(e.isNotFound()).isTrue();
                        assertThat(e.errorCode()).isEqualTo(40403);
                    })
                    .hasMessageStartingWith("unknown schema id 99 (schema registry " + registry.url());
            assertThatThrownBy(() -> client.getVersions("no-such-subject"))
                    .isInstanceOfSatisfying(SchemaRegistryException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40401));
        }
    }

    @Test
    void shouldGiveDistinctIncreasingIdsWhenRegisteringConcurrently() throws Exception {
        Path store = dir.resolve("concurrent.json");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            Set<Integer> ids = ConcurrentHashMap.newKeySet();
            List<Future<?>> futures = IntStream.range(0, 32).mapToObj(i -> pool.submit(() -> {
                String schema = "{\"type\":\"record\",\"name\":\"R" + (i % 16) + "\",\"fields\":[]}";
                ids.add(client.register("s" + i + "-value", new org.apache.avro.Schema.Parser().parse(schema)));
            })).collect(Collectors.toList());
            for (Future<?> f : futures) {
                f.get();
            }

            assertThat(ids).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 16).boxed()
                    .collect(Collectors.toList()));
            assertThat(client.getSubjects()).hasSize(32);
        } finally {
            pool.shutdownNow();
        }
        try (EmbeddedSchemaRegistry restarted = new EmbeddedSchemaRegistry("127.0.0.1", 0, store).start()) {
            assertThat(new HttpSchemaRegistryClient(restarted.url()).getSubjects()).hasSize(32);
        }
    }

    @Test
    void shouldRefuseToRestartWhenClosed() {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start();
        registry.close();
        registry.close();

        assertThatThrownBy(registry::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was closed");
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry("127.0.0.1", 0, null).url())
                .hasMessage("schema registry is not started: call start() first");
    }

    private static int errorCode(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).path("error_code").asInt();
    }

    private static String schemaBody(String schema) throws Exception {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    private static HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
