package io.irgstream.model.openai;

import io.irgstream.model.Step;
import io.irgstream.model.Verdict;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerdictAndTextTest {
    @Test
    void shouldReadTheVerdictWhenModelsDecorateTheLine() {
        assertThat(Verdict.find("x\n**Verdict:** Satisfied")).contains(Verdict.SATISFIED);
        assertThat(Verdict.find("x\n### Verdict - needs changes.")).contains(Verdict.NEEDS_CHANGES);
        assertThat(Verdict.find("Verdict: NEEDS-CHANGES\r\nmore\r\nverdict = satisfied")).contains(Verdict.SATISFIED);
        assertThat(Verdict.find("The verdict: it is satisfied")).isEmpty();
        assertThat(Verdict.find("no verdict here")).isEmpty();
    }

    @Test
    void shouldWriteTheLastVerdictLineCanonicallyWhenNormalising() {
        assertThat(Verdict.canonical("a\n**Verdict:** needs changes\n")).isEqualTo("a\nVerdict: NEEDS_CHANGES\n");
        assertThat(Verdict.canonical("a\nVerdict: SATISFIED\n")).isEqualTo("a\nVerdict: SATISFIED\n");
    }

    @Test
    void shouldReadTheFinalPromptWhenTheHeadingIsDecorated() {
        String r = "**Final Comprehensive Prompt for the Improved Image:**\nred circle at x 1 y 2 size 10\n"
                + "blue square at x 30 y 2 size 12\n**Verdict:** NEEDS_CHANGES";
        assertThat(IrgText.finalPrompt(r)).isEqualTo("red circle at x 1 y 2 size 10 ; blue square at x 30 y 2 size 12");
        assertThat(IrgText.finalPrompt("Final Comprehensive Prompt for the Improved Image: a red circle\nVerdict: SATISFIED"))
                .isEqualTo("a red circle");
        assertThat(IrgText.finalPrompt("nothing")).isEmpty();
    }

    @Test
    void shouldSplitPromptAndPlanWhenReadingATemplateText() {
        assertThat(IrgText.promptAndPlan("a photo of a cross\nPlan: red cross at x 1 y 1 size 10"))
                .isEqualTo(new IrgText.PromptAndPlan("a photo of a cross", "red cross at x 1 y 1 size 10"));
        assertThat(IrgText.promptAndPlan("a photo of a cross")).isEqualTo(new IrgText.PromptAndPlan("a photo of a cross", ""));
    }

    @Test
    void shouldUseATemplateFileWhenTheFolderHasOne(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("draw.txt"), "Paint {prompt}, following: {thought}\n");
        assertThat(Templates.load(Step.DRAW, dir).render("p", "t", null)).isEqualTo("Paint p, following: t");
        assertThat(Templates.load(Step.THINK, dir).source()).isEqualTo("built-in think.txt");
    }

    @Test
    void shouldFailNamingTheFileWhenATemplateUsesAnUnknownPlaceholder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("think.txt"), "Plan {prompt} like {thought}");
        assertThatThrownBy(() -> Templates.load(Step.THINK, dir)).hasMessageContaining("think.txt uses {thought}");
    }
}
