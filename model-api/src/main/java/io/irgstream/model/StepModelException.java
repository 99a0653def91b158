package io.irgstream.model;

/**
 * A typed failure of a model call. Any engine may throw the subclasses; the worker routes a failed record on the
 * subclass alone, never on the message:
 * <ul>
 *   <li>{@link ModelUnavailableException}: transient (server busy or down, timeout): retried through the retry
 *       tiers, no earlier than its {@code retryAfter}.</li>
 *   <li>{@link ModelRequestRejectedException}: the model or its server refused this request (content policy, a
 *       request it cannot serve, a wrong key or model name): no retry can succeed, so it is dead-lettered at once
 *       with the message.</li>
 *   <li>{@link ModelOutputException}: the model answered, but the answer is unusable (malformed, no verdict): retried
 *       (sampling may differ), then dead-lettered with the answer in the message.</li>
 * </ul>
 * Any other exception from a model is treated as before: retried, then dead-lettered.
 */
public abstract sealed class StepModelException extends RuntimeException
        permits ModelUnavailableException, ModelRequestRejectedException, ModelOutputException {
    protected StepModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
