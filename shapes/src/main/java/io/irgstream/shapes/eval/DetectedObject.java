package io.irgstream.shapes.eval;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Shape;

/**
 * An object found in an image's pixels.
 *
 * @param shape the recognised shape, or null when the blob matches no shape of the world well
 * @param color the palette color nearest to the blob's pixels
 * @param cx    center column (bounding-box center, rounded down)
 * @param cy    center row (bounding-box center, rounded down)
 * @param size  bounding-box side (the larger of width and height)
 * @param area  number of pixels of the blob
 */
public record DetectedObject(Shape shape, Color color, int cx, int cy, int size, int area) {
    /** Whether the blob was recognised as {@code s}. */
    public boolean is(Shape s) {
        return shape == s;
    }

    /** Whether the blob was recognised as {@code s} in color {@code c}. */
    public boolean is(Shape s, Color c) {
        return shape == s && color == c;
    }

    @Override
    public String toString() {
        return (color == null ? "?" : color.word()) + " " + (shape == null ? "blob" : shape.word()) + " at x " + cx
                + " y " + cy + " size " + size;
    }
}
