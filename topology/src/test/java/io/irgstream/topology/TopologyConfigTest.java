package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class TopologyConfigTest {

    private static Map<String, Object> required() {
        Map<String, Object> m = new HashMap<>();
        m.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092");
        m.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://registry:8081");
        return m;
    }

    @Test
    void shouldUseDocumentedDefaultsWhenOnlyRequiredSettingsAreGiven() {
        TopologyConfig c = new TopologyConfig(required());

        assertThat(c.applicationId()).isEqualTo("irg-topology");
        assertThat(c.topics().prompts().name()).isEqualTo("irg.prompts");
        assertThat(c.httpHost()).isEqualTo("127.0.0.1");
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.stallTimeout("refine")).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.blobStorePath()).isNull();
        assertThat(c.applicationServer(8080)).isEqualTo("127.0.0.1:8080");
    }

    @Test
    void shouldRunExactlyOnceAndPassStreamsSettingsThroughWhenBuildingStreamsProperties() {
        Map<String, Object> m = required();
        m.put("streams.num.stream.threads", "3");
        Properties p = new TopologyConfig(m).streamsProperties("host-a:9000");

        assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(p.get(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEqualTo("host-a:9000");
        assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo("3");
        assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("irg-topology");
    }

    @Test
    void shouldNameTheSettingWhenOneIsMissingOrInvalid() {
        assertThatThrownBy(() -> new TopologyConfig(Map.of(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("schema.registry.url");
        Map<String, Object> badPort = required();
        badPort.put(TopologyConfig.HTTP_PORT_CONFIG, 70_000);
        assertThatThrownBy(() -> new TopologyConfig(badPort)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.port");
        Map<String, Object> badPrefix = required();
        badPrefix.put(TopologyConfig.TOPIC_PREFIX_CONFIG, "a b");
        assertThatThrownBy(() -> new TopologyConfig(badPrefix)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("topic.prefix");
        Map<String, Object> alo = required();
        alo.put("streams.processing.guarantee", "at_least_once");
        assertThatThrownBy(() -> new TopologyConfig(alo)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("always runs exactly_once_v2");
        Map<String, Object> server = required();
        server.put(TopologyConfig.APPLICATION_SERVER_CONFIG, "no-port");
        assertThatThrownBy(() -> new TopologyConfig(server)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("must be host:port");
    }

    @Test
    void shouldAnswerTheBoundHostTheApplicationServerAndTheAddedHostsWhenCheckingHostHeaders() {
        Map<String, Object> m = required();
        m.put(TopologyConfig.HTTP_HOST_CONFIG, "irg-dev.internal");
        m.put(TopologyConfig.APPLICATION_SERVER_CONFIG, "topology-0.irg:8080");
        m.put(TopologyConfig.HTTP_ALLOWED_HOSTS_CONFIG, "irg.example.com");
        var origins = new TopologyConfig(m).requestOrigins();

        assertThat(origins.hostAllowed("irg-dev.internal:8080")).isTrue();
        assertThat(origins.hostAllowed("topology-0.irg:8080")).isTrue();
        assertThat(origins.hostAllowed("irg.example.com")).isTrue();
        assertThat(origins.hostAllowed("localhost:8080")).isTrue();
        assertThat(origins.hostAllowed("attacker.example")).isFalse();
        assertThat(origins.corsEnabled()).isFalse();

        Map<String, Object> badOrigin = required();
        badOrigin.put(TopologyConfig.HTTP_CORS_ALLOWED_ORIGINS_CONFIG, "studio.example.com");
        assertThatThrownBy(() -> new TopologyConfig(badOrigin)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.cors.allowed.origins").hasMessageContaining("http(s)://host[:port]");
    }

    @Test
    void shouldRejectAnUnknownStepWhenAskedForItsStallTimeout() {
        assertThatThrownBy(() -> new TopologyConfig(required()).stallTimeout("paint"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown step 'paint': expected one of think, draw, reflect, refine");
    }
}
