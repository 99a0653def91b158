package io.irgstream.app.cli;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --callback-url} of submit and generate: a URL that is not http(s) ends the command with one line and exit
 * code 2 before anything starts, generate refuses it without a cluster, and the URL travels in the event's context.
 */
class CallbackOptionsTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void shouldRefuseACallbackUrlThatIsNotHttpBeforeStartingAnything() {
        assertThat(run("submit", "a red circle", "--callback-url", "ftp://hooks.example.com/x", "--bootstrap-servers",
                "127.0.0.1:1", "--schema-registry", "http://127.0.0.1:1")).isEqualTo(2);
        assertThat(err.toString()).contains("--callback-url: the callback URL must be http or https, got 'ftp'");
        assertThat(run("submit", "a red circle", "--callback-url", "https://u:p@hooks.example.com/x",
                "--bootstrap-servers", "127.0.0.1:1", "--schema-registry", "http://127.0.0.1:1")).isEqualTo(2);
        assertThat(err.toString()).contains("must not carry user info");
        assertThat(run("generate", "a red circle", "--callback-url", "hooks.example.com", "--out",
                dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("got no scheme");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldRefuseACallbackInTheEmbeddedGenerateWhichRunsNoTopology() {
        assertThat(run("generate", "a red circle", "--callback-url", "https://hooks.example.com/x", "--out",
                dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("--callback-url needs a cluster whose topology calls it");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldCarryTheCallbackUrlInTheContext() {
        try (TrajectoryClient client = new TrajectoryClient("127.0.0.1:1",
                new HttpSchemaRegistryClient("http://127.0.0.1:1"), "irg.", "cli")) {
            PromptSubmitted e = client.event(new Submission("a red circle", 1L, 1, null, null, "shop", null,
                    "https://hooks.example.com/irg?k=1"));
            assertThat(e.getContext().getCallbackUrl()).isEqualTo("https://hooks.example.com/irg?k=1");
            assertThat(e.getContext().getTenant()).isEqualTo("shop");
        }
    }
}
