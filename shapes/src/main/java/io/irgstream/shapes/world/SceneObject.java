package io.irgstream.shapes.world;

import java.util.Objects;

/**
 * One object of a scene: a shape of one color drawn in a square box.
 *
 * @param shape the shape
 * @param color the flat fill color
 * @param x     left column of the box (inclusive)
 * @param y     top row of the box (inclusive)
 * @param size  side of the box in pixels, {@value #MIN_SIZE}..{@value #MAX_SIZE}
 */
public record SceneObject(Shape shape, Color color, int x, int y, int size) {
    /** Smallest box side. */
    public static final int MIN_SIZE = 10;
    /** Largest box side. */
    public static final int MAX_SIZE = 20;

    public SceneObject {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(color, "color");
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("object size must be in [" + MIN_SIZE + ", " + MAX_SIZE + "], got " + size);
        }
    }

    /** Builds an object from its center (as written in thoughts) and box size. */
    public static SceneObject centered(Shape shape, Color color, int cx, int cy, int size) {
        return new SceneObject(shape, color, cx - size / 2, cy - size / 2, size);
    }

    /** Center column: {@code x + size/2} rounded down. */
    public int centerX() {
        return x + size / 2;
    }

    /** Center row: {@code y + size/2} rounded down. */
    public int centerY() {
        return y + size / 2;
    }

    /** Whether the box lies fully inside a {@code width x height} canvas. */
    public boolean inside(int width, int height) {
        return x >= 0 && y >= 0 && x + size <= width && y + size <= height;
    }

    /**
     * Empty pixels between this box and another along the axis where they are farthest apart;
     * negative or zero when the boxes touch or overlap.
     */
    public int gapTo(SceneObject o) {
        int gx = Math.max(o.x - (x + size), x - (o.x + o.size));
        int gy = Math.max(o.y - (y + size), y - (o.y + o.size));
        return Math.max(gx, gy);
    }

    /** The same object with another color. */
    public SceneObject withColor(Color c) {
        return new SceneObject(shape, c, x, y, size);
    }

    /** The same object with another shape. */
    public SceneObject withShape(Shape s) {
        return new SceneObject(s, color, x, y, size);
    }

    /** The same object moved so that its box starts at (nx, ny). */
    public SceneObject at(int nx, int ny) {
        return new SceneObject(shape, color, nx, ny, size);
    }
}
