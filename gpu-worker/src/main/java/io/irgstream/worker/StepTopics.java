package io.irgstream.worker;

import io.irgstream.model.Step;

/**
 * Input and output topic of each step, under a prefix (default {@code irg.}).
 *
 * @param input  the topic the step consumes
 * @param output the topic the step produces
 * @param deadLetters where records the step cannot process go
 */
public record StepTopics(String input, String output, String deadLetters) {
    /** The topics of {@code step} under {@code prefix}. */
    public static StepTopics of(Step step, String prefix) {
        return switch (step) {
            case THINK -> new StepTopics(prefix + "prompts", prefix + "thoughts", prefix + "dead-letters");
            case DRAW -> new StepTopics(prefix + "thoughts", prefix + "draft-images", prefix + "dead-letters");
            case REFLECT -> new StepTopics(prefix + "draft-images", prefix + "reflections", prefix + "dead-letters");
            case REFINE -> new StepTopics(prefix + "reflections", prefix + "final-images", prefix + "dead-letters");
        };
    }
}
