package io.irgstream.app.cli;

import io.irgstream.app.client.TopicReader;
import io.irgstream.events.DeadLetter;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.Topics;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * The dead letters of an external cluster written since {@code --since}: the cluster options and that window, shared
 * by {@code irg dead-letters} and {@code irg retry-dead-letters}. Include it with {@code @Mixin}.
 */
public final class DeadLetterOptions {
    @Mixin
    ClusterOptions cluster;

    @Option(names = "--since", defaultValue = "P7D", description = "Only those written since this long ago (ISO-8601 duration, e.g. PT1H) or since this instant (e.g. 2026-11-26T10:00:00Z); default: ${DEFAULT-VALUE}.")
    String since;

    /** The start of the window: {@code --since} as an instant. */
    Instant from() {
        return parseSince(since);
    }

    /** Hands every dead letter written at or after {@code from} to {@code action}, decoded. */
    void read(Instant from, Consumer<DeadLetter> action) {
        String topic = Topics.withPrefix(cluster.topicPrefix).deadLetters().name();
        IrgAvroDeserializer<DeadLetter> d = new IrgAvroDeserializer<>(cluster.registry(), DeadLetter.class);
        TopicReader.read(cluster.kafka(), topic, from, r -> action.accept(d.deserialize(r.topic(), r.value())));
    }

    /**
     * An ISO-8601 duration ({@code PT1H}: that long ago) or instant ({@code 2026-11-26T10:00:00Z}), as the
     * {@code --since} options of the CLI take it.
     *
     * @throws IllegalArgumentException when {@code s} is neither
     */
    static Instant parseSince(String s) {
        try {
            return s.startsWith("P") ? Instant.now().minus(Duration.parse(s)) : Instant.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--since '" + s + "' is neither an ISO-8601 duration (PT1H) nor an instant (2026-11-26T10:00:00Z)");
        }
    }
}
