package io.irgstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.client.Priority;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --priority} of submit and generate: an unknown class is refused before anything starts, naming the valid ones. */
class PriorityOptionTest {
    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void shouldRefuseAnUnknownPriorityNamingTheValidOnes() {
        assertThat(run("submit", "a red circle", "--priority", "urgent", "--bootstrap-servers", "127.0.0.1:1",
                "--schema-registry", "http://127.0.0.1:1")).isEqualTo(2);
        assertThat(err.toString()).contains(
                "--priority: unknown priority 'urgent': expected one of interactive, normal, batch");
        assertThat(run("generate", "a red circle", "--priority", "high", "--out", dir.resolve("out").toString(),
                "--data-dir", dir.resolve("data").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--priority: unknown priority 'high'");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldCarryThePriorityInTheContext() {
        try (TrajectoryClient client = new TrajectoryClient("127.0.0.1:1",
                new HttpSchemaRegistryClient("http://127.0.0.1:1"), "irg.", "cli")) {
            PromptSubmitted e = client.event(new Submission("a red circle", 1L, 1, null, null, "shop", null, null,
                    CliPriority.parse("BATCH")));
            assertThat(e.getContext().getPriority()).isEqualTo("batch");
            assertThat(client.event(Submission.of("a red circle")).getContext().getPriority()).isEqualTo("normal");
            assertThat(CliPriority.parse(null)).isEqualTo(Priority.NORMAL);
        }
    }
}
