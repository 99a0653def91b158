package io.irgstream.shapes.paint;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * GenEval-style prompts (the six v1 templates of docs/shapes-world.md's first six categories) paired with scenes that satisfy them, for training the painter's
 * prompt-only (no-think) path and the prompt conditioning of its plan path.
 */
public final class PromptTemplates {
    private static final String[] NUMBERS = {"", "", "two", "three", "four"};

    /** A prompt and a scene that passes it. */
    public record Example(String prompt, Scene scene) {
    }

    private PromptTemplates() {
    }

    private static String article(String next, Random rnd) {
        return next.startsWith("o") && rnd.nextBoolean() ? "an" : "a";
    }

    private static String an(Color c, Shape s, Random rnd) {
        String words = c == null ? s.word() : c.word() + " " + s.word();
        return article(words, rnd) + " " + words;
    }

    /** A random prompt of a random category with a scene made to satisfy it (only the named objects). */
    public static Example sample(Random rnd) {
        Shape[] shapes = Shape.values();
        Color[] colors = Color.values();
        List<Shape> order = new ArrayList<>(List.of(shapes));
        Collections.shuffle(order, rnd);
        Shape s1 = order.get(0);
        Shape s2 = order.get(1);
        Color c1 = colors[rnd.nextInt(colors.length)];
        Color c2 = colors[rnd.nextInt(colors.length)];
        switch (rnd.nextInt(6)) {
            case 0:
                return new Example("a photo of " + an(null, s1, rnd), SceneSampler.place(List.of(s1), List.of(c1), List.of(), rnd));
            case 1:
                return new Example("a photo of " + an(null, s1, rnd) + " and " + an(null, s2, rnd),
                        SceneSampler.place(List.of(s1, s2), List.of(c1, c2), List.of(), rnd));
            case 2: {
                int n = 2 + rnd.nextInt(3);
                List<Shape> ss = new ArrayList<>();
                List<Color> cs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    ss.add(s1);
                    cs.add(colors[rnd.nextInt(colors.length)]);
                }
                return new Example("a photo of " + NUMBERS[n] + " " + s1.plural(), SceneSampler.place(ss, cs, List.of(), rnd));
            }
            case 3:
                return new Example("a photo of " + an(c1, s1, rnd), SceneSampler.place(List.of(s1), List.of(c1), List.of(), rnd));
            case 4: {
                Relation rel = Relation.values()[rnd.nextInt(4)];
                return new Example("a photo of " + an(null, s1, rnd) + " " + rel.words() + " " + an(null, s2, rnd),
                        SceneSampler.place(List.of(s1, s2), List.of(c1, c2),
                                List.of(new SceneSampler.Constraint(0, rel, 1)), rnd));
            }
            default:
                return new Example("a photo of " + an(c1, s1, rnd) + " and " + an(c2, s2, rnd),
                        SceneSampler.place(List.of(s1, s2), List.of(c1, c2), List.of(), rnd));
        }
    }

    /** A prompt that the given scene satisfies (a random applicable category). */
    public static String describe(Scene scene, Random rnd) {
        List<SceneObject> objs = scene.objects();
        SceneObject a = objs.get(rnd.nextInt(objs.size()));
        List<SceneObject> others = new ArrayList<>();
        for (SceneObject o : objs) {
            if (o.shape() != a.shape()) {
                others.add(o);
            }
        }
        int count = 0;
        for (SceneObject o : objs) {
            if (o.shape() == a.shape()) {
                count++;
            }
        }
        for (int tries = 0; tries < 10; tries++) {
            int cat = rnd.nextInt(6);
            if (cat == 0) {
                return "a photo of " + an(null, a.shape(), rnd);
            }
            if (cat == 3) {
                return "a photo of " + an(a.color(), a.shape(), rnd);
            }
            if (cat == 2 && count >= 2) {
                return "a photo of " + NUMBERS[count] + " " + a.shape().plural();
            }
            if (!others.isEmpty() && (cat == 1 || cat == 4 || cat == 5)) {
                SceneObject b = others.get(rnd.nextInt(others.size()));
                if (cat == 1) {
                    return "a photo of " + an(null, a.shape(), rnd) + " and " + an(null, b.shape(), rnd);
                }
                if (cat == 5) {
                    return "a photo of " + an(a.color(), a.shape(), rnd) + " and " + an(b.color(), b.shape(), rnd);
                }
                List<Relation> holding = new ArrayList<>();
                for (Relation r : Relation.values()) {
                    if (r.holds(a, b)) {
                        holding.add(r);
                    }
                }
                if (!holding.isEmpty()) {
                    Relation r = holding.get(rnd.nextInt(holding.size()));
                    return "a photo of " + an(null, a.shape(), rnd) + " " + r.words() + " " + an(null, b.shape(), rnd);
                }
            }
        }
        return "a photo of " + an(a.color(), a.shape(), rnd);
    }
}
