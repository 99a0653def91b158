package io.irgstream.shapes.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.shapes.prompts.PromptSet;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.ThoughtFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The plans {@code ./irg eval --wrong-plans} draws from: one mistake each, valid, reproducible, failing the prompt. */
class WrongPlanTest {

    @Test
    void shouldInjectOneReproducibleMistakeThatUsuallyFailsThePrompt() {
        Evaluator ev = new Evaluator();
        List<PromptSpec> prompts = PromptSet.heldOut(PromptSet.DEFAULT_PER_CATEGORY);
        Random rnd = new Random(5);
        int changed = 0;
        int failing = 0;
        for (int i = 0; i < prompts.size(); i++) {
            PromptSpec p = prompts.get(i);
            String plan = ThoughtFormat.format(PlanSampler.sample(p, rnd));
            assertThat(ev.passes(p, Renderer.render(ThoughtFormat.parse(plan)))).as("the plan for %s", p.text()).isTrue();
            String wrong = ShapesEval.wrongPlan(p, plan, 1_000L + i);
            assertThat(ShapesEval.wrongPlan(p, plan, 1_000L + i)).as("same seed, same mistake").isEqualTo(wrong);
            Scene scene = ThoughtFormat.parse(wrong);
            assertThat(Scene.isValid(scene.objects())).as(wrong).isTrue();
            changed += wrong.equals(plan) ? 0 : 1;
            failing += ev.passes(p, Renderer.render(scene)) ? 0 : 1;
        }
        System.out.printf("wrong plans: %d of %d changed, %d fail their prompt%n", changed, prompts.size(), failing);
        assertThat(changed).isGreaterThanOrEqualTo(prompts.size() * 95 / 100);
        assertThat(failing).as("rendered exactly, the wrong plans fail their prompts").isEqualTo(changed);
    }

    @Test
    void shouldLeaveAnUnparseablePlanAsItIs() {
        PromptSpec p = PromptSpec.parse("a photo of a red circle");
        assertThat(ShapesEval.wrongPlan(p, "not a plan at all", 3)).isEqualTo("not a plan at all");
        assertThat(ShapesEval.wrongPlan(p, "", 3)).isEqualTo("");
    }
}
