package io.irgstream.model;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The reflect step's judgement of an image. */
public enum Verdict {
    /** The image satisfies the prompt: refine keeps it as the final image. */
    SATISFIED,
    /** The image needs changes: refine edits it following the reflection. */
    NEEDS_CHANGES;

    /**
     * A verdict line as models write it: optional markdown around it ({@code **Verdict:** Satisfied},
     * {@code ### Verdict - NEEDS CHANGES}), a colon, dash or equals sign after the word, the value in any case with
     * an underscore, space or hyphen, trailing punctuation.
     */
    private static final Pattern LINE = Pattern.compile(
            "^[\\s*_#>`-]*verdict[\\s*_`]*[:=\\-][\\s*_`]*(satisfied|needs[ _-]?changes)[\\s*_`.!]*$",
            Pattern.CASE_INSENSITIVE);

    /** The canonical line, e.g. {@code Verdict: NEEDS_CHANGES}. */
    public String line() {
        return "Verdict: " + name();
    }

    /**
     * Reads the verdict line of a reflection: the last line of the form {@code Verdict: SATISFIED} or
     * {@code Verdict: NEEDS_CHANGES}, read leniently (see {@link #find}).
     *
     * @throws IllegalArgumentException when the text has no verdict line
     */
    public static Verdict of(String reflection) {
        return find(reflection).orElseThrow(() ->
                new IllegalArgumentException("reflection has no 'Verdict: SATISFIED|NEEDS_CHANGES' line"));
    }

    /**
     * The verdict of the last verdict line of {@code reflection}, empty when it has none. Case, markdown emphasis or
     * heading marks, a dash or equals sign instead of the colon, "needs changes" with a space or hyphen and trailing
     * punctuation are accepted.
     */
    public static Optional<Verdict> find(String reflection) {
        if (reflection == null) {
            return Optional.empty();
        }
        String[] lines = reflection.split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            Matcher m = LINE.matcher(lines[i].trim());
            if (m.matches()) {
                String v = m.group(1).toUpperCase(Locale.ROOT);
                return Optional.of(v.startsWith("SATISFIED") ? SATISFIED : NEEDS_CHANGES);
            }
        }
        return Optional.empty();
    }

    /**
     * {@code reflection} with its last verdict line written in the canonical form ({@link #line()}), so every reader
     * (including TorchScript refine modules that look for {@code verdict:}) sees the same verdict.
     *
     * @throws IllegalArgumentException when the text has no verdict line
     */
    public static String canonical(String reflection) {
        Verdict v = of(reflection);
        String[] lines = reflection.split("\n", -1);
        for (int i = lines.length - 1; i >= 0; i--) {
            if (LINE.matcher(lines[i].trim()).matches()) {
                if (lines[i].equals(v.line())) {
                    return reflection; // already canonical: the text stays exactly as the model wrote it
                }
                lines[i] = v.line();
                break;
            }
        }
        return String.join("\n", lines);
    }
}
