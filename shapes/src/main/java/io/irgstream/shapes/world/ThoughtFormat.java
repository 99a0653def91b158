package io.irgstream.shapes.world;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The thought (plan) text shared by think, draw, reflect and refine: objects separated by {@code " ; "}, each
 * {@code <color> <shape> at x <cx> y <cy> size <s>} with the integer box center and side, lower case, e.g.
 * {@code red circle at x 18 y 32 size 14 ; blue square at x 46 y 31 size 16}.
 */
public final class ThoughtFormat {
    /** Separator between objects. */
    public static final String SEPARATOR = " ; ";

    private ThoughtFormat() {
    }

    /** Formats one object. */
    public static String format(SceneObject o) {
        return o.color().word() + " " + o.shape().word() + " at x " + o.centerX() + " y " + o.centerY()
                + " size " + o.size();
    }

    /** Formats a scene, objects in scene order. */
    public static String format(Scene scene) {
        StringJoiner j = new StringJoiner(SEPARATOR);
        for (SceneObject o : scene.objects()) {
            j.add(format(o));
        }
        return j.toString();
    }

    /**
     * Parses the objects of a thought without checking that they form a valid scene (a wrong plan is still a plan).
     *
     * @throws IllegalArgumentException naming the bad part when the text does not follow the format
     */
    public static List<SceneObject> parseObjects(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("thought is empty: expected '<color> <shape> at x <cx> y <cy> size <s>'"
                    + " objects separated by ' ; '");
        }
        List<SceneObject> out = new ArrayList<>();
        for (String part : text.trim().split("\\s*;\\s*")) {
            String[] t = part.trim().split("\\s+");
            if (t.length != 9 || !t[2].equals("at") || !t[3].equals("x") || !t[5].equals("y") || !t[7].equals("size")) {
                throw new IllegalArgumentException("bad object '" + part
                        + "' in thought: expected '<color> <shape> at x <cx> y <cy> size <s>'");
            }
            try {
                Color color = Color.parse(t[0]);
                Shape shape = Shape.parse(t[1]);
                int cx = Integer.parseInt(t[4]);
                int cy = Integer.parseInt(t[6]);
                int size = Integer.parseInt(t[8]);
                out.add(SceneObject.centered(shape, color, cx, cy, size));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad object '" + part + "' in thought: " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Parses a thought into a valid scene.
     *
     * @throws IllegalArgumentException when the text does not follow the format or the objects are not a valid scene
     */
    public static Scene parse(String text) {
        List<SceneObject> objects = parseObjects(text);
        String problem = Scene.problem(objects);
        if (problem != null) {
            throw new IllegalArgumentException("thought '" + text + "' is not a valid scene: " + problem);
        }
        return new Scene(objects);
    }
}
