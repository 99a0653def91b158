package io.irgstream.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ./irg bench --out}: a folder or a file, checked before the bench starts. */
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
}
