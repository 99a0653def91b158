package io.irgstream.app.cli;

import io.irgstream.app.testing.InProcessCli;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.WorkerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One {@code client.properties} reaches every Kafka client of every process: each CLI verb that talks to Kafka reads
 * it with {@code --config} (and {@code --set}), and the worker's and the topology's clients merge the same
 * settings. None of these cases reaches a cluster.
 */
class KafkaClientSettingsOptionsTest {
    static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"submitter\" "
            + "password=\"pw\";";

    @TempDir
    Path dir;

    Path clientProperties() throws Exception {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", "kafka-1:9093");
        p.setProperty("security.protocol", "SASL_SSL");
        p.setProperty("sasl.mechanism", "SCRAM-SHA-512");
        p.setProperty("sasl.jaas.config", JAAS);
        p.setProperty("ssl.truststore.location", "/etc/irg/truststore.p12");
        Path f = dir.resolve("client.properties");
        try (var w = Files.newBufferedWriter(f)) {
            p.store(w, null);
        }
        return f;
    }

    @Test
    void everyKafkaVerbTakesTheClientSettingsFromConfigAndSet() throws Exception {
        String config = clientProperties().toString();
        List<String[]> verbs = List.of(
                new String[]{"submit", "a red circle"}, new String[]{"generate", "a red circle"},
                new String[]{"replay", "id"}, new String[]{"audit", "id", "--html", "x.html"},
                new String[]{"dead-letters"}, new String[]{"retry-dead-letters"},
                new String[]{"redrive", "--step", "refine", "--from", "2026-11-20"},
                new String[]{"export", "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-21T00:00:00Z", "--out", "o"});
        for (String[] verb : verbs) {
            List<String> args = new java.util.ArrayList<>(List.of(verb));
            args.addAll(List.of("--config", config, "--set", "ssl.truststore.password=trust-pw",
                    "--schema-registry", "http://registry:8081"));
            CommandLine.ParseResult parsed = IrgCli.commandLine().parseArgs(args.toArray(String[]::new));
            ClusterOptions cluster = find(parsed.subcommand().commandSpec());
            assertThat(cluster).as(verb[0]).isNotNull();
            KafkaClientSettings k = cluster.kafka();
            assertThat(k.bootstrapServers()).as(verb[0]).isEqualTo("kafka-1:9093");
            assertThat(k.connection()).as(verb[0]).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.jaas.config", JAAS).containsEntry("ssl.truststore.password", "trust-pw");
            assertThat(cluster.external()).as(verb[0]).isTrue();
        }
    }

    @Test
    void bootstrapServersOptionWinsOverTheFile() throws Exception {
        CommandLine.ParseResult parsed = IrgCli.commandLine().parseArgs("dead-letters", "--config",
                clientProperties().toString(), "--bootstrap-servers", "kafka-2:9093");
        assertThat(find(parsed.subcommand().commandSpec()).kafka().bootstrapServers()).isEqualTo("kafka-2:9093");
    }

    @Test
    void aSetThatIsNotAKafkaClientSettingIsRefusedByName() {
        InProcessCli.Result r = InProcessCli.run("submit", "--set", "group.id=x", "--bootstrap-servers", "127.0.0.1:1",
                "--schema-registry", "http://127.0.0.1:1", "a red circle");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--set group.id: not a Kafka client setting");
    }

    @Test
    void theWorkersAndTheTopologysClientsAllConnectWithTheSameSettings() {
        Map<String, Object> shared = Map.of("bootstrap.servers", "kafka-1:9093", "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512", "sasl.jaas.config", JAAS, "schema.registry.url", "http://r:8081");
        Map<String, Object> w = new HashMap<>(shared);
        w.put("step", "think");
        WorkerConfig worker = new WorkerConfig(w);
        for (Map<String, Object> client : List.of(worker.consumerConfig(), worker.producerConfig(),
                worker.adminConfig(), worker.kafkaClientSettings().toMap())) {
            assertThat(client).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", JAAS)
                    .containsEntry("bootstrap.servers", "kafka-1:9093");
        }
        Map<String, Object> overridden = new HashMap<>(w);
        overridden.put("producer.sasl.jaas.config", "other");
        assertThat(new WorkerConfig(overridden).producerConfig()).containsEntry("sasl.jaas.config", "other");

        TopologyConfig topology = new TopologyConfig(shared);
        assertThat(topology.streamsProperties(null)).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", JAAS);
        assertThat(topology.kafkaClientSettings().connection()).containsEntry("sasl.mechanism", "SCRAM-SHA-512");
    }

    private static ClusterOptions find(CommandSpec spec) {
        if (spec.userObject() instanceof ClusterOptions c) {
            return c;
        }
        for (CommandSpec mixin : spec.mixins().values()) {
            ClusterOptions c = find(mixin);
            if (c != null) {
                return c;
            }
        }
        return null;
    }
}
