package io.irgstream.schemas.images;

/**
 * An image's bytes do not match the sha256 its reference records, the reference has no bytes, or the bytes are not a
 * readable image: no later read can succeed. Its subclass {@link ImageUnavailableException} says the store could not
 * be read right now (a later read may succeed).
 */
public class ImageIntegrityException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageIntegrityException(String message) {
        super(message);
    }

    public ImageIntegrityException(String message, Throwable cause) {
        super(message, cause);
    }
}
