package io.irgstream.topology.internals;

/** An API failure with its HTTP status and a one-line message for the client. */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  HTTP status code
     * @param message one line saying what was wrong and what to do
     */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** @return the HTTP status code */
    public int status() {
        return status;
    }
}
