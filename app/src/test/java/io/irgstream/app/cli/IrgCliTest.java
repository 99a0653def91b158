package io.irgstream.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Errors a user can make end with one clear line and a non-zero exit, before anything is started or written. */
class IrgCliTest {
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
    void shouldRefuseAnEmptyPromptWithOneLine() {
        assertThat(run("generate", "   ", "--out", dir.resolve("out").toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("irg generate: the prompt is empty" + System.lineSeparator());
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void shouldRefuseAnOversizePrompt() {
        assertThat(run("generate", "a".repeat(1001))).isEqualTo(2);
        assertThat(err.toString()).contains("the prompt has 1001 characters; the limit is 1000");
    }

    @Test
    void shouldRefuseAnUnreadablePromptsFile() {
        assertThat(run("generate", "--prompts-file", dir.resolve("missing.txt").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("cannot read prompts file").contains("missing.txt");
    }

    @Test
    void shouldNameTheLineOfABadPromptInAPromptsFile() throws Exception {
        Path f = dir.resolve("prompts.txt");
        Files.writeString(f, "a photo of a cross\n# a comment\n" + "x".repeat(1200) + "\n");
        assertThat(run("generate", "--prompts-file", f.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("line 3").contains("limit is 1000");
    }

    @Test
    void shouldRefuseBothAPromptAndAPromptsFile() throws Exception {
        Path f = dir.resolve("p.txt");
        Files.writeString(f, "a photo of a cross\n");
        assertThat(run("generate", "a photo of a cross", "--prompts-file", f.toString())).isEqualTo(2);
        assertThat(err.toString()).contains("either PROMPT... or --prompts-file");
    }

    @Test
    void shouldNameWhichOfSeveralPromptsIsBad() {
        assertThat(run("generate", "a red circle left of a blue square", "  ", "--out", dir.resolve("out").toString()))
                .isEqualTo(2);
        assertThat(err.toString()).isEqualTo("irg generate: prompt 2: the prompt is empty" + System.lineSeparator());
        assertThat(dir.resolve("out")).doesNotExist();
    }

    @Test
    void shouldNameTheMissingModelFile() {
        assertThat(run("generate", "a photo of a cross", "--models", dir.toString(), "--data-dir", dir.resolve("d").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("model file").contains("think.pt is missing");
        assertThat(dir.resolve("d")).doesNotExist();
    }

    @Test
    void shouldRefuseBadRounds() {
        assertThat(run("generate", "a photo of a cross", "--rounds", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("rounds must be between 1 and 5");
    }

    @Test
    void shouldNameAWrongWorkerSetting() {
        assertThat(run("worker", "--step", "draw", "--bootstrap-servers", "127.0.0.1:1", "--schema-registry",
                "http://127.0.0.1:1", "--set", "max.batch.size=0")).isNotZero();
        assertThat(err.toString()).contains("max.batch.size");
    }

    @Test
    void shouldRefuseAnUnknownStep() {
        assertThat(run("worker", "--step", "paint", "--bootstrap-servers", "127.0.0.1:1", "--schema-registry",
                "http://127.0.0.1:1")).isNotZero();
        assertThat(err.toString()).contains("step").contains("paint");
    }

    @Test
    void shouldRequireTheClusterForSubmit() {
        assertThat(run("submit", "a photo of a cross")).isEqualTo(2);
        assertThat(err.toString()).contains("--bootstrap-servers and --schema-registry are both required");
    }

    @Test
    void shouldRefuseUnknownTrainAndEvalOptions() {
        assertThat(run("train", "--bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown argument '--bogus'");
        assertThat(run("eval", "--per-categroy", "3")).isEqualTo(2);
        assertThat(err.toString()).contains("unknown argument '--per-categroy'");
    }
}
