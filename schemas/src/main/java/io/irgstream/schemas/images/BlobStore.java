package io.irgstream.schemas.images;

import java.io.IOException;
import java.net.URI;

/**
 * A content-addressed store for image bytes too large to travel inline in an event.
 *
 * <p>Implementations must be safe for concurrent use by several threads and processes: {@link #put} of the same
 * bytes twice is harmless and returns the same URI. The filesystem store is the default; {@link S3BlobStore} keeps
 * the blobs in an S3-compatible object store. {@link BlobStoreConfig} opens the one the settings name.
 */
public interface BlobStore extends AutoCloseable {
    /**
     * Stores {@code bytes} under their sha256 and returns where they live.
     *
     * @param sha256    lower-case hex sha256 of {@code bytes} (the caller has computed it)
     * @param mediaType media type, used for the file extension or the object's content type
     */
    URI put(String sha256, String mediaType, byte[] bytes) throws IOException;

    /** Reads the bytes at {@code uri}; the caller verifies the hash. */
    byte[] get(URI uri) throws IOException;

    /**
     * Whether this store can read {@code uri}: its scheme and location belong to it (under the store's root, or its
     * bucket and prefix). {@link ImageStore} reads no uri a store does not handle, so an event cannot point a reader
     * at any other file or object.
     */
    boolean handles(URI uri);

    /**
     * Whether this store reads addresses of that URI scheme at all ({@code file}, {@code s3}): an address of another
     * scheme is an image kept in another kind of store (a configuration matter), not one outside this store's root.
     */
    boolean readsScheme(String scheme);

    /** Releases the store's connections (none for the filesystem store). */
    @Override
    default void close() {
    }
}
