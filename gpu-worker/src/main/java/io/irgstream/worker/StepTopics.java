package io.irgstream.worker;

import io.irgstream.model.Step;
import io.irgstream.schemas.Topics;

/**
 * Input and output topic of a step.
 *
 * @param input       the topic the step consumes
 * @param output      the topic the step produces
 * @param deadLetters where records the step cannot process go
 */
public record StepTopics(String input, String output, String deadLetters) {
    /** The topics of {@code step} in {@code topics}. */
    public static StepTopics of(Step step, Topics topics) {
        String dl = topics.deadLetters().name();
        return switch (step) {
            case THINK -> new StepTopics(topics.prompts().name(), topics.thoughts().name(), dl);
            case DRAW -> new StepTopics(topics.thoughts().name(), topics.draftImages().name(), dl);
            case REFLECT -> new StepTopics(topics.draftImages().name(), topics.reflections().name(), dl);
            case REFINE -> new StepTopics(topics.reflections().name(), topics.finalImages().name(), dl);
        };
    }
}
