package io.irgstream.model;

/**
 * One trajectory's input to a step. Which fields are set depends on the step:
 * think reads the prompt; draw adds the thought; reflect adds the image; refine adds the reflection.
 *
 * @param trajectoryId identifies the trajectory (for logs and errors only: a model must not depend on it)
 * @param stepSeed     the seed of this step of this trajectory; all randomness of the step comes from it
 * @param prompt       the user's prompt, never null
 * @param thought      the think step's text, null for think (and for a no-think draw)
 * @param image        the image to reflect on or refine, null for think and draw
 * @param reflection   the reflection text, only for refine
 * @param sampling     sampler parameters
 */
public record StepRequest(String trajectoryId, long stepSeed, String prompt, String thought, RgbImage image,
                          String reflection, Sampling sampling) {
    public StepRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null");
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null");
        }
    }
}
