package io.irgstream.shapes.prompts;

import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.think.ThinkModule;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Shape;
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
 * The Java parser ({@link PromptSpec#parse}) and the TorchScript parser inside the think and reflect modules
 * ({@code prompt_grammar.py}) accept the same prompts with the same reasons, and score objects the same way.
 */
class PromptGrammarParityTest {
    private static JitModule module;

    @BeforeAll
    static void build() {
        module = ThinkModule.create(ThinkModule.Config.QUICK, 1);
    }

    @AfterAll
    static void close() {
        if (module != null) {
            module.close();
        }
    }

    /** Sampled prompts as users type them, and mutations of them (dropped, swapped, repeated and foreign words). */
    static List<String> corpus(int n, long seed) {
        Random rnd = new Random(seed);
        String[] noise = {"and", "a", "two", "left", "of", "above", "small", "large", "red", "circles", "circle", ",",
            "photo", "the", "to", "five", "one", "dog", "."};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = PromptSpec.sample(Category.values()[i % 10], rnd).surface(rnd);
            out.add(p);
            List<String> w = new ArrayList<>(List.of(p.split(" ")));
            switch (rnd.nextInt(5)) {
                case 0 -> w.remove(rnd.nextInt(w.size()));
                case 1 -> w.add(rnd.nextInt(w.size() + 1), noise[rnd.nextInt(noise.length)]);
                case 2 -> java.util.Collections.swap(w, rnd.nextInt(w.size()), rnd.nextInt(w.size()));
                case 3 -> w.set(rnd.nextInt(w.size()), noise[rnd.nextInt(noise.length)]);
                default -> w.addAll(List.of(PromptSpec.sample(rnd).text().split(" ")));
            }
            out.add(String.join(" ", w));
        }
        return out;
    }

    @Test
    void shouldAcceptAndRejectTheSamePromptsWithTheSameReasons() {
        List<String> prompts = corpus(1500, 3);
        prompts.addAll(List.of("", "   ", "a photo of", "A Photo Of An Orange Circle.", "two circles and a red circle",
                "a red large circle", "a circle left of a square above a triangle", "a circle left a square"));
        List<String> ts = new ArrayList<>();
        for (String p : prompts) {
            IValueVector one = new IValueVector();
            one.push_back(new IValue(p));
            org.bytedeco.javacpp.BytePointer r = module.get_method("prompt_problem").apply(one).toStringRef();
            ts.add(r == null ? "" : r.getString());
        }
        int rejected = 0;
        for (int i = 0; i < prompts.size(); i++) {
            String java = PromptSpec.problem(prompts.get(i));
            assertThat(ts.get(i)).as("prompt '%s'", prompts.get(i)).isEqualTo(java == null ? "" : java);
            rejected += java == null ? 0 : 1;
        }
        assertThat(rejected).as("the corpus has rejections to compare").isGreaterThan(300);
    }

    @Test
    void shouldScoreObjectsTheSameWay() {
        Random rnd = new Random(5);
        int agreeTrue = 0;
        for (int i = 0; i < 1500; i++) {
            PromptSpec p = PromptSpec.sample(Category.values()[i % 10], rnd);
            List<DetectedObject> objs = new ArrayList<>();
            int n = 1 + rnd.nextInt(5);
            for (int k = 0; k < n; k++) {
                Shape s = rnd.nextInt(3) == 0 ? p.phrases().get(0).shape() : Shape.values()[rnd.nextInt(5)];
                Color c = rnd.nextInt(3) == 0 && p.phrases().get(0).color() != null ? p.phrases().get(0).color()
                        : Color.values()[rnd.nextInt(8)];
                objs.add(new DetectedObject(s, c, 5 + rnd.nextInt(54), 5 + rnd.nextInt(54), 10 + rnd.nextInt(11), 0));
            }
            if (rnd.nextBoolean()) {
                objs = io.irgstream.shapes.think.ThinkQuality.asDetected(
                        io.irgstream.shapes.think.PlanSampler.sample(p, rnd));
            }
            boolean java = p.passes(objs);
            assertThat(tsSatisfies(p.text(), objs)).as("%s on %s", p, objs).isEqualTo(java);
            agreeTrue += java ? 1 : 0;
        }
        assertThat(agreeTrue).as("both outcomes compared").isBetween(300, 1200);
    }

    private static boolean tsSatisfies(String prompt, List<DetectedObject> objs) {
        long[] rows = new long[objs.size() * 5];
        for (int i = 0; i < objs.size(); i++) {
            DetectedObject o = objs.get(i);
            System.arraycopy(new long[]{o.shape().ordinal(), o.color().ordinal(), o.cx(), o.cy(), o.size()}, 0, rows,
                    i * 5, 5);
        }
        IValueVector in = new IValueVector();
        in.push_back(new IValue(prompt));
        in.push_back(new IValue(Tensors.longs(rows, objs.size(), 5)));
        in.push_back(new IValue(false));
        return module.get_method("satisfies_prompt").apply(in).toBool();
    }
}
