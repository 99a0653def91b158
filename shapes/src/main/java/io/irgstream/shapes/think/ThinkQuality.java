package io.irgstream.shapes.think;

import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.ThoughtFormat;

import java.util.ArrayList;
import java.util.List;

/** Judges thoughts: does a thought parse, form a valid scene, and satisfy its prompt when drawn exactly? */
public final class ThinkQuality {
    private ThinkQuality() {
    }

    /**
     * Whether the thought parses into a valid scene whose objects satisfy the prompt with drawing slack
     * ({@link PromptSpec#satisfiedBy}).
     */
    public static boolean good(PromptSpec prompt, String thought) {
        Scene scene;
        try {
            scene = ThoughtFormat.parse(thought);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return prompt.satisfiedBy(scene.objects());
    }

    /** The objects of a plan as an exact drawing would show them. */
    public static List<DetectedObject> asDetected(Scene scene) {
        List<DetectedObject> out = new ArrayList<>();
        for (SceneObject o : scene.objects()) {
            out.add(new DetectedObject(o.shape(), o.color(), o.centerX(), o.centerY(), o.size(), o.size() * o.size()));
        }
        return out;
    }
}
