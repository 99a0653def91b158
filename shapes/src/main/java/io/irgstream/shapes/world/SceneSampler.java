package io.irgstream.shapes.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Samples random valid scenes, for training data and tests. All randomness comes from the caller's {@link Random}.
 */
public final class SceneSampler {
    private static final int MAX_TRIES = 10_000;

    /**
     * A spatial constraint between two placed objects: object {@code a} stands in {@code relation} to object {@code b}
     * (indices into the lists given to {@link #place}).
     */
    public record Constraint(int a, Relation relation, int b) {
        public Constraint {
            Objects.requireNonNull(relation, "relation");
            if (a < 0 || b < 0 || a == b) {
                throw new IllegalArgumentException("constraint needs two different object indices, got " + a + ", " + b);
            }
        }
    }

    private SceneSampler() {
    }

    /** A random scene of 1 to 4 objects with random shapes, colors, sizes and places. */
    public static Scene random(Random rnd) {
        return random(1 + rnd.nextInt(Scene.MAX_OBJECTS), rnd);
    }

    /** A random scene of exactly {@code n} objects (1..4). */
    public static Scene random(int n, Random rnd) {
        List<Shape> shapes = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shapes.add(Shape.values()[rnd.nextInt(Shape.values().length)]);
            colors.add(Color.values()[rnd.nextInt(Color.values().length)]);
        }
        return place(shapes, colors, List.of(), rnd);
    }

    /**
     * Places the given objects (shape i with color i) at random sizes and positions so that the scene is valid and
     * every constraint holds.
     *
     * @throws IllegalArgumentException when the lists differ in length, are empty or too long, or no placement was found
     */
    public static Scene place(List<Shape> shapes, List<Color> colors, List<Constraint> constraints, Random rnd) {
        if (shapes.size() != colors.size() || shapes.isEmpty() || shapes.size() > Scene.MAX_OBJECTS) {
            throw new IllegalArgumentException("need 1 to " + Scene.MAX_OBJECTS + " shapes with as many colors, got "
                    + shapes.size() + " shapes and " + colors.size() + " colors");
        }
        for (Constraint c : constraints) {
            if (c.a() >= shapes.size() || c.b() >= shapes.size()) {
                throw new IllegalArgumentException("constraint " + c + " names an object beyond " + shapes.size());
            }
        }
        for (int attempt = 0; attempt < MAX_TRIES; attempt++) {
            List<SceneObject> objects = new ArrayList<>();
            boolean ok = true;
            for (int i = 0; i < shapes.size() && ok; i++) {
                ok = false;
                for (int t = 0; t < 50; t++) {
                    int s = SceneObject.MIN_SIZE + rnd.nextInt(SceneObject.MAX_SIZE - SceneObject.MIN_SIZE + 1);
                    SceneObject o = new SceneObject(shapes.get(i), colors.get(i),
                            rnd.nextInt(Scene.SIZE - s + 1), rnd.nextInt(Scene.SIZE - s + 1), s);
                    if (fits(o, objects)) {
                        objects.add(o);
                        ok = true;
                        break;
                    }
                }
            }
            if (ok && satisfies(objects, constraints)) {
                return new Scene(objects);
            }
        }
        throw new IllegalArgumentException("no valid placement found for " + shapes + " with " + constraints);
    }

    /** Whether an object can join the others: inside the canvas and at least 2 px from every other box. */
    public static boolean fits(SceneObject o, List<SceneObject> others) {
        if (!o.inside(Scene.SIZE, Scene.SIZE)) {
            return false;
        }
        for (SceneObject p : others) {
            if (o.gapTo(p) < Scene.MIN_GAP) {
                return false;
            }
        }
        return true;
    }

    private static boolean satisfies(List<SceneObject> objects, List<Constraint> constraints) {
        for (Constraint c : constraints) {
            if (!c.relation().holds(objects.get(c.a()), objects.get(c.b()))) {
                return false;
            }
        }
        return true;
    }
}
