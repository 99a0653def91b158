package io.irgstream.schemas.client;

import io.irgstream.events.SamplerParams;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * What a client asks for: a prompt and, optionally, its seed, rounds, sampler parameters and deadline.
 *
 * @param prompt   the prompt (trimmed, non-empty, at most {@link #MAX_PROMPT_CHARS} characters)
 * @param seed     trajectory seed; null draws one
 * @param rounds   reflection rounds, 1..{@link #MAX_ROUNDS}
 * @param sampler  sampler parameters (null: the schema defaults, IRG's settings)
 * @param deadline when the trajectory expires, kept to the millisecond (see {@link #deadline(Instant, Long, Instant)});
 *                 null: none
 * @param tenant   whose trajectory it is; null: {@link #DEFAULT_TENANT}
 * @param idempotencyKey the client's key (see {@link #checkKey}); null: none, the trajectory gets a random id
 * @param callbackUrl the webhook called when the trajectory ends (see {@link #checkCallbackUrl}); null: none
 * @param priority the priority class; null: {@link Priority#NORMAL}
 */
public record Submission(String prompt, Long seed, int rounds, SamplerParams sampler, Instant deadline, String tenant,
                         String idempotencyKey, String callbackUrl, Priority priority) {
    /** The tenant of a submission that names none. */
    public static final String DEFAULT_TENANT = "default";
    /** The longest callback URL accepted, in characters. */
    public static final int MAX_CALLBACK_URL_CHARS = 2_000;
    /** The longest idempotency key or tenant name accepted. */
    public static final int MAX_KEY_CHARS = 255;
    public static final int MAX_PROMPT_CHARS = 1000;
    public static final int MAX_ROUNDS = 5;
    /** The longest time to live a trajectory may ask for: 30 days. */
    public static final long MAX_TTL_SECONDS = Duration.ofDays(30).toSeconds();

    /** A submission without a deadline. */
    public Submission(String prompt, Long seed, int rounds, SamplerParams sampler) {
        this(prompt, seed, rounds, sampler, null);
    }

    /** A submission of priority class {@link Priority#NORMAL}. */
    public Submission(String prompt, Long seed, int rounds, SamplerParams sampler, Instant deadline, String tenant,
                      String idempotencyKey, String callbackUrl) {
        this(prompt, seed, rounds, sampler, deadline, tenant, idempotencyKey, callbackUrl, null);
    }

    /** A submission without a callback. */
    public Submission(String prompt, Long seed, int rounds, SamplerParams sampler, Instant deadline, String tenant,
                      String idempotencyKey) {
        this(prompt, seed, rounds, sampler, deadline, tenant, idempotencyKey, null);
    }

    /** A submission of the default tenant without an idempotency key. */
    public Submission(String prompt, Long seed, int rounds, SamplerParams sampler, Instant deadline) {
        this(prompt, seed, rounds, sampler, deadline, null, null);
    }

    /**
     * Checks an idempotency key or tenant name: 1..{@link #MAX_KEY_CHARS} characters, no control characters.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static String checkKey(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " is empty");
        }
        if (value.length() > MAX_KEY_CHARS) {
            throw new IllegalArgumentException("the " + what + " has " + value.length() + " characters; the limit is "
                    + MAX_KEY_CHARS);
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("the " + what + " contains a control character");
        }
        return value;
    }

    /**
     * Checks the form of a callback URL: absolute, scheme http or https, a host, no user info, at most
     * {@link #MAX_CALLBACK_URL_CHARS} characters. Whether its host may be called is the operator's allow-list's
     * decision (the topology's {@code webhook.allowed.hosts}), not this one's.
     *
     * @return the URL as a URI
     * @throws IllegalArgumentException naming what is wrong
     */
    public static java.net.URI checkCallbackUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the callback URL is empty");
        }
        if (url.length() > MAX_CALLBACK_URL_CHARS) {
            throw new IllegalArgumentException("the callback URL has " + url.length() + " characters; the limit is "
                    + MAX_CALLBACK_URL_CHARS);
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("the callback URL is not a valid URI: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("the callback URL must be http or https, got "
                    + (scheme.isEmpty() ? "no scheme" : "'" + scheme + "'"));
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new IllegalArgumentException("the callback URL has no host");
        }
        if (uri.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the callback URL must not carry user info (user:password@)");
        }
        return uri;
    }

    /**
     * The trajectory id of {@code (tenant, key)} in retention generation {@code generation} (0 for the first use of
     * the key; a key reused after the retention window gets the next): a name-based UUID, so every API instance
     * derives the same id for the same request.
     */
    public static String idFor(String tenant, String key, int generation) {
        String name = "irg-idempotency\u0000" + tenant + "\u0000" + key + (generation == 0 ? "" : "\u0000" + generation);
        return java.util.UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

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
        if (deadline != null) {
            deadline = deadline.truncatedTo(ChronoUnit.MILLIS); // what the event carries (timestamp-millis)
        }
        tenant = checkKey("tenant", tenant == null ? DEFAULT_TENANT : tenant);
        if (idempotencyKey != null) {
            checkKey("idempotency key", idempotencyKey);
        }
        if (callbackUrl != null) {
            checkCallbackUrl(callbackUrl);
        }
        if (priority == null) {
            priority = Priority.NORMAL;
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

    /**
     * The deadline a client asked for, as a {@code deadline} timestamp or a {@code ttlSeconds} time to live from
     * {@code now}, checked: at most one of the two, the deadline after {@code now}, the time to live in
     * 1..{@link #MAX_TTL_SECONDS}, and neither more than 30 days ahead.
     *
     * @return the deadline, or null when neither was given
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Instant deadline(Instant deadline, Long ttlSeconds, Instant now) {
        if (deadline != null && ttlSeconds != null) {
            throw new IllegalArgumentException("give a deadline or ttlSeconds, not both");
        }
        if (ttlSeconds != null) {
            if (ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
                throw new IllegalArgumentException("ttlSeconds must be between 1 and " + MAX_TTL_SECONDS
                        + " (30 days), got " + ttlSeconds);
            }
            return now.plusSeconds(ttlSeconds);
        }
        if (deadline != null) {
            if (!deadline.isAfter(now)) {
                throw new IllegalArgumentException("the deadline " + deadline + " is not in the future (now is "
                        + now + ")");
            }
            if (deadline.isAfter(now.plusSeconds(MAX_TTL_SECONDS))) {
                throw new IllegalArgumentException("the deadline " + deadline + " is more than 30 days ahead");
            }
        }
        return deadline;
    }

    public static Submission of(String prompt) {
        return new Submission(prompt, null, 1, null);
    }
}
