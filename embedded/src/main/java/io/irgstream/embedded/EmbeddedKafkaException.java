package io.irgstream.embedded;

import org.apache.kafka.common.KafkaException;

/**
 * Thrown when the in-process Kafka broker cannot start or stop, or when topics cannot be bootstrapped.
 *
 * <p>The message is one line meant for the user: it says what went wrong and, where there is one, what to do
 * about it. The underlying failure, if any, is kept as the cause.
 */
public class EmbeddedKafkaException extends KafkaException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a user-facing message.
     *
     * @param message one line describing the failure and the remedy
     */
    public EmbeddedKafkaException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a user-facing message and the failure that caused it.
     *
     * @param message one line describing the failure and the remedy
     * @param cause   the underlying failure
     */
    public EmbeddedKafkaException(String message, Throwable cause) {
        super(message, cause);
    }
}
