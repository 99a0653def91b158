package io.irgstream.worker.images;

import io.irgstream.model.RgbImage;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.events.ImageRef;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Lossless PNG encoding of {@link RgbImage}s. */
public final class Png {
    public static final String MEDIA_TYPE = "image/png";

    private Png() {
    }

    /** Encodes an RGB image as PNG (8-bit, 3 channels). */
    public static byte[] encode(RgbImage image) {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] p = image.pixels();
        int[] row = new int[image.width()];
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int i = (y * image.width() + x) * 3;
                row[x] = ((p[i] & 0xff) << 16) | ((p[i + 1] & 0xff) << 8) | (p[i + 2] & 0xff);
            }
            bi.setRGB(0, y, image.width(), 1, row, 0, image.width());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            if (!ImageIO.write(bi, "png", out)) {
                throw new IllegalStateException("no PNG writer available in this JVM");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Encodes {@code image} as PNG and stores it (inline or in the blob store). */
    public static ImageRef store(ImageStore images, RgbImage image) throws IOException {
        return images.put(encode(image), MEDIA_TYPE, image.width(), image.height());
    }

    /** Reads, verifies and decodes the PNG image of {@code ref}. */
    public static RgbImage load(ImageStore images, ImageRef ref) {
        return decode(images.bytes(ref));
    }

    /** Decodes PNG bytes to RGB (alpha, if any, is dropped). */
    public static RgbImage decode(byte[] png) {
        BufferedImage bi;
        try {
            bi = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new ImageIntegrityException("image bytes are not a readable PNG: " + e.getMessage(), e);
        }
        if (bi == null) {
            throw new ImageIntegrityException("image bytes are not a readable PNG");
        }
        int w = bi.getWidth();
        int h = bi.getHeight();
        byte[] px = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            bi.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                px[i] = (byte) (row[x] >> 16);
                px[i + 1] = (byte) (row[x] >> 8);
                px[i + 2] = (byte) row[x];
            }
        }
        return new RgbImage(w, h, px);
    }
}
