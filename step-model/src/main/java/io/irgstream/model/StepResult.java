package io.irgstream.model;

/**
 * One trajectory's output of a step: text for think and reflect, an image for draw and refine.
 */
public record StepResult(String text, RgbImage image) {
    public static StepResult text(String text) {
        return new StepResult(text, null);
    }

    public static StepResult image(RgbImage image) {
        return new StepResult(null, image);
    }
}
