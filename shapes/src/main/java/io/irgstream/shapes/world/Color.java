package io.irgstream.shapes.world;

import java.util.Locale;

/** The eight flat fill colors of the shapes world, with their exact RGB values (docs/shapes-world.md). */
public enum Color {
    RED(230, 40, 40),
    ORANGE(245, 140, 20),
    YELLOW(240, 220, 40),
    GREEN(40, 190, 70),
    BLUE(50, 90, 235),
    PURPLE(150, 60, 200),
    PINK(245, 120, 190),
    WHITE(245, 245, 245);

    private final int r;
    private final int g;
    private final int b;

    Color(int r, int g, int b) {
        this.r = r;
        this.g = g;
        this.b = b;
    }

    /** Lower-case word, as in prompts and thoughts ({@code red}). */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Red component, 0..255. */
    public int r() {
        return r;
    }

    /** Green component, 0..255. */
    public int g() {
        return g;
    }

    /** Blue component, 0..255. */
    public int b() {
        return b;
    }

    /** Parses {@link #word()} (case-insensitive). */
    public static Color parse(String s) {
        String w = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (Color c : values()) {
            if (c.word().equals(w)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown color '" + s
                + "': expected red, orange, yellow, green, blue, purple, pink or white");
    }

    /** The color whose RGB is nearest (squared distance) to the given pixel. */
    public static Color nearest(int r, int g, int b) {
        Color best = RED;
        int bestD = Integer.MAX_VALUE;
        for (Color c : values()) {
            int d = (c.r - r) * (c.r - r) + (c.g - g) * (c.g - g) + (c.b - b) * (c.b - b);
            if (d < bestD) {
                bestD = d;
                best = c;
            }
        }
        return best;
    }
}
