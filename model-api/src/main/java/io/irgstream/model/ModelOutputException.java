package io.irgstream.model;

/**
 * The model answered, but its answer cannot be used: malformed JSON, no image, an image that does not decode, a
 * reflection without a verdict line. The worker retries the record (a sampled answer may differ) and then
 * dead-letters it; the message quotes the answer (shortened).
 */
public final class ModelOutputException extends StepModelException {
    public ModelOutputException(String message) {
        super(message, null);
    }

    public ModelOutputException(String message, Throwable cause) {
        super(message, cause);
    }
}
