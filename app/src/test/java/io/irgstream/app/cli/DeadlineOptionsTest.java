package io.irgstream.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bad --deadline, --ttl-seconds or --idempotency-key ends generate and submit with one line and exit code 2, before
 * anything starts.
 */
class DeadlineOptionsTest {
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
    void shouldRefuseADeadlineInThePastBeforeStartingAnything() {
        assertThat(run("generate", "a red circle", "--deadline", "2020-01-01T00:00:00Z", "--out",
                dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("the deadline 2020-01-01T00:00:00Z is not in the future");
        assertThat(dir.resolve("out")).doesNotExist();
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void shouldRefuseBothADeadlineAndATtl() {
        assertThat(run("generate", "a red circle", "--deadline", Instant.now().plusSeconds(60).toString(),
                "--ttl-seconds", "60")).isEqualTo(2);
        assertThat(err.toString()).contains("give --deadline or --ttl-seconds, not both");
    }

    @Test
    void shouldRefuseATtlBelowOneSecondOrOverThirtyDays() {
        assertThat(run("generate", "a red circle", "--ttl-seconds", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--ttl-seconds must be between 1 and 2592000 (30 days), got 0");
        assertThat(run("generate", "a red circle", "--ttl-seconds", "2592001")).isEqualTo(2);
        assertThat(err.toString()).contains("got 2592001");
    }

    @Test
    void shouldRefuseAnIdempotencyKeyThatIsTooLongHasControlCharactersOrNamesSeveralPrompts() {
        String[] cluster = {"--bootstrap-servers", "127.0.0.1:1", "--schema-registry", "http://127.0.0.1:1"};
        assertThat(run(concat(new String[] {"submit", "a red circle", "--idempotency-key", "k".repeat(256)}, cluster)))
                .isEqualTo(2);
        assertThat(err.toString()).contains("the idempotency key has 256 characters; the limit is 255");
        assertThat(run(concat(new String[] {"submit", "a red circle", "--idempotency-key", "a\tb"}, cluster)))
                .isEqualTo(2);
        assertThat(err.toString()).contains("the idempotency key contains a control character");
        assertThat(run(concat(new String[] {"submit", "one", "two", "--idempotency-key", "k"}, cluster))).isEqualTo(2);
        assertThat(err.toString()).contains("--idempotency-key names one submission: give one PROMPT, got 2");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void shouldRefuseAnUnreadableDeadlineInSubmit() {
        assertThat(run("submit", "a red circle", "--deadline", "tomorrow", "--bootstrap-servers", "127.0.0.1:1",
                "--schema-registry", "http://127.0.0.1:1")).isEqualTo(2);
        assertThat(err.toString()).contains("--deadline must be an ISO-8601 UTC timestamp").contains("'tomorrow'");
    }
}
