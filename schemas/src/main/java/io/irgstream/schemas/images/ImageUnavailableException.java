package io.irgstream.schemas.images;

/**
 * An image could not be read from its store (an I/O error: the blob store is unreachable, a file cannot be opened):
 * unlike its parent's other cases, a later read may succeed. A subclass of {@link ImageIntegrityException} so that a
 * reader that reports any unreadable image with one catch keeps doing so.
 */
public final class ImageUnavailableException extends ImageIntegrityException {
    private static final long serialVersionUID = 1L;

    public ImageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
