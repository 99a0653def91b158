package io.irgstream.schemas.images;

/** An image's bytes do not match the sha256 its reference records, or cannot be read at all. */
public final class ImageIntegrityException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageIntegrityException(String message) {
        super(message);
    }

    public ImageIntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
