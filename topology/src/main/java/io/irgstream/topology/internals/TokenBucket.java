package io.irgstream.topology.internals;

/**
 * A token bucket: {@code burst} tokens at most, refilled at {@code ratePerSecond}. Each request takes one token; a
 * request that finds none is refused and told how long until the next one. Thread-safe.
 */
public final class TokenBucket {

    private final double ratePerNano;
    private final double burst;
    private double tokens;
    private long last;

    /**
     * @param ratePerSecond tokens added per second, above 0
     * @param burst         most tokens held (the bucket starts full), at least 1
     * @param nowNanos      the current {@link System#nanoTime()}
     */
    public TokenBucket(double ratePerSecond, int burst, long nowNanos) {
        if (!(ratePerSecond > 0) || burst < 1) {
            throw new IllegalArgumentException("a token bucket needs a rate above 0 and a burst of at least 1");
        }
        this.ratePerNano = ratePerSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
    }

    /**
     * Takes one token.
     *
     * @param nowNanos the current {@link System#nanoTime()}
     * @return 0 when a token was taken, else the nanoseconds until one is there (nothing is taken)
     */
    public synchronized long tryTake(long nowNanos) {
        if (nowNanos > last) {
            tokens = Math.min(burst, tokens + (nowNanos - last) * ratePerNano);
            last = nowNanos;
        }
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerNano));
    }

    /** @return whether the bucket is full at {@code nowNanos} (an idle client's bucket can be forgotten) */
    public synchronized boolean full(long nowNanos) {
        return tokens + Math.max(0, nowNanos - last) * ratePerNano >= burst;
    }
}
