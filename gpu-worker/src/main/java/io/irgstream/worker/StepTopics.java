package io.irgstream.worker;

import java.util.List;

/**
 * The topics one step worker reads and writes.
 *
 * @param inputs      the topics the step consumes (reflect reads draft images and, for extra rounds, final images)
 * @param output      the topic the step produces
 * @param deadLetters where records the step cannot process go
 */
public record StepTopics(List<String> inputs, String output, String deadLetters) {
    public StepTopics {
        inputs = List.copyOf(inputs);
    }
}
