package io.irgstream.app;

import io.irgstream.worker.WorkerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The configuration reference documents every setting the code declares, with its default. */
class DocsTest {
    @Test
    void shouldUseOnlyDeclaredWorkerSettingsInDockerCompose() throws Exception {
        String compose = Files.readString(Path.of("..", "docker-compose.yml"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"--set\", \"([a-z.]+)=").matcher(compose);
        int n = 0;
        while (m.find()) {
            n++;
            String name = m.group(1);
            if (!name.startsWith("consumer.") && !name.startsWith("producer.")) {
                assertThat(java.util.stream.Stream.concat(WorkerConfig.configDef().names().stream(),
                        io.irgstream.topology.TopologyConfig.configDef().names().stream()))
                        .as("docker-compose.yml sets %s", name).contains(name);
            }
        }
        assertThat(n).as("settings found in docker-compose.yml").isGreaterThanOrEqualTo(8);
        for (String step : new String[]{"think", "draw", "reflect", "refine"}) {
            assertThat(compose).contains("\"--step\", \"" + step + "\"");
        }
    }

    @Test
    void shouldDocumentEveryWorkerSettingWithItsDefault() throws Exception {
        String docs = Files.readString(Path.of("..", "docs", "configuration.md"));
        for (ConfigDef.ConfigKey key : WorkerConfig.configDef().configKeys().values()) {
            assertThat(docs).as("docs/configuration.md documents %s", key.name).contains("`" + key.name + "`");
            String def = key.defaultValue instanceof java.util.List<?> l
                    ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(key.defaultValue);
            if (key.hasDefault() && key.defaultValue != null && !def.isEmpty()) {
                assertThat(docs).as("docs/configuration.md gives the default of %s", key.name)
                        .contains("`" + key.name + "` | " + key.type.name().toLowerCase() + " | `" + def + "`");
            }
        }
    }
}
