package io.irgstream.shapes.paint;

import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.ThoughtFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes training reflections in the fixed IRG format from a known (draft objects, corrected objects) pair: the three
 * sections and the verdict line. Used only to make refine's training data (the reflect step itself judges pixels).
 */
public final class ReflectionText {
    private ReflectionText() {
    }

    /** The reflection that turns {@code draft} into {@code target}; SATISFIED when they are equal. */
    public static String between(List<SceneObject> draft, List<SceneObject> target) {
        List<String> problems = new ArrayList<>();
        List<String> steps = new ArrayList<>();
        List<SceneObject> unmatched = new ArrayList<>(draft);
        for (SceneObject t : target) {
            SceneObject same = find(unmatched, t, true, true, true);
            if (same != null) {
                unmatched.remove(same);
                continue;
            }
            SceneObject placed = find(unmatched, t, false, false, true);
            if (placed != null && placed.shape() == t.shape()) {
                unmatched.remove(placed);
                problems.add("The " + t.shape().word() + " at x " + t.centerX() + " y " + t.centerY() + " is "
                        + placed.color().word() + " but should be " + t.color().word() + ".");
                steps.add("Recolor the " + placed.color().word() + " " + t.shape().word() + " " + t.color().word() + ".");
            } else if (placed != null) {
                unmatched.remove(placed);
                problems.add("The object at x " + t.centerX() + " y " + t.centerY() + " is a " + placed.shape().word()
                        + " but should be a " + t.shape().word() + ".");
                steps.add("Replace the " + placed.color().word() + " " + placed.shape().word() + " with a "
                        + t.color().word() + " " + t.shape().word() + ".");
            } else {
                SceneObject moved = find(unmatched, t, true, true, false);
                if (moved != null) {
                    unmatched.remove(moved);
                    problems.add("The " + t.color().word() + " " + t.shape().word() + " is at x " + moved.centerX()
                            + " y " + moved.centerY() + " but should be at x " + t.centerX() + " y " + t.centerY() + ".");
                    steps.add("Move the " + t.color().word() + " " + t.shape().word() + " to x " + t.centerX() + " y "
                            + t.centerY() + ".");
                } else {
                    problems.add("A " + t.color().word() + " " + t.shape().word() + " is missing.");
                    steps.add("Add a " + ThoughtFormat.format(t) + ".");
                }
            }
        }
        for (SceneObject extra : unmatched) {
            problems.add("There is an extra " + extra.color().word() + " " + extra.shape().word() + " at x "
                    + extra.centerX() + " y " + extra.centerY() + ".");
            steps.add("Remove the " + extra.color().word() + " " + extra.shape().word() + ".");
        }
        boolean ok = problems.isEmpty();
        StringBuilder sb = new StringBuilder("Detailed Explanation of Required Improvements:\n");
        sb.append(ok ? "The image matches the prompt." : String.join(" ", problems)).append('\n');
        sb.append("Step-by-Step Modification Guidance:\n");
        if (ok) {
            sb.append("1. Keep the image as it is.\n");
        } else {
            for (int i = 0; i < steps.size(); i++) {
                sb.append(i + 1).append(". ").append(steps.get(i)).append('\n');
            }
        }
        sb.append("Final Comprehensive Prompt for the Improved Image:\n");
        sb.append(target.isEmpty() ? "" : ThoughtFormat.format(new io.irgstream.shapes.world.Scene(target))).append('\n');
        sb.append("Verdict: ").append(ok ? "SATISFIED" : "NEEDS_CHANGES");
        return sb.toString();
    }

    private static SceneObject find(List<SceneObject> in, SceneObject t, boolean shape, boolean color, boolean place) {
        for (SceneObject o : in) {
            boolean near = Math.abs(o.centerX() - t.centerX()) <= 3 && Math.abs(o.centerY() - t.centerY()) <= 3;
            if ((!shape || o.shape() == t.shape()) && (!color || o.color() == t.color()) && (!place || near)) {
                return o;
            }
        }
        return null;
    }
}
