package io.irgstream.shapes.think;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.ThoughtFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed think and reflect modules (models/shapes) serve the contract and do their job. */
class ShippedThinkReflectTest {
    private static final Path MODELS = Path.of("..", "models", "shapes");

    private static Path model(String name) {
        Path p = MODELS.resolve(name);
        Assumptions.assumeTrue(Files.exists(p), "no shipped " + p);
        return p;
    }

    @Test
    void shouldWriteValidPlansIndependentOfBatchWhenShippedThinkSamplesAtIrgTemperature() {
        Random rnd = new Random(2026);
        List<StepRequest> batch = new ArrayList<>();
        List<PromptSpec> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 6], rnd);
            prompts.add(p);
            batch.add(new StepRequest("t" + i, Seeds.stepSeed(i, Step.THINK, 0), p.text(), null, null, null,
                    Sampling.DEFAULTS));
        }
        try (StepModel m = StepModels.load(Step.THINK, model("think.pt"))) {
            List<StepResult> all = m.run(batch);
            int good = 0;
            for (int i = 0; i < 16; i++) {
                good += ThinkQuality.good(prompts.get(i), all.get(i).text()) ? 1 : 0;
            }
            assertThat(good).isGreaterThanOrEqualTo(15);
            for (int i : new int[]{0, 7, 15}) {
                assertThat(m.run(List.of(batch.get(i))).get(0).text()).isEqualTo(all.get(i).text());
            }
        }
    }

    @Test
    void shouldAgreeWithEvaluatorWhenShippedReflectJudgesRenderedPlans() {
        Random rnd = new Random(77);
        Evaluator ev = new Evaluator();
        List<StepRequest> batch = new ArrayList<>();
        List<Boolean> truth = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 6], rnd);
            PromptSpec other = PromptSpec.sample(Category.values()[i % 6], rnd);
            Scene plan = PlanSampler.sample(i % 2 == 0 ? p : other, rnd);
            RgbImage img = Renderer.render(plan);
            truth.add(ev.passes(p, img));
            batch.add(new StepRequest("r" + i, i, p.text(), ThoughtFormat.format(plan), img, null, Sampling.DEFAULTS));
        }
        try (StepModel m = StepModels.load(Step.REFLECT, model("reflect.pt"))) {
            List<StepResult> out = m.run(batch);
            int agree = 0;
            for (int i = 0; i < out.size(); i++) {
                String t = out.get(i).text();
                assertThat(t).startsWith("Detailed Explanation of Required Improvements:\n")
                        .contains("\nStep-by-Step Modification Guidance:\n1. ",
                                "\nFinal Comprehensive Prompt for the Improved Image:\n");
                agree += (Verdict.of(t) == Verdict.SATISFIED) == truth.get(i) ? 1 : 0;
            }
            assertThat(agree).isGreaterThanOrEqualTo(22);
            assertThat(m.run(List.of(batch.get(5))).get(0).text()).isEqualTo(out.get(5).text());
        }
    }
}
