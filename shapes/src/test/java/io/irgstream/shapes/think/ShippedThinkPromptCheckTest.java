package io.irgstream.shapes.think;

import io.irgstream.model.Step;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped think module's {@code check_prompts} (models/shapes/think.pt, the real module): every prompt of every
 * WORLD.md form is understood, in any case, with "a" or "an" and a trailing period; anything else gets a clear reason.
 */
class ShippedThinkPromptCheckTest {
    private static final String OUTSIDE = "prompt outside the shapes-world grammar (WORLD.md): ";
    private static TorchScriptStepModel think;

    @BeforeAll
    static void load() {
        Path p = Path.of("..", "models", "shapes", "think.pt");
        Assumptions.assumeTrue(Files.exists(p), "no shipped " + p);
        think = (TorchScriptStepModel) StepModels.load(Step.THINK, p);
    }

    @AfterAll
    static void close() {
        if (think != null) {
            think.close();
        }
    }

    /** Every prompt of the six forms over all shapes, colors, relations and counts. */
    static List<String> everyPrompt() {
        List<String> out = new ArrayList<>();
        for (Shape s : Shape.values()) {
            out.add(PromptSpec.single(s).text());
            for (int n = 2; n <= 4; n++) {
                out.add(PromptSpec.counting(n, s).text());
            }
            for (Color c : Color.values()) {
                out.add(PromptSpec.colors(c, s).text());
            }
            for (Shape s2 : Shape.values()) {
                if (s2 != s) {
                    out.add(PromptSpec.two(s, s2).text());
                }
                for (Relation r : Relation.values()) {
                    out.add(PromptSpec.position(s, r, s2).text());
                }
                for (Color c1 : Color.values()) {
                    for (Color c2 : Color.values()) {
                        if (s != s2 || c1 != c2) {
                            out.add(PromptSpec.colorAttr(c1, s, c2, s2).text());
                        }
                    }
                }
            }
        }
        return out;
    }

    @Test
    void shouldUnderstandEveryPromptOfEveryWorldFormInAnyCaseWithAnAndATrailingPeriod() {
        List<String> canonical = everyPrompt();
        // 5 single + 15 counting + 40 colors + 20 two-object + 100 position + 1560 color_attr
        assertThat(canonical).hasSize(5 + 15 + 40 + 20 + 100 + 1560).doesNotHaveDuplicates();
        List<String> prompts = new ArrayList<>();
        for (String p : canonical) {
            PromptSpec.parse(p); // the Java reading of WORLD.md agrees these are in the grammar
            prompts.add(p);
            prompts.add(p.replace(" a orange", " an orange")); // "an" where English wants it
            prompts.add(Character.toUpperCase(p.charAt(0)) + p.substring(1) + ".");
            prompts.add(("An " + p.substring(2)).toUpperCase(Locale.ROOT).replace(" A ", " AN ") + ".");
        }
        List<String> reasons = think.rejections(prompts);
        assertThat(reasons).hasSameSizeAs(prompts);
        Map<String, String> rejected = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (!reasons.get(i).isEmpty()) {
                rejected.put(prompts.get(i), reasons.get(i));
            }
        }
        assertThat(rejected).as("prompts of WORLD.md's forms that the think module rejected").isEmpty();
    }

    @Test
    void shouldGiveAClearReasonForAPromptOutsideTheGrammar() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("a photo of a red circle left of a blue square",
                "position prompts name shapes only, e.g. \"a photo of a circle left of a square\"");
        cases.put("a photo of a dog", "unknown word \"dog\": the shapes are circle, square, triangle, diamond, cross;"
                + " the colors are red, orange, yellow, green, blue, purple, pink, white");
        cases.put("a photo of five circles", "counting prompts count two, three or four objects");
        cases.put("a photo of two circle", "counting prompts have the form");
        cases.put("a photo of a circle and a circle",
                "names two different shapes; for several of one shape use a counting prompt, e.g. \"a photo of two circles\"");
        cases.put("a photo of a red cross and a red cross", "e.g. \"a photo of two crosses\"");
        cases.put("a photo of a red circle and a square", "a color on both objects or on neither");
        cases.put("a picture of a circle", "unknown word \"picture\"");
        cases.put("photo of a circle", "every prompt starts with \"a photo of\"");
        cases.put("a photo of a circle above", "position prompts have the form");
        cases.put("a photo of a circle square", "the prompt forms are");
        cases.put("", "the prompt has no words");
        List<String> prompts = new ArrayList<>(cases.keySet());
        List<String> reasons = think.rejections(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(reasons.get(i)).as(prompts.get(i))
                    .startsWith(OUTSIDE + "\"" + prompts.get(i) + "\"; ")
                    .contains(cases.get(prompts.get(i)));
        }
    }

    @Test
    void shouldAnswerPerPromptInOrderInAMixedBatch() {
        assertThat(think.checksPrompts()).isTrue();
        List<String> reasons = think.rejections(List.of("a photo of a cross", "a photo of a unicorn",
                "A photo of an orange diamond.", "a photo of a blue circle below a square"));
        assertThat(reasons.get(0)).isEmpty();
        assertThat(reasons.get(1)).contains("unknown word \"unicorn\"");
        assertThat(reasons.get(2)).isEmpty();
        assertThat(reasons.get(3)).contains("position prompts name shapes only");
        assertThat(think.rejections(List.of())).isEmpty();
    }
}
