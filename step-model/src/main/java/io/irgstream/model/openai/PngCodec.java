package io.irgstream.model.openai;

import io.irgstream.model.RgbImage;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Images to and from the bytes that travel over the APIs: PNG out; PNG, JPEG, GIF or BMP in (alpha dropped). */
public final class PngCodec {
    private PngCodec() {
    }

    /** {@code image} as PNG bytes (RGB, 8 bits per channel). */
    public static byte[] encode(RgbImage image) {
        BufferedImage b = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        byte[] p = image.pixels();
        for (int y = 0, i = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++, i += 3) {
                b.setRGB(x, y, (p[i] & 0xff) << 16 | (p[i + 1] & 0xff) << 8 | (p[i + 2] & 0xff));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(b, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes an image file's bytes.
     *
     * @throws IllegalArgumentException when the bytes are not an image ImageIO can read
     */
    public static RgbImage decode(byte[] bytes) {
        BufferedImage b;
        try {
            b = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException("not a readable image: " + e.getMessage(), e);
        }
        if (b == null) {
            throw new IllegalArgumentException("not an image (" + bytes.length + " bytes in no format ImageIO reads)");
        }
        byte[] p = new byte[b.getWidth() * b.getHeight() * 3];
        for (int y = 0, i = 0; y < b.getHeight(); y++) {
            for (int x = 0; x < b.getWidth(); x++, i += 3) {
                int rgb = b.getRGB(x, y);
                p[i] = (byte) (rgb >> 16);
                p[i + 1] = (byte) (rgb >> 8);
                p[i + 2] = (byte) rgb;
            }
        }
        return new RgbImage(b.getWidth(), b.getHeight(), p);
    }
}
