package io.irgstream.schemas.client;

import io.irgstream.events.SamplerParams;

/**
 * What a client asks for: a prompt and, optionally, its seed, rounds and sampler parameters.
 *
 * @param prompt   the prompt (trimmed, non-empty, at most {@link #MAX_PROMPT_CHARS} characters)
 * @param seed     trajectory seed; null draws one
 * @param rounds   reflection rounds, 1..{@link #MAX_ROUNDS}
 * @param sampler  sampler parameters (null: the schema defaults, IRG's settings)
 */
public record Submission(String prompt, Long seed, int rounds, SamplerParams sampler) {
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
        if (sampler == null) {
            sampler = SamplerParams.newBuilder().build();
        }
        if (!(sampler.getTemperature() >= 0 && sampler.getTemperature() <= 10)) {
            throw new IllegalArgumentException("temperature must be in [0, 10], got " + sampler.getTemperature());
        }
        if (sampler.getSteps() < 1 || sampler.getSteps() > 1000) {
            throw new IllegalArgumentException("steps must be in [1, 1000], got " + sampler.getSteps());
        }
        if (!(sampler.getCfgText() >= 0 && sampler.getCfgText() <= 50) || !(sampler.getCfgImage() >= 0 && sampler.getCfgImage() <= 50)) {
            throw new IllegalArgumentException("guidance scales must be in [0, 50], got cfgText=" + sampler.getCfgText()
                    + " cfgImage=" + sampler.getCfgImage());
        }
    }

    public static Submission of(String prompt) {
        return new Submission(prompt, null, 1, null);
    }
}
