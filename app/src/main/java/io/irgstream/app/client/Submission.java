package io.irgstream.app.client;

import io.irgstream.model.Sampling;

/**
 * What a client asks for: a prompt and, optionally, its seed, rounds and sampler parameters.
 *
 * @param prompt   the prompt (trimmed, non-empty, at most {@link #MAX_PROMPT_CHARS} characters)
 * @param seed     trajectory seed; null draws one
 * @param rounds   reflection rounds, 1..{@link #MAX_ROUNDS}
 * @param sampling sampler parameters
 */
public record Submission(String prompt, Long seed, int rounds, Sampling sampling) {
    public static final int MAX_PROMPT_CHARS = 1000;
    public static final int MAX_ROUNDS = 5;

    public Submission {
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        prompt = prompt.strip();
        if (prompt.length() > MAX_PROMPT_CHARS) {
            throw new IllegalArgumentException("the prompt has " + prompt.length() + " characters; the limit is "
                    + MAX_PROMPT_CHARS);
        }
        if (rounds < 1 || rounds > MAX_ROUNDS) {
            throw new IllegalArgumentException("rounds must be between 1 and " + MAX_ROUNDS + ", got " + rounds);
        }
        if (sampling == null) {
            sampling = Sampling.DEFAULTS;
        }
    }

    public static Submission of(String prompt) {
        return new Submission(prompt, null, 1, Sampling.DEFAULTS);
    }
}
