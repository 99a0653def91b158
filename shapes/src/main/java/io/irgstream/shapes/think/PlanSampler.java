package io.irgstream.shapes.think;

import io.irgstream.shapes.prompts.Phrase;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.prompts.RelationClause;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * Samples plans (scenes) that satisfy a prompt, the targets of think training and the corrected plans of reflect
 * training. A plan holds exactly the objects the prompt names (a phrase of count N gives N objects), in prompt order
 * (the objects of one phrase left to right); colors and sizes the prompt leaves open are drawn at random such that
 * no exact quantity gets an extra match (a third circle beside "two red circles" is not red).
 *
 * <p>Plans keep slack so that a plan sampled at a small temperature, or drawn a pixel off, still satisfies the
 * prompt: unsized box sides {@value #MIN_SIDE}..{@value #MAX_SIDE}, small 10..13, large 18..20, at least
 * {@value #MIN_GAP} px between boxes, and relations with at least {@value #RELATION_SLACK} px between the centers.
 */
public final class PlanSampler {
    /** Smallest unsized box side in plans. */
    public static final int MIN_SIDE = 12;
    /** Largest unsized box side in plans. */
    public static final int MAX_SIDE = 18;
    /** Least gap between boxes in plans. */
    public static final int MIN_GAP = 4;
    /** Least distance between the centers of a relation in plans (the world needs more than 3). */
    public static final int RELATION_SLACK = 10;

    private PlanSampler() {
    }

    /** Whether a plan can be found for the prompt (a few seeded tries). */
    public static boolean plannable(PromptSpec p) {
        Random rnd = new Random(p.text().hashCode());
        for (int i = 0; i < 5; i++) {
            if (trySample(p, rnd, 400) != null) {
                return true;
            }
        }
        return false;
    }

    /** A plan satisfying the prompt, with the slack described above. */
    public static Scene sample(PromptSpec p, Random rnd) {
        Scene s = trySample(p, rnd, 20_000);
        if (s == null) {
            throw new IllegalStateException("no plan found for '" + p + "'");
        }
        return s;
    }

    private static Scene trySample(PromptSpec p, Random rnd, int attempts) {
        List<Integer> slots = p.slots();
        for (int attempt = 0; attempt < attempts; attempt++) {
            List<SceneObject> protos = protos(p, slots, rnd);
            if (protos == null) {
                continue;
            }
            List<SceneObject> placed = new ArrayList<>();
            boolean ok = true;
            for (int k = 0; k < protos.size() && ok; k++) {
                SceneObject o = protos.get(k);
                RelationClause r = relationInto(p, slots.get(k));
                SceneObject anchor = r == null ? null : placed.get(slots.indexOf(r.a()));
                SceneObject q = null;
                for (int t = 0; t < 200 && q == null; t++) {
                    SceneObject cand = randomAt(o, rnd);
                    if (free(cand, placed) && (anchor == null || holdsWithSlack(r.relation(), anchor, cand))) {
                        q = cand;
                    }
                }
                ok = q != null;
                placed.add(q);
            }
            if (!ok) {
                continue;
            }
            sortWithinPhrases(placed, slots);
            if (p.satisfiedBy(placed)) {
                return new Scene(placed);
            }
        }
        return null;
    }

    private static RelationClause relationInto(PromptSpec p, int phrase) {
        for (RelationClause r : p.relations()) {
            if (r.b() == phrase) {
                return r;
            }
        }
        return null;
    }

    /** Shapes, colors and sides of the plan's objects (positions unset), or null when this draw over-matched. */
    private static List<SceneObject> protos(PromptSpec p, List<Integer> slots, Random rnd) {
        List<SceneObject> out = new ArrayList<>();
        for (int phrase : slots) {
            Phrase ph = p.phrases().get(phrase);
            Color c = ph.color() != null ? ph.color() : Color.values()[rnd.nextInt(Color.values().length)];
            int side;
            if (ph.size() != null) {
                side = ph.size().planMin() + rnd.nextInt(ph.size().planMax() - ph.size().planMin() + 1);
            } else {
                side = MIN_SIDE + rnd.nextInt(MAX_SIDE - MIN_SIDE + 1);
            }
            out.add(new SceneObject(ph.shape(), c, 0, 0, side));
        }
        for (Phrase ph : p.phrases()) {
            if (!ph.exact()) {
                continue;
            }
            int k = 0;
            for (SceneObject o : out) {
                if (o.shape() == ph.shape() && (ph.color() == null || o.color() == ph.color())
                        && (ph.size() == null || (ph.size() == Size.SMALL ? o.size() <= 15 : o.size() >= 16))) {
                    k++;
                }
            }
            if (k != ph.count()) {
                return null;
            }
        }
        return out;
    }

    private static void sortWithinPhrases(List<SceneObject> placed, List<Integer> slots) {
        int i = 0;
        while (i < slots.size()) {
            int j = i;
            while (j < slots.size() && slots.get(j).equals(slots.get(i))) {
                j++;
            }
            if (j - i > 1) {
                List<SceneObject> sub = new ArrayList<>(placed.subList(i, j));
                sub.sort(Comparator.comparingInt(SceneObject::centerX).thenComparingInt(SceneObject::centerY));
                for (int k = i; k < j; k++) {
                    placed.set(k, sub.get(k - i));
                }
            }
            i = j;
        }
    }

    private static SceneObject randomAt(SceneObject o, Random rnd) {
        int s = o.size();
        return new SceneObject(o.shape(), o.color(), 1 + rnd.nextInt(Scene.SIZE - s - 1),
                1 + rnd.nextInt(Scene.SIZE - s - 1), s);
    }

    private static boolean free(SceneObject o, List<SceneObject> others) {
        if (!SceneSampler.fits(o, others)) {
            return false;
        }
        for (SceneObject q : others) {
            if (o.gapTo(q) < MIN_GAP) {
                return false;
            }
        }
        return true;
    }

    /** A random place for one object (unsized sides) that keeps the plan slack from the others, or null. */
    public static SceneObject placeOne(Shape shape, Color color, List<SceneObject> others, Random rnd) {
        for (int t = 0; t < 200; t++) {
            int s = MIN_SIDE + rnd.nextInt(MAX_SIDE - MIN_SIDE + 1);
            SceneObject o = new SceneObject(shape, color, 1 + rnd.nextInt(Scene.SIZE - s - 1),
                    1 + rnd.nextInt(Scene.SIZE - s - 1), s);
            if (free(o, others)) {
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
}
