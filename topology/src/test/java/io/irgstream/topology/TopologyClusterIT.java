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
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two instances of the topology share the work (one partition each): every trajectory can be read, listed and its
 * images fetched through either instance, which forwards to the owner.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TopologyClusterIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldAnswerForEveryTrajectoryOnEitherInstanceWhenEachOwnsOnePartition() throws Exception {
        Path dir = Files.createTempDirectory("irg-topology-cluster-");
        String prefix = KafkaFixture.uniqueTopicPrefix("topology-cluster");
        Topics topics = Topics.withPrefix(prefix);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics.all()) {
            specs.add(t.compacted() ? TopicSpec.of(t.name(), 2).compacted() : TopicSpec.of(t.name(), 2));
        }
        KafkaFixture.createTopics(specs.toArray(TopicSpec[]::new));
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0).build().start();
                TopologyService a = instance(registry, prefix, dir.resolve("a")).start();
                TopologyService b = instance(registry, prefix, dir.resolve("b")).start();
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                        new StringSerializer(), new ByteArraySerializer())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.state() == KafkaStreams.State.RUNNING
                    && b.state() == KafkaStreams.State.RUNNING);
            IrgAvroSerializer<SpecificRecord> serializer =
                    new IrgAvroSerializer<>(new HttpSchemaRegistryClient(registry.url()));
            List<Events> trajectories = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Events e = new Events("cluster-" + i, 1);
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
                        HttpResponse<String> r = get(via, "/api/trajectories/" + e.id);
                        assertThat(r.statusCode()).as("%s via %s: %s", e.id, via.url(), r.body()).isEqualTo(200);
                        assertThat(JSON.readTree(r.body()).path("status").asText()).isEqualTo("COMPLETED");
                    }
                    JsonNode list = JSON.readTree(get(via, "/api/trajectories?limit=100").body());
                    assertThat(list.path("trajectories")).extracting(n -> n.path("id").asText())
                            .containsExactlyInAnyOrderElementsOf(trajectories.stream().map(e -> e.id).toList());
                }
            });
            JsonNode localA = JSON.readTree(get(a, "/api/trajectories?limit=100&local=true").body());
            JsonNode localB = JSON.readTree(get(b, "/api/trajectories?limit=100&local=true").body());
            assertThat(localA.path("count").asInt()).as("each instance owns a share").isBetween(1, 5);
            assertThat(localA.path("count").asInt() + localB.path("count").asInt()).isEqualTo(6);

            for (Events e : trajectories) {
                String sha = e.image(0, "draft").getSha256();
                for (TopologyService via : List.of(a, b)) {
                    HttpResponse<byte[]> image = HTTP.send(HttpRequest.newBuilder(
                            URI.create(via.url() + "/api/images/" + sha)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertThat(image.statusCode()).isEqualTo(200);
                    assertThat(ImageStore.sha256(image.body())).isEqualTo(sha);
                }
            }
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static TopologyService instance(EmbeddedSchemaRegistry registry, String prefix, Path dir) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(TopologyConfig.APPLICATION_ID_CONFIG, prefix + "topology");
        settings.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers());
        settings.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
        settings.put(TopologyConfig.TOPIC_PREFIX_CONFIG, prefix);
        settings.put(TopologyConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(TopologyConfig.HTTP_PORT_CONFIG, 0);
        settings.put("streams.replication.factor", 1);
        return new TopologyService(settings);
    }

    private static HttpResponse<String> get(TopologyService via, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(via.url() + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
