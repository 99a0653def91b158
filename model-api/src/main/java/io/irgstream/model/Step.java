package io.irgstream.model;

/**
 * The four IRG steps, in trajectory order: the one definition of their names ({@link #id()}: configuration, topic
 * names, the trajectory record, the API and the CLI) and of the order a trajectory goes through them
 * ({@link #stage}).
 */
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

    /** The step names in trajectory order: think, draw, reflect, refine. */
    public static final java.util.List<String> IDS = java.util.Arrays.stream(values()).map(Step::id).toList();

    /**
     * Where this step's event of the given round puts a trajectory: 0 is the prompt, 1 think, 2 draw, then reflect of
     * round r is {@code 1 + 2r} and refine of round r is {@code 2 + 2r} (round 1 reflects the draft, round 2 the first
     * refined image, ...). A later stage is further along.
     */
    public int stage(int round) {
        return switch (this) {
            case THINK -> 1;
            case DRAW -> 2;
            case REFLECT -> 1 + 2 * round;
            case REFINE -> 2 + 2 * round;
        };
    }

    /** The step a trajectory at {@code stage} ({@link #stage}) waits for next. */
    public static Step after(int stage) {
        if (stage < 0) {
            throw new IllegalArgumentException("stage must be >= 0, got " + stage);
        }
        return switch (stage) {
            case 0 -> THINK;
            case 1 -> DRAW;
            case 2 -> REFLECT;
            default -> stage % 2 == 1 ? REFINE : REFLECT;
        };
    }

    /** Parses {@link #id()} (case-insensitive); fails with a message listing the valid names. */
    public static Step parse(String s) {
        for (Step step : values()) {
            if (step.id().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return step;
            }
        }
        throw new IllegalArgumentException("unknown step '" + s + "': expected one of " + String.join(", ", IDS));
    }
}
