package io.irgstream.shapes.paint;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Injects the draft mistakes that refine learns to fix: wrong color, wrong shape, missing object, extra object (half
 * of the time a copy of an existing object's shape and color, which breaks exact counts), moved object, wrong size
 * (a small object made large or the other way round). Training data and {@code eval --wrong-plans} only.
 */
public final class Mistakes {
    /** The kinds of mistake. */
    public enum Kind { COLOR, SHAPE, MISSING, EXTRA, MOVED, SIZE }

    private Mistakes() {
    }

    /** The draft objects made from a correct scene with one mistake of the given kind (the scene when impossible). */
    public static List<SceneObject> inject(Scene target, Kind kind, Random rnd) {
        List<SceneObject> objs = new ArrayList<>(target.objects());
        int i = rnd.nextInt(objs.size());
        SceneObject o = objs.get(i);
        switch (kind) {
            case COLOR -> objs.set(i, o.withColor(other(Color.values(), o.color(), rnd)));
            case SHAPE -> objs.set(i, o.withShape(other(Shape.values(), o.shape(), rnd)));
            case MISSING -> objs.remove(i);
            case EXTRA -> {
                for (int t = 0; t < 100; t++) {
                    int s = SceneObject.MIN_SIZE + rnd.nextInt(SceneObject.MAX_SIZE - SceneObject.MIN_SIZE + 1);
                    boolean copy = rnd.nextBoolean();
                    SceneObject e = new SceneObject(copy ? o.shape() : Shape.values()[rnd.nextInt(5)],
                            copy ? o.color() : Color.values()[rnd.nextInt(8)],
                            rnd.nextInt(Scene.SIZE - s + 1), rnd.nextInt(Scene.SIZE - s + 1), copy ? o.size() : s);
                    if (SceneSampler.fits(e, objs)) {
                        objs.add(e);
                        break;
                    }
                }
            }
            case MOVED -> {
                List<SceneObject> rest = new ArrayList<>(objs);
                rest.remove(i);
                for (int t = 0; t < 100; t++) {
                    SceneObject m = o.at(rnd.nextInt(Scene.SIZE - o.size() + 1), rnd.nextInt(Scene.SIZE - o.size() + 1));
                    boolean far = Math.abs(m.centerX() - o.centerX()) > 5 || Math.abs(m.centerY() - o.centerY()) > 5;
                    if (far && SceneSampler.fits(m, rest)) {
                        objs.set(i, m);
                        break;
                    }
                }
            }
            case SIZE -> {
                List<SceneObject> rest = new ArrayList<>(objs);
                rest.remove(i);
                for (int t = 0; t < 100; t++) {
                    int s = o.size() >= 16 ? 10 + rnd.nextInt(3) : 18 + rnd.nextInt(3);
                    SceneObject r = SceneObject.centered(o.shape(), o.color(), o.centerX(), o.centerY(), s);
                    if (t > 0) {
                        r = r.at(Math.max(0, Math.min(Scene.SIZE - s, r.x() + rnd.nextInt(9) - 4)),
                                Math.max(0, Math.min(Scene.SIZE - s, r.y() + rnd.nextInt(9) - 4)));
                    }
                    if (SceneSampler.fits(r, rest)) {
                        objs.set(i, r);
                        break;
                    }
                }
            }
            default -> throw new IllegalStateException(kind.name());
        }
        return objs;
    }

    private static <T> T other(T[] values, T not, Random rnd) {
        T v;
        do {
            v = values[rnd.nextInt(values.length)];
        } while (v == not);
        return v;
    }
}
