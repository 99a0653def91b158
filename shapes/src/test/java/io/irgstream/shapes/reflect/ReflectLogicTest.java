package io.irgstream.shapes.reflect;

import io.irgstream.model.Verdict;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.think.ThinkQuality;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.ThoughtFormat;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reasoning half of reflect (the module's TorchScript code), fed with given detections instead of the
 * detector's: verdicts follow WORLD.md and corrected plans satisfy the prompt.
 */
class ReflectLogicTest {
    private static JitModule module;

    @BeforeAll
    static void build() {
        TorchSetup.init(1);
        module = ReflectModule.create(ReflectModule.Config.QUICK, 1);
    }

    @AfterAll
    static void close() {
        module.close();
    }

    static String reflect(String prompt, String thought, List<SceneObject> seen) {
        long[] d = new long[Math.max(1, seen.size()) * 5];
        for (int i = 0; i < seen.size(); i++) {
            SceneObject o = seen.get(i);
            long[] row = {o.shape().ordinal(), o.color().ordinal(), o.centerX(), o.centerY(), o.size()};
            System.arraycopy(row, 0, d, i * 5, 5);
        }
        try (PointerScope s = new PointerScope()) {
            IValueVector in = new IValueVector();
            in.push_back(new IValue(prompt));
            in.push_back(new IValue(thought));
            in.push_back(new IValue(Tensors.longs(seen.isEmpty() ? new long[0] : d, seen.size(), 5)));
            in.push_back(new IValue(0.37));
            in.push_back(new IValue(0.61));
            return module.get_method("reflect_objects").apply(in).toStringRef().getString();
        }
    }

    static String finalPlan(String reflection) {
        String marker = "Final Comprehensive Prompt for the Improved Image:\n";
        int a = reflection.indexOf(marker) + marker.length();
        return reflection.substring(a, reflection.indexOf("\nVerdict:", a));
    }

    /**
     * Reflects on the objects {@code seen} (in the thought format) and checks that the reflection needs changes,
     * explains {@code problem}, guides with {@code firstFix} and ends with a corrected plan that satisfies the prompt.
     *
     * @return the reflection
     */
    static String assertCorrects(String prompt, String thought, String seen, String problem, String firstFix) {
        String r = reflect(prompt, thought, ThoughtFormat.parseObjects(seen));
        assertThat(r).contains(problem).contains(firstFix);
        assertThat(Verdict.of(r)).isEqualTo(Verdict.NEEDS_CHANGES);
        assertThat(ThinkQuality.good(PromptSpec.parse(prompt), finalPlan(r))).isTrue();
        return r;
    }

    @Test
    void shouldKeepImageWhenItMatches() {
        String plan = "red circle at x 18 y 32 size 14 ; blue square at x 46 y 31 size 16";
        String r = reflect("a photo of a red circle and a blue square", plan, ThoughtFormat.parseObjects(plan));
        assertThat(r).isEqualTo("""
                Detailed Explanation of Required Improvements:
                The image matches the prompt.
                Step-by-Step Modification Guidance:
                1. Keep the image as it is.
                Final Comprehensive Prompt for the Improved Image:
                red circle at x 18 y 32 size 14 ; blue square at x 46 y 31 size 16
                Verdict: SATISFIED""");
    }

    @Test
    void shouldRecolorWrongObjectWhenColorIsWrong() {
        String plan = "red circle at x 18 y 32 size 14";
        String r = assertCorrects("a photo of a red circle", plan, "blue circle at x 18 y 32 size 14",
                "The circle at x 18 y 32 is blue, but the prompt asks for a red circle.",
                "1. Change the blue circle at x 18 y 32 to red.");
        assertThat(r).endsWith("red circle at x 18 y 32 size 14\nVerdict: NEEDS_CHANGES");
    }

    @Test
    void shouldAddMissingObjectAtPlannedPlaceWhenFree() {
        String plan = "green triangle at x 14 y 14 size 14 ; white diamond at x 48 y 48 size 14";
        assertCorrects("a photo of a triangle and a diamond", plan, "green triangle at x 14 y 14 size 14",
                "The prompt asks for a diamond, but the image has none.",
                "1. Add a white diamond at x 48 y 48 size 14.");
    }

    @Test
    void shouldRemoveExtrasWhenCountIsTooHigh() {
        assertCorrects("a photo of two crosses", "",
                "red cross at x 10 y 10 size 12 ; red cross at x 40 y 10 size 12 ; red cross at x 25 y 45 size 12",
                "The image shows 3 crosses, but the prompt asks for exactly 2.",
                "1. Remove the extra red cross at x 25 y 45.");
    }

    @Test
    void shouldReplaceWrongShapesAtPlannedPlacesWhenCounting() {
        String plan = "orange cross at x 24 y 7 size 12 ; green cross at x 50 y 18 size 15";
        String r = assertCorrects("a photo of two crosses", plan,
                "orange circle at x 24 y 8 size 14 ; green circle at x 50 y 18 size 16",
                "The image shows 0 crosses, but the prompt asks for exactly 2.",
                "1. Replace the orange circle at x 24 y 8 with an orange cross.");
        assertThat(r).contains("2. Replace the green circle at x 50 y 18 with a green cross.")
                .endsWith(plan + "\nVerdict: NEEDS_CHANGES");
    }

    @Test
    void shouldSeparateObjectsThatTouchWhenThePromptIsOtherwiseMet() {
        // a real failure of the shipped models: a plan 1 px short of WORLD.md's 2 px gap, drawn as one blob
        String plan = "purple square at x 35 y 40 size 18 ; red circle at x 23 y 22 size 15";
        assertCorrects("a photo of a square and a circle", plan, plan,
                "The red circle at x 23 y 22 touches the purple square at x 35 y 40",
                "1. Move the red circle from x 23 y 22 to x ");
    }

    @Test
    void shouldLeaveObjectsThePromptDoesNotNameWhereTheyAre() {
        // a detection at the corner next to one of four diamonds: the count stands, nothing to move
        String plan = "white diamond at x 12 y 16 size 15 ; yellow diamond at x 15 y 44 size 16 ; "
                + "purple diamond at x 37 y 43 size 12 ; green diamond at x 53 y 17 size 17";
        List<SceneObject> seen = new java.util.ArrayList<>(ThoughtFormat.parseObjects(plan));
        seen.add(new SceneObject(io.irgstream.shapes.world.Shape.CROSS, io.irgstream.shapes.world.Color.PINK, 1, 0, 10));
        String r = reflect("a photo of four diamonds", plan, seen);
        assertThat(Verdict.of(r)).isEqualTo(Verdict.SATISFIED);
    }

    @Test
    void shouldMoveObjectWhenRelationFails() {
        assertCorrects("a photo of a circle left of a square", "",
                "red circle at x 40 y 30 size 12 ; blue square at x 20 y 30 size 12",
                "The circle at x 40 y 30 is not left of the square at x 20 y 30.",
                "1. Move the red circle from x 40 y 30 to x ");
    }

    @Test
    void shouldAddTheMissingTwinAndThenMoveWhenNoRoomIsLeftOnTheRequiredSide() {
        // one triangle at the top edge: the second cannot go above it, so it is added where there is room and the
        // first moves below it
        String plan = "orange triangle at x 17 y 11 size 18 ; white circle at x 46 y 48 size 17";
        String r = assertCorrects("a photo of a triangle below a triangle", plan, plan,
                "The prompt asks for two triangles, but the image has one.", "1. Add an orange triangle at x ");
        assertThat(r).contains("Move the orange triangle from x ");
        plan = "purple triangle at x 52 y 55 size 13 ; blue circle at x 10 y 26 size 17";
        assertCorrects("a photo of a triangle left of a triangle", plan, plan,
                "The prompt asks for two triangles, but the image has one.", "1. Add a purple triangle at x ");
    }

    @Test
    void shouldJudgeLikeWorldRulesAndPlanAFixWhenObjectsAreSeenExactly() {
        Random rnd = new Random(11);
        int n = 600;
        int fixable = 0;
        int fixed = 0;
        for (int i = 0; i < n; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 6], rnd);
            Scene plan = PlanSampler.sample(p, rnd);
            Scene drawn = rnd.nextBoolean() ? ReflectTrainer.mutate(ReflectTrainer.mutate(plan, rnd), rnd) : plan;
            List<DetectedObject> det = ThinkQuality.asDetected(drawn);
            String r = reflect(p.text(), ThoughtFormat.format(plan), drawn.objects());
            boolean pass = p.passes(det);
            assertThat(Verdict.of(r)).as(p + " / " + drawn).isEqualTo(pass ? Verdict.SATISFIED : Verdict.NEEDS_CHANGES);
            if (!pass) {
                fixable++;
                if (ThinkQuality.good(p, finalPlan(r))) {
                    fixed++;
                } else if (fixable - fixed <= 3) {
                    System.out.println("not fixed: " + p + " / " + drawn + "\n" + r);
                }
            }
        }
        System.out.printf("reflect logic: corrected plan satisfies the prompt for %d of %d failing images%n", fixed,
                fixable);
        assertThat(fixed / (double) fixable).isGreaterThanOrEqualTo(0.97);
    }
}
