package io.irgstream.app.cli;

import io.irgstream.app.client.AvroJson;
import io.irgstream.app.client.TopicReader;
import io.irgstream.events.DeadLetter;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code irg dead-letters}: list what the steps gave up on. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List the dead letters (records a step gave up on) of a cluster, oldest first.")
public final class DeadLettersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--since", defaultValue = "P7D", description = "Only those written since this long ago (ISO-8601 duration, e.g. PT1H) or since this instant (e.g. 2026-11-26T10:00:00Z); default: ${DEFAULT-VALUE}.")
    String since;

    @Option(names = "--json", description = "One JSON object per line (with the original value bytes, base64) instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        cluster.requireExternal();
        Instant from = parseSince(since);
        String topic = Topics.withPrefix(cluster.topicPrefix).deadLetters().name();
        IrgAvroDeserializer<DeadLetter> d = new IrgAvroDeserializer<>(new HttpSchemaRegistryClient(cluster.schemaRegistry), DeadLetter.class);
        PrintWriter out = spec.commandLine().getOut();
        int[] n = {0};
        if (!json) {
            out.println("last failed at\tstep\ttrajectory\tattempts\tsource\terror");
        }
        TopicReader.read(cluster.bootstrapServers, topic, from, r -> {
            DeadLetter dl = d.deserialize(r.topic(), r.value());
            n[0]++;
            if (json) {
                out.println(AvroJson.toJson(dl).toString());
            } else {
                out.println(dl.getLastFailedAt() + "\t" + dl.getStep() + "\t" + dl.getTrajectoryId() + "\t" + dl.getAttempts()
                        + "\t" + dl.getTopic() + "-" + dl.getPartition() + "@" + dl.getOffset() + "\t" + dl.getErrorClass()
                        + ": " + dl.getErrorMessage());
            }
        });
        if (!json) {
            out.println(n[0] + " dead letters since " + from);
        }
        out.flush();
        return 0;
    }

    static Instant parseSince(String s) {
        try {
            return s.startsWith("P") ? Instant.now().minus(Duration.parse(s)) : Instant.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--since '" + s + "' is neither an ISO-8601 duration (PT1H) nor an instant (2026-11-26T10:00:00Z)");
        }
    }
}
