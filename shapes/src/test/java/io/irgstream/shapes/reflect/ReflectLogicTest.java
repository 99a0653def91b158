package io.irgstream.shapes.reflect;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.Phrase;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.prompts.RelationClause;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;
import io.irgstream.shapes.world.ThoughtFormat;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reasoning half of reflect (the module's TorchScript code, {@code reflect_logic.py}), fed through
 * {@code reflect_objects} with given objects instead of the detector's: verdicts follow docs/shapes-world.md for the
 * v2 prompt language, and corrected plans satisfy the prompt with plan slack. Then the whole module with the shipped
 * detector's weights on rendered scenes, against the pixels-only evaluator.
 */
class ReflectLogicTest {
    private static final Path SHIPPED = Path.of("..", "models", "shapes", "reflect.pt");
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

    /** Whether a plan text is a valid scene that satisfies the prompt with plan slack. */
    static boolean fixes(PromptSpec p, String plan) {
        List<SceneObject> objs;
        try {
            objs = ThoughtFormat.parseObjects(plan);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return Scene.isValid(objs) && p.satisfiedBy(objs);
    }

    static List<DetectedObject> seenExactly(List<SceneObject> objs) {
        List<DetectedObject> out = new ArrayList<>();
        for (SceneObject o : objs) {
            out.add(new DetectedObject(o.shape(), o.color(), o.centerX(), o.centerY(), o.size(), o.size() * o.size()));
        }
        return out;
    }

    /**
     * Reflects on the objects {@code seen} (in the thought format) and checks that the reflection needs changes,
     * explains {@code problem}, guides with {@code firstFix} and ends with a corrected plan that is a valid scene and
     * satisfies the prompt.
     *
     * @return the reflection
     */
    static String assertCorrects(String prompt, String thought, String seen, String problem, String firstFix) {
        String r = reflect(prompt, thought, seen.isEmpty() ? List.of() : ThoughtFormat.parseObjects(seen));
        assertThat(r).contains(problem).contains(firstFix);
        assertThat(Verdict.of(r)).isEqualTo(Verdict.NEEDS_CHANGES);
        assertThat(fixes(PromptSpec.parse(prompt), finalPlan(r))).as(r).isTrue();
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
    void shouldKeepImageOfEveryWorldExampleWhenItMatches() {
        String[][] cases = {
                {"a red circle left of a blue square", "red circle at x 14 y 30 size 14 ; blue square at x 44 y 30 size 14"},
                {"Two yellow crosses.", "yellow cross at x 14 y 20 size 14 ; yellow cross at x 44 y 40 size 14"},
                {"a large red circle above a small blue square",
                        "red circle at x 30 y 14 size 19 ; blue square at x 30 y 46 size 12"},
                {"a photo of a green triangle above a pink diamond",
                        "green triangle at x 20 y 14 size 14 ; pink diamond at x 22 y 46 size 14"},
                {"a small white cross left of a purple diamond, and two orange circles",
                        "white cross at x 10 y 10 size 12 ; purple diamond at x 40 y 12 size 14 ; "
                                + "orange circle at x 14 y 46 size 14 ; orange circle at x 46 y 46 size 14"},
        };
        for (String[] c : cases) {
            String r = reflect(c[0], c[1], ThoughtFormat.parseObjects(c[1]));
            assertThat(Verdict.of(r)).as(c[0] + "\n" + r).isEqualTo(Verdict.SATISFIED);
        }
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
        String r = assertCorrects("a photo of a triangle and a diamond", plan, "green triangle at x 14 y 14 size 14",
                "The prompt asks for a diamond, but the image has none.",
                "1. Add a white diamond at x 48 y 48 size 14.");
        assertThat(finalPlan(r)).isEqualTo(plan);
    }

    @Test
    void shouldAddEverythingWhenTheImageIsEmpty() {
        assertCorrects("a large red circle above a small blue square", "", "",
                "The prompt asks for a large red circle, but the image has none.", "1. Add a large red circle at x ");
    }

    @Test
    void shouldRemoveExtrasWhenCountIsTooHigh() {
        assertCorrects("a photo of two crosses", "",
                "red cross at x 10 y 10 size 12 ; red cross at x 40 y 10 size 12 ; red cross at x 25 y 45 size 12",
                "The image shows 3 crosses, but the prompt asks for exactly 2.",
                "1. Remove the extra red cross at x 25 y 45.");
    }

    @Test
    void shouldRemoveTheExtraThatBreaksAColoredCountAndKeepOthers() {
        String plan = "yellow cross at x 14 y 14 size 14 ; yellow cross at x 46 y 14 size 14 ; "
                + "green square at x 30 y 46 size 14";
        String r = assertCorrects("two yellow crosses and a green square", plan,
                plan + " ; yellow cross at x 54 y 50 size 12 ; blue cross at x 8 y 50 size 12",
                "The image shows 3 yellow crosses, but the prompt asks for exactly 2.",
                "1. Remove the extra yellow cross at x 54 y 50.");
        assertThat(finalPlan(r)).isEqualTo(plan + " ; blue cross at x 8 y 50 size 12");
    }

    @Test
    void shouldAddTheMissingOneOfAnExactCount() {
        String plan = "yellow cross at x 14 y 14 size 14 ; yellow cross at x 46 y 14 size 14 ; "
                + "yellow cross at x 30 y 46 size 14";
        String r = assertCorrects("three yellow crosses", plan,
                "yellow cross at x 14 y 14 size 14 ; yellow cross at x 46 y 14 size 14",
                "The image shows 2 yellow crosses, but the prompt asks for exactly 3.",
                "1. Add a yellow cross at x 30 y 46 size 14.");
        assertThat(finalPlan(r)).isEqualTo(plan);
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
    void shouldResizeWhenSizeIsWrong() {
        String plan = "red circle at x 20 y 20 size 19 ; blue square at x 44 y 44 size 12";
        String r = assertCorrects("a large red circle and a small blue square", plan,
                "red circle at x 20 y 20 size 12 ; blue square at x 44 y 44 size 12",
                "The red circle at x 20 y 20 measures 12 px, but the prompt asks for a large red circle.",
                "1. Resize the red circle at x 20 y 20 to size 19.");
        assertThat(finalPlan(r)).isEqualTo(plan);
    }

    @Test
    void shouldJudgeSizesWithTheWorldTolerance() {
        // measured 14 reads as small and 16 as large; 15 is neither
        String seen = "red circle at x 20 y 20 size 16 ; blue square at x 44 y 44 size 14";
        assertThat(Verdict.of(reflect("a large red circle and a small blue square", "", ThoughtFormat.parseObjects(seen))))
                .isEqualTo(Verdict.SATISFIED);
        String r = assertCorrects("a large red circle and a small blue square", "",
                "red circle at x 20 y 20 size 15 ; blue square at x 44 y 44 size 14",
                "The red circle at x 20 y 20 measures 15 px", "1. Resize the red circle at x 20 y 20 to size 19.");
        // the square stays where it is, drawn inside the plan range of "small"
        assertThat(finalPlan(r)).endsWith("blue square at x 44 y 44 size 13");
    }

    @Test
    void shouldSeparateObjectsThatTouchWhenThePromptIsOtherwiseMet() {
        // a real failure of the shipped models: a plan 1 px short of docs/shapes-world.md's 2 px gap, drawn as one blob
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
        List<SceneObject> seen = new ArrayList<>(ThoughtFormat.parseObjects(plan));
        seen.add(new SceneObject(Shape.CROSS, Color.PINK, 1, 0, 10));
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
    void shouldMoveTheObjectThatLeftItsPlannedPlaceWhenAColoredRelationFails() {
        String plan = "green triangle at x 20 y 14 size 14 ; pink diamond at x 22 y 46 size 14";
        String r = assertCorrects("a green triangle above a pink diamond", plan,
                "green triangle at x 48 y 52 size 14 ; pink diamond at x 22 y 46 size 14",
                "The green triangle at x 48 y 52 is not above the pink diamond at x 22 y 46.",
                "1. Move the green triangle from x 48 y 52 to x 20 y 14.");
        assertThat(finalPlan(r)).isEqualTo(plan);
    }

    @Test
    void shouldAddTheMissingTwinAndThenMoveWhenNoRoomIsLeftOnTheRequiredSide() {
        // one triangle at the top edge: the second cannot go above it, so it is added where there is room and the
        // first moves below it
        String seen = "orange triangle at x 17 y 11 size 18";
        String r = assertCorrects("a photo of a triangle below a triangle", seen + " ; white circle at x 46 y 48 size 17",
                seen, "The prompt asks for two triangles, but the image has one.", "1. Add a");
        assertThat(r).contains("triangle at x ").contains("2. Move the orange triangle from x 17 y 11 to x ");
        seen = "purple triangle at x 52 y 55 size 13";
        assertCorrects("a photo of a triangle left of a triangle", seen, seen,
                "The prompt asks for two triangles, but the image has one.", "1. Add a");
    }

    @Test
    void shouldReplaceAnUnnamedObjectWhenThatAloneSatisfiesThePrompt() {
        // the circle the plan drew is not asked for; as a triangle it stands below the other: one change
        String plan = "orange triangle at x 17 y 11 size 18 ; white circle at x 46 y 48 size 17";
        String r = assertCorrects("a photo of a triangle below a triangle", plan, plan,
                "The white circle at x 46 y 48 should be a white triangle.",
                "1. Replace the white circle at x 46 y 48 with a white triangle.");
        assertThat(r).doesNotContain("2. ");
    }

    @Test
    void shouldRecolorAnObjectThatWouldCountTowardAnotherExactPhrase() {
        // "a circle" must not be a third red circle
        String r = assertCorrects("two red circles and a circle", "",
                "red circle at x 14 y 14 size 14 ; red circle at x 46 y 14 size 14 ; red circle at x 30 y 46 size 14",
                "The image shows 3 red circles, but the prompt asks for exactly 2.", "1. ");
        assertThat(ThoughtFormat.parseObjects(finalPlan(r))).hasSize(3);
    }

    @Test
    void shouldRemoveAMalformedBlobAndPutTheMissingObjectThere() {
        String r = reflect("a blue diamond", "", List.of());
        assertThat(Verdict.of(r)).isEqualTo(Verdict.NEEDS_CHANGES);
        // a blob (class 5) is not in the thought format, so feed it through the raw rows
        long[] d = {5, 4, 30, 30, 14};
        try (PointerScope s = new PointerScope()) {
            IValueVector in = new IValueVector();
            in.push_back(new IValue("a blue diamond"));
            in.push_back(new IValue(""));
            in.push_back(new IValue(Tensors.longs(d, 1, 5)));
            in.push_back(new IValue(0.9));
            in.push_back(new IValue(0.9));
            r = module.get_method("reflect_objects").apply(in).toStringRef().getString();
        }
        assertThat(r).contains("The malformed blue object at x 30 y 30 matches no shape.")
                .contains("1. Remove the malformed blue object at x 30 y 30.")
                .contains("2. Add a blue diamond at x 30 y 30 size 14.");
        assertThat(fixes(PromptSpec.parse("a blue diamond"), finalPlan(r))).isTrue();
    }

    @Test
    void shouldKeepTheImageWhenThePromptIsOutsideTheLanguage() {
        String r = reflect("a red large circle", "", List.of(new SceneObject(Shape.CIRCLE, Color.RED, 10, 10, 18)));
        assertThat(Verdict.of(r)).isEqualTo(Verdict.SATISFIED);
        assertThat(r).contains("outside the shapes-world language");
    }

    /** The kinds of mistake injected into correct plans. */
    enum Mistake { COLOR, SHAPE, SIZE, MISSING, EXTRA, MOVED }

    /**
     * The plan with one mistake of the kind that breaks the prompt as the pixels judge it, or null when this kind
     * cannot break it (a color mistake on a prompt without colors, a size mistake without size words, ...).
     */
    static List<SceneObject> inject(PromptSpec p, Scene plan, Mistake kind, Random rnd) {
        List<SceneObject> objs = plan.objects();
        List<Integer> slots = p.slots();
        for (int attempt = 0; attempt < 40; attempt++) {
            List<SceneObject> w = new ArrayList<>(objs);
            int i = rnd.nextInt(w.size());
            SceneObject o = w.get(i);
            Phrase ph = p.phrases().get(slots.get(i));
            switch (kind) {
                case COLOR -> w.set(i, o.withColor(Color.values()[(o.color().ordinal() + 1 + rnd.nextInt(7)) % 8]));
                case SHAPE -> w.set(i, o.withShape(Shape.values()[(o.shape().ordinal() + 1 + rnd.nextInt(4)) % 5]));
                case SIZE -> {
                    if (ph.size() == null) {
                        continue;
                    }
                    int s = ph.size() == Size.SMALL ? 18 + rnd.nextInt(3) : 10 + rnd.nextInt(4);
                    SceneObject r = SceneObject.centered(o.shape(), o.color(), o.centerX(), o.centerY(), s);
                    if (!r.inside(Scene.SIZE, Scene.SIZE)) {
                        continue;
                    }
                    w.set(i, r);
                }
                case MISSING -> w.remove(i);
                case EXTRA -> {
                    // a copy of an object of an exact phrase (wrong count), else of any object
                    int j = i;
                    for (int k = 0; k < w.size(); k++) {
                        if (p.phrases().get(slots.get(k)).exact()) {
                            j = k;
                        }
                    }
                    SceneObject src = w.get(j);
                    SceneObject e = PlanSampler.placeOne(src.shape(), src.color(), w, rnd);
                    if (e == null || w.size() >= Scene.MAX_OBJECTS) {
                        continue;
                    }
                    w.add(SceneObject.centered(e.shape(), e.color(), e.centerX(), e.centerY(), src.size()));
                }
                case MOVED -> {
                    if (p.relations().isEmpty()) {
                        continue;
                    }
                    RelationClause rc = p.relations().get(rnd.nextInt(p.relations().size()));
                    int k = slots.indexOf(rnd.nextBoolean() ? rc.a() : rc.b());
                    List<SceneObject> rest = new ArrayList<>(w);
                    rest.remove(k);
                    SceneObject m = PlanSampler.placeOne(w.get(k).shape(), w.get(k).color(), rest, rnd);
                    if (m == null) {
                        continue;
                    }
                    w.set(k, SceneObject.centered(m.shape(), m.color(), m.centerX(), m.centerY(), w.get(k).size()));
                }
                default -> throw new IllegalStateException(kind.name());
            }
            if ((w.isEmpty() || Scene.isValid(w)) && !p.passes(seenExactly(w))) {
                return w;
            }
        }
        return null;
    }

    /** The mistakes that can break this prompt: sizes need a size word, extras an exact count, moves a relation. */
    static List<Mistake> applicable(PromptSpec p, Scene plan) {
        List<Mistake> out = new ArrayList<>(List.of(Mistake.COLOR, Mistake.SHAPE, Mistake.MISSING));
        if (p.phrases().stream().anyMatch(ph -> ph.size() != null)) {
            out.add(Mistake.SIZE);
        }
        if (p.phrases().stream().anyMatch(Phrase::exact) && plan.objects().size() < Scene.MAX_OBJECTS) {
            out.add(Mistake.EXTRA);
        }
        if (!p.relations().isEmpty()) {
            out.add(Mistake.MOVED);
        }
        return out;
    }

    @Test
    void shouldFlagEveryInjectedMistakeAndPlanAFixForAllTenCategories() {
        Random rnd = new Random(11);
        int perCategory = 36;
        Map<Mistake, int[]> byKind = new EnumMap<>(Mistake.class);
        int correct = 0;
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        int calls = 0;
        for (Category c : Category.values()) {
            for (int n = 0; n < perCategory; n++) {
                PromptSpec p = PromptSpec.sample(c, rnd);
                String prompt = p.surface(rnd);
                Scene plan = PlanSampler.sample(p, rnd);
                String thought = ThoughtFormat.format(plan);
                String r = reflect(prompt, thought, plan.objects());
                calls++;
                assertThat(Verdict.of(r)).as(prompt + " / " + thought + "\n" + r).isEqualTo(Verdict.SATISFIED);
                assertThat(finalPlan(r)).isEqualTo(thought);
                correct++;
                Mistake kind = applicable(p, plan).get(n % applicable(p, plan).size());
                List<SceneObject> wrong = inject(p, plan, kind, rnd);
                if (wrong == null) {
                    continue;
                }
                int[] stat = byKind.computeIfAbsent(kind, k -> new int[3]);
                stat[0]++;
                // half of the time the thought is the plan that went wrong (e.g. ./irg eval --wrong-plans)
                String t = rnd.nextBoolean() || wrong.isEmpty() ? thought : ThoughtFormat.format(new Scene(wrong));
                r = reflect(prompt, t, wrong);
                calls++;
                if (Verdict.of(r) == Verdict.NEEDS_CHANGES) {
                    stat[1]++;
                }
                if (Verdict.of(r) == Verdict.NEEDS_CHANGES && fixes(p, finalPlan(r))) {
                    stat[2]++;
                } else if (failures.size() < 5) {
                    failures.add(c.id() + " " + kind + ": " + prompt + "\n  thought " + t + "\n  seen    "
                            + ThoughtFormat.format(new Scene(wrong.isEmpty() ? plan.objects() : wrong)) + "\n" + r);
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        byKind.forEach((k, v) -> System.out.printf("reflect logic: %-7s injected %3d, flagged %3d, corrected plan"
                + " satisfies the prompt %3d%n", k, v[0], v[1], v[2]));
        System.out.printf("reflect logic: %d correct plans kept (SATISFIED); %.4f s per reflect_objects call%n",
                correct, secs / calls);
        failures.forEach(System.out::println);
        assertThat(failures).isEmpty();
        assertThat(byKind.keySet()).containsExactlyInAnyOrder(Mistake.values());
    }

    @Test
    void shouldJudgeLikeWorldRulesAndPlanAFixWhenObjectsAreSeenExactly() {
        // random scenes, not only plans: any objects, valid or not, with an exact reading of the pixels
        Random rnd = new Random(5);
        int fixable = 0;
        int fixed = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 10], rnd);
            Scene plan = PlanSampler.sample(p, rnd);
            List<SceneObject> seen = rnd.nextBoolean() ? SceneSampler.random(rnd).objects() : plan.objects();
            String r = reflect(p.text(), ThoughtFormat.format(plan), seen);
            boolean pass = p.passes(seenExactly(seen));
            assertThat(Verdict.of(r)).as(p + " / " + seen).isEqualTo(pass ? Verdict.SATISFIED : Verdict.NEEDS_CHANGES);
            if (!pass) {
                fixable++;
                if (fixes(p, finalPlan(r))) {
                    fixed++;
                } else if (failures.size() < 3) {
                    failures.add(p + " / " + seen + "\n" + r);
                }
            }
        }
        System.out.printf("reflect logic: corrected plan satisfies the prompt for %d of %d failing random scenes%n",
                fixed, fixable);
        failures.forEach(System.out::println);
        assertThat(fixed).isEqualTo(fixable);
    }

    /** Reflections of the module file on rendered images, batches of 16, with the runtime's seeds. */
    static List<String> reflectImages(StepModel m, List<PromptSpec> prompts, List<String> surfaces,
                                      List<String> thoughts, List<RgbImage> images) {
        List<String> out = new ArrayList<>();
        for (int start = 0; start < images.size(); start += 16) {
            List<StepRequest> batch = new ArrayList<>();
            for (int i = start; i < Math.min(images.size(), start + 16); i++) {
                batch.add(new StepRequest("r" + i, Seeds.stepSeed(7, Step.REFLECT, i), surfaces.get(i),
                        thoughts.get(i), images.get(i), null, Sampling.DEFAULTS));
            }
            for (StepResult r : m.run(batch)) {
                out.add(r.text());
            }
        }
        return out;
    }

    @Test
    void shouldAgreeWithThePixelsOnlyEvaluatorWithTheShippedDetectorOnRenderedScenes(@TempDir Path dir) {
        Assumptions.assumeTrue(Files.exists(SHIPPED), "no shipped " + SHIPPED);
        Path file = dir.resolve("reflect.pt");
        ReflectModule.reexport(SHIPPED, file);
        Evaluator eval = new Evaluator();
        Random rnd = new Random(2024);
        int n = 400;
        List<PromptSpec> prompts = new ArrayList<>();
        List<String> surfaces = new ArrayList<>();
        List<String> thoughts = new ArrayList<>();
        List<RgbImage> clean = new ArrayList<>();
        List<RgbImage> imperfect = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 10], rnd);
            Scene plan = PlanSampler.sample(p, rnd);
            List<SceneObject> drawn = plan.objects();
            if (rnd.nextBoolean()) {
                List<SceneObject> w = inject(p, plan, Mistake.values()[rnd.nextInt(Mistake.values().length)], rnd);
                if (w != null) {
                    drawn = w;
                }
            }
            prompts.add(p);
            surfaces.add(p.surface(rnd));
            thoughts.add(ThoughtFormat.format(plan));
            RgbImage img = Renderer.renderObjects(drawn);
            clean.add(img);
            imperfect.add(drawn.isEmpty() ? img : ReflectData.corrupt(img, new Scene(drawn), rnd));
        }
        try (StepModel m = StepModels.load(Step.REFLECT, file)) {
            for (boolean corrupted : new boolean[]{false, true}) {
                List<RgbImage> images = corrupted ? imperfect : clean;
                long t0 = System.nanoTime();
                List<String> out = reflectImages(m, prompts, surfaces, thoughts, images);
                double secs = (System.nanoTime() - t0) / 1e9;
                int tp = 0;
                int fp = 0;
                int fn = 0;
                int agree = 0;
                int fixedPlans = 0;
                int shown = 0;
                for (int i = 0; i < n; i++) {
                    boolean fail = !eval.passes(prompts.get(i), images.get(i));
                    boolean flagged = Verdict.of(out.get(i)) == Verdict.NEEDS_CHANGES;
                    agree += fail == flagged ? 1 : 0;
                    if (fail != flagged && shown++ < 6) {
                        System.out.println("disagreement (" + (corrupted ? "imperfect" : "clean") + "): "
                                + surfaces.get(i) + " / evaluator sees " + eval.detect(images.get(i)) + "\n"
                                + out.get(i));
                    }
                    tp += fail && flagged ? 1 : 0;
                    fp += !fail && flagged ? 1 : 0;
                    fn += fail && !flagged ? 1 : 0;
                    if (flagged && fixes(prompts.get(i), finalPlan(out.get(i)))) {
                        fixedPlans++;
                    }
                }
                double precision = tp / (double) Math.max(1, tp + fp);
                double recall = tp / (double) Math.max(1, tp + fn);
                System.out.printf("reflect with the shipped detector on %d %s rendered scenes: agreement %.3f,"
                                + " NEEDS_CHANGES precision %.3f recall %.3f (%d flagged, %d failed), corrected plans"
                                + " valid %d of %d, %.4f s per item at batch 16%n", n,
                        corrupted ? "imperfect" : "clean", agree / (double) n, precision, recall, tp + fp, tp + fn,
                        fixedPlans, tp + fp, secs / n);
                if (!corrupted) {
                    assertThat(precision).isGreaterThanOrEqualTo(0.95);
                    assertThat(recall).isGreaterThanOrEqualTo(0.95);
                    assertThat(fixedPlans).isEqualTo(tp + fp);
                }
            }
        }
    }
}
