package io.irgstream.app.cli;

import io.irgstream.schemas.client.Submission;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** When submitted trajectories expire: {@code --deadline} or {@code --ttl-seconds}, at most one. */
public final class DeadlineOptions {
    @Option(names = "--deadline", paramLabel = "TIMESTAMP", description = "Expire the trajectories at this ISO-8601 "
            + "UTC time (e.g. 2026-12-05T08:00:00Z): steps not started by then are skipped and the trajectory ends "
            + "EXPIRED. At most 30 days ahead.")
    String deadline;

    @Option(names = "--ttl-seconds", paramLabel = "SECONDS", description = "Expire the trajectories this many "
            + "seconds after submission (1 to 2592000, 30 days); instead of --deadline.")
    Long ttlSeconds;

    /**
     * The deadline asked for, checked against {@code now}; null when neither option was given.
     *
     * @throws IllegalArgumentException naming what is wrong (exit code 2)
     */
    Instant deadline(Instant now) {
        Instant at = null;
        if (deadline != null) {
            try {
                at = Instant.parse(deadline.strip());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("--deadline must be an ISO-8601 UTC timestamp such as "
                        + "2026-12-05T08:00:00Z, got '" + deadline + "'");
            }
        }
        try {
            return Submission.deadline(at, ttlSeconds, now);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("ttlSeconds", "--ttl-seconds")
                    .replace("a deadline or", "--deadline or"), e);
        }
    }
}
