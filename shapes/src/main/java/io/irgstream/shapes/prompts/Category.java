package io.irgstream.shapes.prompts;

import java.util.Locale;

/**
 * The ten score categories of the shapes world (docs/shapes-world.md). A prompt's category follows from its parsed
 * structure, checked in enum order ({@link PromptSpec#category()}); the first six are GenEval's.
 */
public enum Category {
    /** One phrase {@code a {shape}}. */
    SINGLE_OBJECT,
    /** One phrase {@code a {color} {shape}}. */
    COLORS,
    /** One phrase {@code {two..four} {shapes}} without color. */
    COUNTING,
    /** Two {@code a {shape}} phrases, no color, no relation. */
    TWO_OBJECT,
    /** Two {@code a {color} {shape}} phrases, no relation. */
    COLOR_ATTR,
    /** One relation between two uncolored {@code a {shape}} phrases. */
    POSITION,
    /** No size word, no relation, some phrase with an exact count >= 2 and a color. */
    COLOR_COUNT,
    /** No size word, one relation between two phrases, at least one colored. */
    COLOR_POSITION,
    /** A size word, at most two objects. */
    SIZE,
    /** Anything else: three or four objects mixed, "one ...". */
    COMPLEX;

    /** Lower-case id as in reports and eval.json ({@code single_object}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether this is one of the six GenEval categories (their mean is "GenEval overall"). */
    public boolean geneval() {
        return ordinal() <= POSITION.ordinal();
    }

    /** Parses {@link #id()} (case-insensitive). */
    public static Category parse(String s) {
        for (Category c : values()) {
            if (c.id().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return c;
            }
        }
        StringBuilder ids = new StringBuilder();
        for (Category c : values()) {
            ids.append(ids.length() == 0 ? "" : ", ").append(c.id());
        }
        throw new IllegalArgumentException("unknown category '" + s + "': expected one of " + ids);
    }
}
