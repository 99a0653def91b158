package io.irgstream.app.cli;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryException;
import io.irgstream.schemas.testing.TestCertificates;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The schema registry's credentials and trust store reach every CLI verb's registry client through the same
 * {@code --config client.properties} (and {@code --set}) as the Kafka settings, and the worker's through its
 * settings: checked against an embedded registry serving HTTPS with basic auth.
 */
class RegistrySettingsOptionsTest {
    @TempDir
    Path dir;

    @Test
    void everyVerbAndTheWorkerReachASecuredRegistryWithTheConfiguredCredentialsAndTrustStore() throws Exception {
        TestCertificates certs = TestCertificates.create(dir);
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                .tls(certs.keyStore(), certs.password()).user("submitter", "sub-secret", false)
                .user("operator", "op-secret", true).build().start()) {
            String url = "https://127.0.0.1:" + registry.port();
            Properties p = new Properties();
            p.setProperty("bootstrap.servers", "kafka-1:9093");
            p.setProperty("basic.auth.credentials.source", "USER_INFO");
            p.setProperty("basic.auth.user.info", "operator:op-secret");
            p.setProperty("schema.registry.ssl.truststore.location", certs.trustStore().toString());
            p.setProperty("schema.registry.ssl.truststore.type", "PKCS12");
            Path config = dir.resolve("client.properties");
            try (var w = Files.newBufferedWriter(config)) {
                p.store(w, null);
            }
            List<String[]> verbs = List.of(
                    new String[]{"submit", "a red circle"}, new String[]{"generate", "a red circle"},
                    new String[]{"replay", "id"}, new String[]{"audit", "id", "--html", "x.html"},
                    new String[]{"dead-letters"}, new String[]{"retry-dead-letters"},
                    new String[]{"redrive", "--step", "refine", "--from", "2026-11-20"},
                    new String[]{"export", "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-21T00:00:00Z", "--out", "o"});
            for (String[] verb : verbs) {
                List<String> args = new java.util.ArrayList<>(List.of(verb));
                args.addAll(List.of("--config", config.toString(), "--set",
                        "schema.registry.ssl.truststore.password=" + certs.password(), "--schema-registry", url));
                ClusterOptions cluster = find(IrgCli.commandLine().parseArgs(args.toArray(String[]::new))
                        .subcommand().commandSpec());
                assertThat(cluster).as(verb[0]).isNotNull();
                assertThat(cluster.registry().register("irg.prompts-value", PromptSubmitted.getClassSchema()))
                        .as(verb[0]).isEqualTo(1);
                assertThat(cluster.kafka().connection()).as(verb[0]).doesNotContainKey("basic.auth.user.info");
            }

            ClusterOptions bare = find(IrgCli.commandLine().parseArgs("dead-letters", "--bootstrap-servers",
                    "kafka-1:9093", "--schema-registry", url, "--set", "schema.registry.ssl.truststore.location="
                            + certs.trustStore(), "--set", "schema.registry.ssl.truststore.password=" + certs.password(),
                    "--set", "schema.registry.ssl.truststore.type=PKCS12").subcommand().commandSpec());
            assertThatThrownBy(() -> bare.registry().getSubjects()).isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("HTTP 401");

            Map<String, Object> w = new HashMap<>();
            p.forEach((k, v) -> w.put(k.toString(), v));
            w.put("schema.registry.ssl.truststore.password", certs.password());
            w.put("schema.registry.url", url);
            w.put("step", "think");
            w.put("basic.auth.user.info", "submitter:sub-secret");
            WorkerConfig worker = new WorkerConfig(w);
            assertThat(new HttpSchemaRegistryClient(worker.originals()).getSubjects())
                    .containsExactly("irg.prompts-value");
        }
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
