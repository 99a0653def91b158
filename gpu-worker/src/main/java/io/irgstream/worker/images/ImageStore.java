package io.irgstream.worker.images;

import io.irgstream.events.ImageRef;
import io.irgstream.model.RgbImage;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Turns images into {@link ImageRef}s and back. Images whose PNG is at most {@code inlineMaxBytes} travel inline in
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

    /** Encodes {@code image} as PNG and returns its reference (inline or stored). */
    public ImageRef put(RgbImage image) throws IOException {
        byte[] png = Png.encode(image);
        String sha = sha256(png);
        ImageRef.Builder ref = ImageRef.newBuilder()
                .setSha256(sha)
                .setMediaType(Png.MEDIA_TYPE)
                .setWidth(image.width())
                .setHeight(image.height())
                .setSizeBytes(png.length);
        if (png.length <= inlineMaxBytes) {
            ref.setInline(ByteBuffer.wrap(png)).setUri(null);
        } else {
            ref.setInline(null).setUri(blobs.put(sha, Png.MEDIA_TYPE, png).toString());
        }
        return ref.build();
    }

    /** The verified encoded bytes of {@code ref}. */
    public byte[] bytes(ImageRef ref) {
        byte[] bytes;
        if (ref.getInline() != null) {
            ByteBuffer b = ref.getInline().duplicate();
            bytes = new byte[b.remaining()];
            b.get(bytes);
        } else if (ref.getUri() != null) {
            URI uri = URI.create(ref.getUri());
            try {
                bytes = blobs.get(uri);
            } catch (IOException e) {
                throw new ImageIntegrityException("cannot read image " + ref.getSha256() + " from " + uri + ": " + e, e);
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

    /** The verified, decoded image of {@code ref}. */
    public RgbImage get(ImageRef ref) {
        return Png.decode(bytes(ref));
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
