package io.irgstream.shapes.world;

import java.util.Locale;

/** The five filled, axis-aligned shapes of the shapes world (docs/shapes-world.md). */
public enum Shape {
    CIRCLE, SQUARE, TRIANGLE, DIAMOND, CROSS;

    /** Lower-case singular word, as in prompts and thoughts ({@code circle}). */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Lower-case plural word, as in counting prompts ({@code circles}, {@code crosses}). */
    public String plural() {
        return this == CROSS ? "crosses" : word() + "s";
    }

    /** Parses {@link #word()} or {@link #plural()} (case-insensitive). */
    public static Shape parse(String s) {
        String w = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (Shape shape : values()) {
            if (shape.word().equals(w) || shape.plural().equals(w)) {
                return shape;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + s + "': expected circle, square, triangle, diamond or cross");
    }
}
