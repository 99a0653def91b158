package io.irgstream.shapes.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.shapes.eval.ShapesEval;
import io.irgstream.shapes.prompts.PromptSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Quick training of all four steps through {@link Training}, then the eval harness over the quick models. */
class TrainingTest {
    @TempDir
    static Path dir;
    static Map<Step, TrainResult> results;

    @BeforeAll
    static void trainQuick() {
        TrainOptions opts = TrainOptions.of(dir.resolve("models"), dir.resolve("work"), 5, true, Duration.ofMinutes(4));
        results = Training.run(Set.of(), opts);
    }

    @Test
    void shouldTrainAllStepsInOrderAndWriteManifestWhenQuick() throws Exception {
        assertThat(results.keySet()).containsExactly(Step.THINK, Step.DRAW, Step.REFLECT, Step.REFINE);
        JsonNode m = new ObjectMapper().readTree(dir.resolve("models/manifest.json").toFile());
        assertThat(m.get("models").get("nothink").get("file").asText()).as("the no-think baseline is trained too,"
                + " and draw.pt holds it").isEqualTo("draw.pt");
        assertThat(m.get("model_set").asText()).isEqualTo("shapes");
        for (Step s : Step.values()) {
            JsonNode e = m.get("models").get(s.id());
            assertThat(e.get("file").asText()).isEqualTo(s.id() + ".pt");
            assertThat(e.get("sha256").asText()).hasSize(64);
            assertThat(e.get("contract_version").asInt()).isEqualTo(1);
            assertThat(e.get("training").get("steps").asLong()).isPositive();
        }
        JsonNode run = m.get("training_run");
        assertThat(run.get("trained")).extracting(JsonNode::asText)
                .containsExactly("think", "draw", "reflect", "refine", "nothink");
        assertThat(run.get("wall_seconds").asLong()).isNotNegative();
        assertThat(java.time.Instant.parse(run.get("ended").asText()))
                .isAfterOrEqualTo(java.time.Instant.parse(run.get("started").asText()));
        assertThat(m.get("models").get("draw").get("training").get("onednn").asText()).as("on, off, or on until the"
                + " finite-loss guard turned it off (oneDNN gives NaN on some CPUs, docs/models.md)")
                .matches("on|off|on, switched off after \\d+ non-finite steps in a row");
    }

    @Test
    void shouldTrainRefineOnRealDraftsOfTheDrawModelItJustTrained() throws Exception {
        JsonNode m = new ObjectMapper().readTree(dir.resolve("models/manifest.json").toFile());
        JsonNode refine = m.get("models").get("refine").get("training");
        assertThat(refine.get("real_drafts").asInt()).as("real drafts painted by the quick draw.pt").isEqualTo(16);
        assertThat(refine.get("rows").asText()).contains("real drafts of mistaken plans");
    }

    @Test
    void shouldPrintTableAndWriteReportWhenEvaluated() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Path out = dir.resolve("eval");
        ShapesEval.Config cfg = new ShapesEval.Config(dir.resolve("models"), PromptSet.heldOut(1), out, 3,
                new Sampling(0.3, 2, 4.0, 2.0), 6, 1, true, false);
        Map<String, Object> report = ShapesEval.run(cfg, new PrintStream(buf, true));
        String printed = buf.toString();
        assertThat(printed).contains("no-think draft", "think draft", "IRG final (1 round)", "IRG final (2 rounds)",
                "single_object", "color_position", "complex", "geneval overall", "compositional overall",
                "NEEDS_CHANGES precision");
        assertThat(report.get("prompts")).isEqualTo(10);
        assertThat(Files.size(out.resolve("eval.json"))).isPositive();
        assertThat(Files.size(out.resolve("contact-sheet.png"))).isPositive();
    }

    @Test
    @SuppressWarnings("unchecked")
    void shouldDrawFromMistakenPlansWhenEvaluatedWithWrongPlans() {
        ShapesEval.Config cfg = new ShapesEval.Config(dir.resolve("models"), PromptSet.heldOut(1), null, 3,
                new Sampling(0.3, 2, 4.0, 2.0), 6, 0, true, false).withWrongPlans();
        Map<String, Object> report = ShapesEval.run(cfg, new PrintStream(new ByteArrayOutputStream(), true));
        assertThat(report.get("wrong_plans")).isEqualTo(true);
        assertThat((Map<String, Object>) report.get("scores")).containsOnlyKeys("think draft", "IRG final (1 round)",
                "IRG final (2 rounds)");
        for (Map<String, Object> t : (java.util.List<Map<String, Object>>) report.get("trajectories")) {
            assertThat(t.get("thought_good")).as("a mistaken plan never satisfies its prompt: %s", t.get("thought"))
                    .isEqualTo(false);
        }
    }

    @Test
    void shouldNameMissingFileWhenModelIsAbsent() {
        ShapesEval.Config cfg = new ShapesEval.Config(dir.resolve("nowhere"), PromptSet.heldOut(1), null, 3,
                Sampling.DEFAULTS, 6, 1, true, false);
        assertThatThrownBy(() -> ShapesEval.run(cfg, System.out))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nowhere/think.pt is missing");
    }
}
