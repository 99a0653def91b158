package io.irgstream.schemas.images;

import io.irgstream.events.ImageRef;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Turns encoded images into {@link ImageRef}s and back. Images whose encoding is at most {@code inlineMaxBytes} travel inline in
 * the event; larger ones go to the {@link BlobStore}. Every read verifies the sha256.
 */
public final class ImageStore {
    private final BlobStore blobs;
    private final int inlineMaxBytes;

    public ImageStore(BlobStore blobs, int inlineMaxBytes) {
        if (inlineMaxBytes < 0) {
            throw new IllegalArgumentException("inlineMaxBytes must be >= 0, got " + inlineMaxBytes);
        }
        this.blobs = blobs;
        this.inlineMaxBytes = inlineMaxBytes;
    }

    /**
     * Stores encoded image bytes and returns their reference: inline when at most the inline limit, else in the blob
     * store under their sha256.
     */
    public ImageRef put(byte[] encoded, String mediaType, int width, int height) throws IOException {
        String sha = sha256(encoded);
        ImageRef.Builder ref = ImageRef.newBuilder()
                .setSha256(sha)
                .setMediaType(mediaType)
                .setWidth(width)
                .setHeight(height)
                .setSizeBytes(encoded.length);
        if (encoded.length <= inlineMaxBytes) {
            ref.setInline(ByteBuffer.wrap(encoded)).setUri(null);
        } else {
            ref.setInline(null).setUri(blobs.put(sha, mediaType, encoded).toString());
        }
        return ref.build();
    }

    /**
     * This store with another inline limit (the same blob store): {@code withInlineMaxBytes(0)} puts every image in the
     * blob store, e.g. for an event that would be too large with its images inline.
     */
    public ImageStore withInlineMaxBytes(int inlineMaxBytes) {
        return new ImageStore(blobs, inlineMaxBytes);
    }

    /**
     * The verified encoded bytes of {@code ref}.
     *
     * @throws ImageIntegrityException when the bytes do not match the reference's sha256, the reference has none, or
     *     its uri lies outside the blob store (outside its root or bucket/prefix: never read)
     * @throws ImageUnavailableException when the blob store cannot be read (a later read may succeed)
     */
    public byte[] bytes(ImageRef ref) {
        byte[] bytes;
        if (ref.getInline() != null) {
            ByteBuffer b = ref.getInline().duplicate();
            bytes = new byte[b.remaining()];
            b.get(bytes);
        } else if (ref.getUri() != null) {
            URI uri;
            try {
                uri = URI.create(ref.getUri());
            } catch (IllegalArgumentException e) {
                throw new ImageIntegrityException("image " + ref.getSha256() + " has a malformed uri: " + e.getMessage());
            }
            if (!blobs.readsScheme(uri.getScheme())) {
                throw new ImageUnavailableException("cannot read image " + ref.getSha256() + " from " + uri
                        + ": it is in another kind of blob store than this process's (" + blobs + "); give that store's"
                        + " settings (blob.store.uri, --blob-store)", null);
            }
            if (!blobs.handles(uri)) {
                throw new ImageIntegrityException("image " + ref.getSha256() + " refers to " + uri
                        + ", which is outside the blob store " + blobs + "; it is not read");
            }
            try {
                bytes = blobs.get(uri);
            } catch (IOException e) {
                throw new ImageUnavailableException("cannot read image " + ref.getSha256() + " from " + uri + ": " + e, e);
            }
        } else {
            throw new ImageIntegrityException("image " + ref.getSha256() + " has neither inline bytes nor a uri");
        }
        String actual = sha256(bytes);
        if (!actual.equals(ref.getSha256())) {
            throw new ImageIntegrityException("image integrity check failed: expected sha256 " + ref.getSha256()
                    + " but the bytes hash to " + actual + (ref.getUri() != null ? " (" + ref.getUri() + ")" : " (inline)"));
        }
        return bytes;
    }

    /** Lower-case hex sha256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }
}
