package io.irgstream.schemas;

/**
 * A schema registry call failed: the registry answered with an error, or could not be reached at all.
 *
 * <p>{@link #status()} is the HTTP status of the registry's answer, or {@link #NO_RESPONSE} when no answer came
 * (connection refused, timeout, unknown host). {@link #errorCode()} is the Confluent {@code error_code} of the answer
 * (for example 40403 "schema not found", 409 "incompatible schema", 42201 "invalid schema"), or the HTTP status when
 * the body carried none. The message is one line a person can act on.
 */
public class SchemaRegistryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** {@link #status()} when the registry could not be reached and no HTTP answer exists. */
    public static final int NO_RESPONSE = 0;

    /** Confluent error code: subject not found. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** Confluent error code: version not found. */
    public static final int VERSION_NOT_FOUND = 40402;
    /** Confluent error code: schema (id or content) not found. */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** Confluent error code: the subject has no subject-level compatibility configured. */
    public static final int SUBJECT_COMPATIBILITY_NOT_CONFIGURED = 40408;
    /** Confluent error code: the schema is incompatible with an earlier version of the subject. */
    public static final int INCOMPATIBLE_SCHEMA = 409;
    /** Confluent error code: the schema is not valid. */
    public static final int INVALID_SCHEMA = 42201;
    /** Confluent error code: the compatibility level is not valid. */
    public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    /** The subject name is not allowed (a path-like or control-character name; the embedded registry's rule). */
    public static final int INVALID_SUBJECT = 42208;

    /** HTTP status, or {@link #NO_RESPONSE}. */
    private final int status;
    /** Confluent error code, or the HTTP status. */
    private final int errorCode;

    /**
     * Creates an exception.
     *
     * @param message   one-line reason
     * @param status    HTTP status, or {@link #NO_RESPONSE}
     * @param errorCode Confluent error code, or the HTTP status when there is none
     * @param cause     underlying cause, may be null
     */
    public SchemaRegistryException(String message, int status, int errorCode, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** @return HTTP status of the registry's answer, or {@link #NO_RESPONSE} if it could not be reached */
    public int status() {
        return status;
    }

    /** @return Confluent error code of the answer ({@code error_code}), or the HTTP status when there was none */
    public int errorCode() {
        return errorCode;
    }

    /** @return true when the registry refused a schema as incompatible (HTTP 409) */
    public boolean isIncompatible() {
        return status == 409;
    }

    /** @return true when the registry answered "not found" (HTTP 404): unknown subject, version or schema id */
    public boolean isNotFound() {
        return status == 404;
    }

    /**
     * @return true when retrying later may succeed: the registry could not be reached, or answered with a 5xx
     *     (or 408/429); false for answers about the request itself (bad schema, unknown id, incompatible)
     */
    public boolean isRetriable() {
        return status == NO_RESPONSE || status >= 500 || status == 408 || status == 429;
    }
}
