package io.irgstream.shapes.world;

import java.util.Locale;

/**
 * The size words of the prompt language (docs/shapes-world.md): {@code small} and {@code large} ({@code big} reads
 * as large). A prompt's size is judged from the measured box side with 1 px tolerance; plans draw well inside the
 * range so that a drawn shape measures in it.
 */
public enum Size {
    SMALL, LARGE;

    /** Largest measured side that still reads as small. */
    public static final int SMALL_MAX_MEASURED = 14;
    /** Smallest measured side that still reads as large. */
    public static final int LARGE_MIN_MEASURED = 16;

    /** Lower-case word as in prompts. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Smallest box side a plan draws for this size. */
    public int planMin() {
        return this == SMALL ? 10 : 18;
    }

    /** Largest box side a plan draws for this size. */
    public int planMax() {
        return this == SMALL ? 13 : 20;
    }

    /** Whether a measured box side (pixels, the larger of width and height) reads as this size. */
    public boolean judges(int measuredSide) {
        return this == SMALL ? measuredSide <= SMALL_MAX_MEASURED : measuredSide >= LARGE_MIN_MEASURED;
    }

    /** Whether a planned box side is in this size's drawing range. */
    public boolean plans(int side) {
        return side >= planMin() && side <= planMax();
    }
}
