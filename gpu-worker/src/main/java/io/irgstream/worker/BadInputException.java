package io.irgstream.worker;

/**
 * An input record that no attempt can process: no value, bytes that do not decode as the topic's event type, an
 * empty trajectory id or prompt, invalid sampler parameters. It goes to the dead letters at once with this message
 * ({@link FailureKind#BAD_INPUT}).
 */
public class BadInputException extends RuntimeException {
    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
