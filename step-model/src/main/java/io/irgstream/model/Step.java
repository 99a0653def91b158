package io.irgstream.model;

/** The four IRG steps, in trajectory order. */
public enum Step {
    /** prompt -> thought (a text plan). */
    THINK,
    /** prompt + thought -> draft image. */
    DRAW,
    /** prompt + thought + image -> reflection text with a verdict. */
    REFLECT,
    /** prompt + thought + image + reflection -> improved image. */
    REFINE;

    /** Lower-case name as used in configuration, topics and the CLI ({@code think}, {@code draw}, ...). */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@link #id()} (case-insensitive); fails with a message listing the valid names. */
    public static Step parse(String s) {
        for (Step step : values()) {
            if (step.id().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return step;
            }
        }
        throw new IllegalArgumentException("unknown step '" + s + "': expected one of think, draw, reflect, refine");
    }
}
