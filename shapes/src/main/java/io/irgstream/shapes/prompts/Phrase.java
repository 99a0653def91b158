package io.irgstream.shapes.prompts;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;

import java.util.Objects;

/**
 * An object phrase of the prompt language: {@code quantity [size] [color] noun}.
 *
 * @param count 0 for {@code a} (at least one), 1..4 for {@code one}..{@code four} (exactly that many objects in the
 *              image match the phrase)
 * @param size  the size word, or null for any size
 * @param color the color, or null for any color
 * @param shape the shape
 */
public record Phrase(int count, Size size, Color color, Shape shape) {
    static final String[] NUMBERS = {"a", "one", "two", "three", "four"};

    public Phrase {
        Objects.requireNonNull(shape, "shape");
        if (count < 0 || count > 4) {
            throw new IllegalArgumentException("phrase count must be 0 (\"a\") to 4, got " + count);
        }
    }

    /** {@code a [size] [color] shape}. */
    public static Phrase a(Size size, Color color, Shape shape) {
        return new Phrase(0, size, color, shape);
    }

    /** Objects this phrase puts in a plan: its count, 1 for {@code a}. */
    public int objects() {
        return Math.max(1, count);
    }

    /** Whether the phrase asks for an exact number of matching objects. */
    public boolean exact() {
        return count >= 1;
    }

    /** Whether the phrase names a single object ({@code a} or {@code one}). */
    public boolean single() {
        return count <= 1;
    }

    /** Whether an object with this shape, color and measured side matches the phrase's attributes. */
    public boolean matches(Shape s, Color c, int measuredSide) {
        return s == shape && (color == null || color == c) && (size == null || size.judges(measuredSide));
    }

    /**
     * Whether every object that matches {@code other} necessarily matches this phrase (same shape, and this phrase's
     * color and size, where given, are the other's).
     */
    public boolean impliedBy(Phrase other) {
        return other.shape == shape && (color == null || color == other.color) && (size == null || size == other.size);
    }

    /** The phrase as written, canonical form ({@code two large red circles}). */
    public String text() {
        StringBuilder b = new StringBuilder(NUMBERS[count]);
        if (size != null) {
            b.append(' ').append(size.word());
        }
        if (color != null) {
            b.append(' ').append(color.word());
        }
        b.append(' ').append(count >= 2 ? shape.plural() : shape.word());
        return b.toString();
    }

    @Override
    public String toString() {
        return text();
    }
}
