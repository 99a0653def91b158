package io.irgstream.shapes.world;

import java.util.List;

/**
 * A valid scene of the shapes world: 1 to {@value #MAX_OBJECTS} objects whose boxes lie inside the
 * {@value #SIZE}x{@value #SIZE} canvas and keep at least {@value #MIN_GAP} px between each other (docs/shapes-world.md).
 * The constructor rejects anything else with a message naming the problem.
 */
public record Scene(List<SceneObject> objects) {
    /** Canvas width and height. */
    public static final int SIZE = 64;
    /** Most objects in a scene. */
    public static final int MAX_OBJECTS = 4;
    /** Least number of empty pixels between two boxes. */
    public static final int MIN_GAP = 2;

    public Scene {
        String problem = problem(objects);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        objects = List.copyOf(objects);
    }

    /** Why a list of objects is not a valid scene, or null when it is. */
    public static String problem(List<SceneObject> objects) {
        if (objects == null || objects.isEmpty() || objects.size() > MAX_OBJECTS) {
            return "a scene has 1 to " + MAX_OBJECTS + " objects, got " + (objects == null ? "null" : objects.size());
        }
        for (int i = 0; i < objects.size(); i++) {
            SceneObject a = objects.get(i);
            if (a == null) {
                return "object " + i + " is null";
            }
            if (!a.inside(SIZE, SIZE)) {
                return "object " + i + " (" + a + ") is not inside the " + SIZE + "x" + SIZE + " canvas";
            }
            for (int j = 0; j < i; j++) {
                SceneObject b = objects.get(j);
                if (b != null && a.gapTo(b) < MIN_GAP) {
                    return "objects " + j + " and " + i + " are closer than " + MIN_GAP + " px (" + b + ", " + a + ")";
                }
            }
        }
        return null;
    }

    /** Whether the list of objects is a valid scene. */
    public static boolean isValid(List<SceneObject> objects) {
        return problem(objects) == null;
    }
}
