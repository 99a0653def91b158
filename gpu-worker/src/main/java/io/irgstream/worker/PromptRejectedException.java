package io.irgstream.worker;

/**
 * A prompt the step's model does not understand ({@link io.irgstream.model.StepModel#rejections}): bad input, so the
 * record goes to the dead letters at once with the model's reason as its message.
 */
public final class PromptRejectedException extends BadInputException {
    public PromptRejectedException(String reason) {
        super(reason);
    }
}
