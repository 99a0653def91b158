package io.irgstream.shapes.prompts;

import java.util.Locale;

/** The six GenEval-style prompt categories of the shapes world (WORLD.md). */
public enum Category {
    /** {@code a photo of a {shape}}. */
    SINGLE_OBJECT,
    /** {@code a photo of a {shape1} and a {shape2}}, shape1 != shape2. */
    TWO_OBJECT,
    /** {@code a photo of {two,three,four} {shape}s}: exactly N of that shape. */
    COUNTING,
    /** {@code a photo of a {color} {shape}}. */
    COLORS,
    /** {@code a photo of a {shape1} {left of, right of, above, below} a {shape2}}. */
    POSITION,
    /** {@code a photo of a {color1} {shape1} and a {color2} {shape2}}. */
    COLOR_ATTR;

    /** Lower-case id as in reports and eval.json ({@code single_object}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@link #id()} (case-insensitive). */
    public static Category parse(String s) {
        for (Category c : values()) {
            if (c.id().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown category '" + s + "': expected single_object, two_object,"
                + " counting, colors, position or color_attr");
    }
}
