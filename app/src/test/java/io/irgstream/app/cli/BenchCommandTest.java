package io.irgstream.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code ./irg bench --out}: a folder or a file, checked before the bench starts; {@code --simulated-device} and
 * {@code --workers-per-step} parsed and checked before anything starts.
 */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void shouldWriteBenchJsonInsideAFolderExistingOrNot() {
        assertThat(BenchCommand.benchFile(dir)).isEqualTo(dir.resolve("bench.json"));
        Path fresh = dir.resolve("runs").resolve("2026-12-04");
        assertThat(BenchCommand.benchFile(fresh)).isEqualTo(fresh.resolve("bench.json"));
        assertThat(fresh).isDirectory();
        assertThat(fresh.resolve("bench.json")).as("the check leaves no file behind").doesNotExist();
    }

    @Test
    void shouldTakeAJsonFileAsIt() {
        Path file = dir.resolve("out").resolve("figures.json");
        assertThat(BenchCommand.benchFile(file)).isEqualTo(file);
        assertThat(file.getParent()).isDirectory();
        assertThat(file).doesNotExist();
    }

    @Test
    void shouldFailAtOnceNamingTheOptionWhenTheOutputCannotBeWritten() throws Exception {
        Path blocker = Files.writeString(dir.resolve("not-a-folder"), "x");
        assertThatThrownBy(() -> BenchCommand.benchFile(blocker.resolve("bench.json")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--out ");
        Files.createDirectories(dir.resolve("taken.json"));
        assertThat(BenchCommand.benchFile(dir.resolve("taken.json"))).as("a folder named .json is a folder")
                .isEqualTo(dir.resolve("taken.json").resolve("bench.json"));
    }

    private static BenchCommand parse(String... args) {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs(args);
        c.checkOptions();
        return c;
    }

    @Test
    void shouldParseTheSimulatedDeviceOptions() throws Exception {
        BenchCommand c = parse("--simulated-device", "--workers-per-step", "1,2,4,8", "--out", dir.toString());
        assertThat(c.simulatedDevice).isTrue();
        assertThat(c.workersPerStep).containsExactly(1, 2, 4, 8);
        assertThat(parse("--simulated-device").workersPerStep).as("the default").containsExactly(1, 2, 4, 8);
        assertThat(parse("--simulated-device", "--workers-per-step", "3").workersPerStep).containsExactly(3);
        Path profile = Files.writeString(dir.resolve("dev.json"), "{\"device\": \"a100\", \"steps\": {"
                + "\"think\": {\"batch1Ms\": 1, \"batch16Ms\": 2}, \"draw\": {\"batch1Ms\": 50, \"batch16Ms\": 70},"
                + "\"reflect\": {\"batch1Ms\": 3, \"batch16Ms\": 3}, \"refine\": {\"batch1Ms\": 60, \"batch16Ms\": 90}}}");
        assertThat(parse("--simulated-device", "--device-profile", profile.toString()).deviceProfile).isEqualTo(profile);
        assertThat(parse().simulatedDevice).as("off by default").isFalse();
    }

    @Test
    void shouldRefuseBadSimulatedDeviceOptionsWithOneClearLine() {
        assertThatThrownBy(() -> parse("--simulated-device", "--workers-per-step", "1,0")).isInstanceOf(
                IllegalArgumentException.class).hasMessage("--workers-per-step: 0 is not in 1..16");
        assertThatThrownBy(() -> parse("--simulated-device", "--workers-per-step", "17")).hasMessage(
                "--workers-per-step: 17 is not in 1..16");
        assertThatThrownBy(() -> parse("--workers-per-step", "1,2")).hasMessage("--workers-per-step needs --simulated-device");
        assertThatThrownBy(() -> parse("--simulated-device", "--device-profile", dir.resolve("none.json").toString()))
                .hasMessageStartingWith("cannot read the device profile " + dir.resolve("none.json"));
        assertThatThrownBy(() -> parse("--simulated-device", "--seconds", "0")).hasMessage("--seconds must be positive, got 0.0");

        // through the CLI: exit code 2 and a one-line message, before anything starts or is written
        StringWriter err = new StringWriter();
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(new StringWriter(), true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("bench", "--simulated-device", "--workers-per-step", "1,x", "--out", dir.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--workers-per-step").contains("'x'");
        err.getBuffer().setLength(0);
        assertThat(cl.execute("bench", "--simulated-device", "--workers-per-step", "0", "--out", dir.toString()))
                .isEqualTo(2);
        assertThat(err.toString()).contains("--workers-per-step: 0 is not in 1..16");
        assertThat(dir.resolve("bench.json")).doesNotExist();
    }
}
