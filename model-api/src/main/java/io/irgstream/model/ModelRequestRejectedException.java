package io.irgstream.model;

/**
 * The model (or its server) refused this request and will refuse it again: a content-policy refusal, another 4xx
 * answer, a wrong API key or an unknown model name. The worker dead-letters the record at once with this message,
 * which carries the server's own message and, where a setting is at fault, names it.
 */
public final class ModelRequestRejectedException extends StepModelException {
    public ModelRequestRejectedException(String message) {
        super(message, null);
    }
}
