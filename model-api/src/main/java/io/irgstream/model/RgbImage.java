package io.irgstream.model;

import java.util.Arrays;

/**
 * An 8-bit RGB image, pixels interleaved row-major ({@code r,g,b,r,g,b,...}, y grows downward).
 * The array is owned by the image: callers must not modify it after construction.
 */
public record RgbImage(int width, int height, byte[] pixels) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels == null || pixels.length != width * height * 3) {
            throw new IllegalArgumentException("expected " + (width * height * 3) + " RGB bytes for "
                    + width + "x" + height + ", got " + (pixels == null ? "null" : pixels.length));
        }
    }

    /** Red, green or blue (c = 0, 1, 2) value at (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return pixels[(y * width + x) * 3 + c] & 0xff;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other && other.width == width && other.height == height
                && Arrays.equals(other.pixels, pixels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(pixels);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
