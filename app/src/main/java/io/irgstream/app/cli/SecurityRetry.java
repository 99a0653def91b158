package io.irgstream.app.cli;

import io.irgstream.schemas.KafkaClientSettings;

import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The start of a long-running process that Kafka refuses (a wrong password, a certificate not trusted, ACLs not
 * applied yet), tried again with a doubling backoff and one line per attempt that says what to fix, so that a
 * misconfigured process neither exits at once (a restart loop under an orchestrator) nor floods its log. Any other
 * failure is thrown at once; so is the last refusal when the attempts are used up.
 */
final class SecurityRetry {
    /** Sleeps; a test passes one that records the delays. */
    interface Sleeper {
        void sleep(long millis) throws InterruptedException;
    }

    private final long firstDelayMs;
    private final long maxDelayMs;
    private final int maxAttempts;
    private final Consumer<String> log;
    private final Sleeper sleeper;

    /**
     * @param firstDelayMs wait after the first refusal; it doubles after each further one ...
     * @param maxDelayMs   ... up to this
     * @param maxAttempts  tries in all
     * @param log          gets one line per refusal
     * @param sleeper      waits
     */
    SecurityRetry(long firstDelayMs, long maxDelayMs, int maxAttempts, Consumer<String> log, Sleeper sleeper) {
        this.firstDelayMs = Math.max(1, firstDelayMs);
        this.maxDelayMs = Math.max(this.firstDelayMs, maxDelayMs);
        this.maxAttempts = Math.max(1, maxAttempts);
        this.log = log;
        this.sleeper = sleeper;
    }

    /** 1 s doubling to 30 s, 10 tries in all, lines to stderr. */
    static SecurityRetry standard(String command) {
        return new SecurityRetry(1_000, 30_000, 10, line -> {
            System.err.println("irg " + command + ": " + line);
            System.err.flush();
        }, Thread::sleep);
    }

    /**
     * @param start what to try, e.g. starting a service; it must clean up after itself when it fails
     * @param <T>   what it returns
     * @return what the first successful try returned
     * @throws Exception the first failure that is not a refusal by Kafka, or the last refusal
     */
    <T> T call(Callable<T> start) throws Exception {
        long delay = firstDelayMs;
        for (int attempt = 1; ; attempt++) {
            try {
                return start.call();
            } catch (Exception e) {
                if (!KafkaClientSettings.isSecurityFailure(e) || attempt >= maxAttempts) {
                    throw e;
                }
                log.accept(IrgCli.message(e) + "; trying again in " + delay + " ms (attempt " + attempt + " of "
                        + maxAttempts + ")");
                sleeper.sleep(delay);
                delay = Math.min(maxDelayMs, delay * 2);
            }
        }
    }
}
