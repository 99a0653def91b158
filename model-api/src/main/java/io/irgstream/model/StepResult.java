package io.irgstream.model;

/**
 * One trajectory's output of a step: text for think and reflect, an image for draw and refine.
 *
 * @param text   the text of think or reflect, else null
 * @param image  the image of draw or refine, else null
 * @param remote provenance of the remote call that made it, or null for a model that runs in-process
 */
public record StepResult(String text, RgbImage image, RemoteCall remote) {
    /** A result made in-process. */
    public StepResult(String text, RgbImage image) {
        this(text, image, null);
    }

    public static StepResult text(String text) {
        return new StepResult(text, null, null);
    }

    public static StepResult image(RgbImage image) {
        return new StepResult(null, image, null);
    }
}
