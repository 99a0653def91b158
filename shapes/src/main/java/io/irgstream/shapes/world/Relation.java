package io.irgstream.shapes.world;

import java.util.Locale;

/**
 * Spatial relations of the position prompts. They compare box centers with a {@value #MARGIN} px margin
 * (y grows downward): A left of B when {@code cx(A) < cx(B) - 3}; A above B when {@code cy(A) < cy(B) - 3}.
 */
public enum Relation {
    LEFT_OF("left of"), RIGHT_OF("right of"), ABOVE("above"), BELOW("below");

    /** Margin in pixels between the centers. */
    public static final int MARGIN = 3;

    private final String words;

    Relation(String words) {
        this.words = words;
    }

    /** The relation as written in prompts ({@code left of}). */
    public String words() {
        return words;
    }

    /** Whether object a stands in this relation to object b. */
    public boolean holds(SceneObject a, SceneObject b) {
        return holds(a.centerX(), a.centerY(), b.centerX(), b.centerY());
    }

    /** Whether a center (ax, ay) stands in this relation to a center (bx, by). */
    public boolean holds(int ax, int ay, int bx, int by) {
        switch (this) {
            case LEFT_OF:
                return ax < bx - MARGIN;
            case RIGHT_OF:
                return ax > bx + MARGIN;
            case ABOVE:
                return ay < by - MARGIN;
            case BELOW:
                return ay > by + MARGIN;
            default:
                throw new IllegalStateException(name());
        }
    }

    /** Parses {@link #words()} (case-insensitive, extra spaces allowed). */
    public static Relation parse(String s) {
        String w = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        for (Relation r : values()) {
            if (r.words.equals(w)) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown relation '" + s + "': expected left of, right of, above or below");
    }
}
