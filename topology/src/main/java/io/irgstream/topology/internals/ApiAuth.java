package io.irgstream.topology.internals;

import io.irgstream.topology.ApiKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authentication, authorization and rate limiting of the HTTP API: the key in {@code Authorization: Bearer <key>} is
 * looked up in the API key file ({@link ApiKeys}), its role checked against the route's, and each key's submits and
 * cancels are limited by a token bucket. The file is read again when its modification time changes (checked at most
 * once a second), so keys created or deleted while the API runs take effect without a restart; a file that has
 * become unreadable or malformed keeps the keys last read (and is logged).
 *
 * <p>Thread-safe.
 */
public final class ApiAuth {

    private static final Logger LOG = LoggerFactory.getLogger(ApiAuth.class);
    private static final long RELOAD_CHECK_NANOS = 1_000_000_000L;
    private static final int MAX_BUCKETS = 100_000;

    private final Path file;
    private final double writesPerSecond;
    private final int burst;
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private volatile ApiKeys keys;
    private volatile FileTime loadedAt;
    private volatile long checkedAt;

    /**
     * Reads the key file.
     *
     * @param file            the API key file
     * @param writesPerSecond submits and cancels each key may make per second, on average; 0 for no limit
     * @param burst           how many it may make at once
     * @throws IllegalArgumentException naming the file when it is malformed or missing
     */
    public ApiAuth(Path file, double writesPerSecond, int burst) {
        this.file = file;
        this.writesPerSecond = writesPerSecond;
        this.burst = burst;
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the API key file " + file + " does not exist: create a key with "
                    + "./irg api-keys create --role submit --file " + file);
        }
        try {
            this.loadedAt = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API key file " + file + ": " + e.getMessage(), e);
        }
        this.keys = ApiKeys.load(file);
        this.checkedAt = System.nanoTime();
    }

    /** @return the key file */
    public Path file() {
        return file;
    }

    /**
     * Checks a request's credentials.
     *
     * @param authorization the Authorization header, or null
     * @param needed        the role the route needs
     * @return the caller's key
     * @throws ApiException 401 without a key or with an unknown one, 403 when its role is below {@code needed}
     */
    public ApiKeys.Key authorize(String authorization, ApiKeys.Role needed) {
        String token = bearer(authorization);
        if (token == null) {
            throw new ApiException(401, authorization == null
                    ? "this API needs an API key: send it as 'Authorization: Bearer <key>' (docs/security.md)"
                    : "the Authorization header must be 'Bearer <key>'");
        }
        Optional<ApiKeys.Key> key = current().authenticate(token);
        if (key.isEmpty()) {
            throw new ApiException(401, "unknown or revoked API key");
        }
        if (!key.get().role().allows(needed)) {
            throw new ApiException(403, "API key " + key.get().id() + " has role " + key.get().role().label()
                    + "; this request needs " + needed.label());
        }
        return key.get();
    }

    /**
     * Takes one write (submit or cancel) from the key's bucket.
     *
     * @param key the caller
     * @return 0 when allowed, else the whole seconds (at least 1) after which to retry
     */
    public long takeWrite(ApiKeys.Key key) {
        if (writesPerSecond <= 0) {
            return 0;
        }
        long now = System.nanoTime();
        if (buckets.size() > MAX_BUCKETS) {
            buckets.values().removeIf(b -> b.full(now));
        }
        long wait = buckets.computeIfAbsent(key.id(), id -> new TokenBucket(writesPerSecond, burst, now)).tryTake(now);
        return wait == 0 ? 0 : Math.max(1, (wait + 999_999_999L) / 1_000_000_000L);
    }

    private ApiKeys current() {
        long now = System.nanoTime();
        if (now - checkedAt >= RELOAD_CHECK_NANOS) {
            checkedAt = now;
            try {
                FileTime modified = Files.getLastModifiedTime(file);
                if (!modified.equals(loadedAt)) {
                    keys = ApiKeys.load(file);
                    loadedAt = modified;
                    LOG.info("API key file {} read again: {} keys", file, keys.size());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot read the API key file {} again, keeping the {} keys read before: {}", file,
                        keys.size(), e.getMessage());
            }
        }
        return keys;
    }

    private static String bearer(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.strip();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = a.substring(7).strip();
        return token.isEmpty() ? null : token;
    }
}
