package io.irgstream.shapes.think;

import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Samples plans (scenes) that satisfy a prompt, the targets of think training and the corrected plans of reflect
 * training. A plan holds exactly the objects the prompt names (counting: N objects of the shape), colors drawn at
 * random where the prompt leaves them open, in a canonical order (prompt order; counting: left to right).
 *
 * <p>Plans keep slack so that a plan sampled at a small temperature, or drawn a pixel off, still satisfies the
 * prompt: box sides {@value #MIN_SIDE}..{@value #MAX_SIDE}, at least {@value #MIN_GAP} px between boxes, and
 * relations with at least {@value #RELATION_SLACK} px between the centers.
 */
public final class PlanSampler {
    /** Smallest box side in plans. */
    public static final int MIN_SIDE = 12;
    /** Largest box side in plans. */
    public static final int MAX_SIDE = 18;
    /** Least gap between boxes in plans. */
    public static final int MIN_GAP = 4;
    /** Least distance between the centers of a relation in plans (WORLD.md needs more than 3). */
    public static final int RELATION_SLACK = 10;

    private PlanSampler() {
    }

    /** The shapes and colors a prompt's plan holds, colors random where open. */
    public static List<SceneObject> objectsFor(PromptSpec p, Random rnd) {
        List<SceneObject> out = new ArrayList<>();
        switch (p.category()) {
            case SINGLE_OBJECT -> out.add(proto(p.shape1(), randomColor(rnd)));
            case COLORS -> out.add(proto(p.shape1(), p.color1()));
            case TWO_OBJECT, POSITION -> {
                out.add(proto(p.shape1(), randomColor(rnd)));
                out.add(proto(p.shape2(), randomColor(rnd)));
            }
            case COLOR_ATTR -> {
                out.add(proto(p.shape1(), p.color1()));
                out.add(proto(p.shape2(), p.color2()));
            }
            case COUNTING -> {
                for (int i = 0; i < p.count(); i++) {
                    out.add(proto(p.shape1(), randomColor(rnd)));
                }
            }
        }
        return out;
    }

    /** A plan satisfying the prompt, with the slack described above. */
    public static Scene sample(PromptSpec p, Random rnd) {
        List<SceneObject> protos = objectsFor(p, rnd);
        for (int attempt = 0; attempt < 100_000; attempt++) {
            List<SceneObject> placed = new ArrayList<>();
            boolean ok = true;
            for (SceneObject o : protos) {
                SceneObject q = placeOne(o.shape(), o.color(), placed, rnd);
                if (q == null) {
                    ok = false;
                    break;
                }
                placed.add(q);
            }
            if (!ok) {
                continue;
            }
            if (p.relation() != null && !holdsWithSlack(p.relation(), placed.get(0), placed.get(1))) {
                continue;
            }
            if (p.category() == io.irgstream.shapes.prompts.Category.COUNTING) {
                placed.sort(Comparator.comparingInt(SceneObject::centerX).thenComparingInt(SceneObject::centerY));
            }
            return new Scene(placed);
        }
        throw new IllegalStateException("no plan found for '" + p + "'");
    }

    /** A random place for one object that keeps the plan slack from the others, or null after many tries. */
    public static SceneObject placeOne(Shape shape, Color color, List<SceneObject> others, Random rnd) {
        for (int t = 0; t < 200; t++) {
            int s = MIN_SIDE + rnd.nextInt(MAX_SIDE - MIN_SIDE + 1);
            SceneObject o = new SceneObject(shape, color, 1 + rnd.nextInt(Scene.SIZE - s - 1),
                    1 + rnd.nextInt(Scene.SIZE - s - 1), s);
            boolean free = SceneSampler.fits(o, others);
            for (SceneObject q : others) {
                free &= o.gapTo(q) >= MIN_GAP;
            }
            if (free) {
                return o;
            }
        }
        return null;
    }

    /** Whether a stands in relation r to b with the plan slack. */
    public static boolean holdsWithSlack(Relation r, SceneObject a, SceneObject b) {
        return switch (r) {
            case LEFT_OF -> a.centerX() <= b.centerX() - RELATION_SLACK;
            case RIGHT_OF -> a.centerX() >= b.centerX() + RELATION_SLACK;
            case ABOVE -> a.centerY() <= b.centerY() - RELATION_SLACK;
            case BELOW -> a.centerY() >= b.centerY() + RELATION_SLACK;
        };
    }

    private static SceneObject proto(Shape s, Color c) {
        return new SceneObject(s, c, 0, 0, MIN_SIDE);
    }

    private static Color randomColor(Random rnd) {
        return Color.values()[rnd.nextInt(Color.values().length)];
    }
}
