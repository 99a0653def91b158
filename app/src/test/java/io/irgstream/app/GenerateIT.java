package io.irgstream.app;

import io.irgstream.app.testing.InProcessCli;
import io.irgstream.worker.images.Png;
import io.irgstream.model.RgbImage;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.prompts.PromptSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's main command, in-process: {@code irg generate PROMPT} on the embedded stack with the shipped
 * TorchScript models writes the trajectory folder.
 */
class GenerateIT {
    @TempDir
    Path dir;

    @Test
    void shouldWriteTheTrajectoryFolderWithTheShippedModels() throws Exception {
        InProcessCli.Result r = InProcessCli.run("generate", "a red circle and a blue square", "--seed", "7",
                "--out", dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString(),
                "--models", Path.of("..", "models", "shapes").toString());
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(2);
        Path folder = Path.of(lines.get(1));
        assertThat(folder.getFileName().toString()).isEqualTo(lines.get(0));
        for (String f : List.of("prompt.txt", "thought.txt", "draft.png", "reflection-1.txt", "final.png", "trajectory.json")) {
            assertThat(folder.resolve(f)).as(f).isNotEmptyFile();
        }
        assertThat(Files.readString(folder.resolve("thought.txt"))).contains(" at x ").contains("red circle").contains("blue square");
        assertThat(Files.readString(folder.resolve("reflection-1.txt")))
                .contains("Detailed Explanation of Required Improvements", "Step-by-Step Modification Guidance",
                        "Final Comprehensive Prompt for the Improved Image").containsPattern("Verdict: (SATISFIED|NEEDS_CHANGES)");
        RgbImage fin = Png.decode(Files.readAllBytes(folder.resolve("final.png")));
        assertThat(fin.width()).isEqualTo(64);
        assertThat(fin.height()).isEqualTo(64);
        try (Stream<Path> s = Files.list(dir.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no partial folders left").noneMatch(n -> n.endsWith(".partial"));
        }
    }

    /** The prompts of the models-v2 issue's "done when", as a new user types them: each final image passes. */
    @ParameterizedTest
    @ValueSource(strings = {"a red circle left of a blue square", "two yellow crosses and a green square",
        "a large red circle above a small blue square"})
    void shouldDrawACorrectFinalImageForEverydayPrompts(String prompt) throws Exception {
        InProcessCli.Result r = InProcessCli.run("generate", prompt, "--seed", "7",
                "--out", dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString(),
                "--models", Path.of("..", "models", "shapes").toString());
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
        Path folder = Path.of(r.out().lines().toList().get(1));
        RgbImage fin = Png.decode(Files.readAllBytes(folder.resolve("final.png")));
        Evaluator ev = new Evaluator();
        assertThat(ev.passes(PromptSpec.parse(prompt), fin)).as("final image of '%s' seen as %s; thought %s",
                prompt, ev.detect(fin), Files.readString(folder.resolve("thought.txt"))).isTrue();
    }

    @Test
    void shouldFailWithTheModelsReasonWhenThePromptIsOutsideTheLanguage() {
        InProcessCli.Result r = InProcessCli.run("generate", "a red large circle", "--seed", "7",
                "--out", dir.resolve("out").toString(), "--data-dir", dir.resolve("data").toString(),
                "--models", Path.of("..", "models", "shapes").toString());
        assertThat(r.exitCode()).as("exit code; stdout: %s", r.out()).isEqualTo(1);
        assertThat(r.err()).contains("failed at step think")
                .contains("prompt outside the shapes-world language (docs/shapes-world.md)")
                .contains("the size goes before the color");
    }
}
