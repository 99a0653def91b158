package io.irgstream.worker;

/**
 * A record's output event is larger than the producer may send ({@code max.request.size}) or the output topic
 * accepts ({@code max.message.bytes}), even with its images in the blob store: no attempt can send it, so the record
 * goes to the dead letters at once with the size and the limit ({@link FailureKind#OUTPUT_TOO_LARGE}) and the rest of
 * its batch completes.
 */
public final class OutputTooLargeException extends RuntimeException {
    private final long size;
    private final long limit;

    /**
     * @param topic     the output topic
     * @param size      the record's size in bytes (key, value, headers and record overhead)
     * @param limit     the limit it is over, in bytes
     * @param limitName the setting that sets the limit, e.g. {@code producer.max.request.size}
     */
    public OutputTooLargeException(String topic, long size, long limit, String limitName) {
        super("the output event for " + topic + " is " + size + " bytes, over the limit of " + limit
                + " bytes (" + limitName + "), with its images in the blob store");
        this.size = size;
        this.limit = limit;
    }

    /** The record's size in bytes. */
    public long size() {
        return size;
    }

    /** The limit it is over, in bytes. */
    public long limit() {
        return limit;
    }
}
