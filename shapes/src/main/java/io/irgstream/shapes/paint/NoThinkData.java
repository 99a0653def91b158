package io.irgstream.shapes.paint;

import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.world.Scene;
import java.util.Random;

/**
 * Training pairs of the no-think painter: a prompt of the shapes-world language (a uniformly random one of the ten
 * categories, {@link PromptSpec#sample}; half in canonical form, half as a user might type it,
 * {@link PromptSpec#surface}) and a scene that satisfies it ({@link PlanSampler}). The renderer turns the scene into
 * the target image; the network never sees the scene.
 */
final class NoThinkData {
    /** A prompt and a scene that passes it. */
    record Example(String prompt, Scene scene) {
    }

    private NoThinkData() {
    }

    /** Where the prompts come from, for the manifest. */
    static String source() {
        return "prompt language v2: PromptSpec.sample over the ten categories, half canonical, half surface forms;"
                + " scenes from PlanSampler";
    }

    /** A random prompt with a scene that satisfies it. */
    static Example sample(Random rnd) {
        PromptSpec spec = PromptSpec.sample(rnd);
        String prompt = rnd.nextBoolean() ? spec.text() : spec.surface(rnd);
        return new Example(prompt, PlanSampler.sample(spec, rnd));
    }
}
