package io.irgstream.model;

import java.util.Locale;

/** The reflect step's judgement of an image. */
public enum Verdict {
    /** The image satisfies the prompt: refine keeps it as the final image. */
    SATISFIED,
    /** The image needs changes: refine edits it following the reflection. */
    NEEDS_CHANGES;

    /**
     * Reads the verdict line of a reflection: the last line of the form {@code Verdict: SATISFIED} or
     * {@code Verdict: NEEDS_CHANGES} (case-insensitive).
     *
     * @throws IllegalArgumentException when the text has no verdict line
     */
    public static Verdict of(String reflection) {
        if (reflection != null) {
            String[] lines = reflection.split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                String line = lines[i].trim();
                if (line.toLowerCase(Locale.ROOT).startsWith("verdict:")) {
                    String v = line.substring("verdict:".length()).trim().toUpperCase(Locale.ROOT);
                    if (v.equals("SATISFIED")) {
                        return SATISFIED;
                    }
                    if (v.equals("NEEDS_CHANGES")) {
                        return NEEDS_CHANGES;
                    }
                }
            }
        }
        throw new IllegalArgumentException("reflection has no 'Verdict: SATISFIED|NEEDS_CHANGES' line");
    }
}
