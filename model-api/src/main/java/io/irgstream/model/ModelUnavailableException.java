package io.irgstream.model;

import java.time.Duration;
import java.util.Optional;

/**
 * The model could not answer now (HTTP 429 or 5xx, a timeout, a connection that failed): a later attempt may succeed.
 * The worker retries the record through its retry tiers, waiting at least {@link #retryAfter()} when the server said
 * how long.
 */
public final class ModelUnavailableException extends StepModelException {
    private final Duration retryAfter;

    /**
     * @param message    what failed, one line, naming the server
     * @param retryAfter how long the server asked to wait (its Retry-After), or null when it did not say
     * @param cause      the underlying exception, or null
     */
    public ModelUnavailableException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    /** How long the server asked the client to wait before trying again, when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
