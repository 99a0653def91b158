package io.irgstream.app.stack;

import io.irgstream.embedded.TopicSpec;

import java.util.List;

/**
 * The topics an irg-stream deployment needs, with their partitions and retention. {@code irg.trajectories} is
 * compacted (one record per trajectory); the event topics keep their history for replay and audit.
 *
 * @param prefix      topic name prefix, e.g. {@code irg.}
 * @param partitions  partitions per topic (the parallelism of each step)
 * @param retentionMs retention of the event topics; -1 keeps them forever
 */
public record TopicLayout(String prefix, int partitions, long retentionMs) {
    /** Seven days. */
    public static final long DEFAULT_RETENTION_MS = 7L * 24 * 3600 * 1000;

    public TopicLayout {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be >= 1, got " + partitions);
        }
        if (retentionMs < -1 || retentionMs == 0) {
            throw new IllegalArgumentException("retention.ms must be -1 (forever) or positive, got " + retentionMs);
        }
    }

    /** Every topic, ready for {@link io.irgstream.embedded.TopicBootstrap#ensureTopics}. */
    public List<TopicSpec> specs(int replicationFactor) {
        String r = Long.toString(retentionMs);
        List<String> events = List.of("prompts", "thoughts", "draft-images", "reflections", "final-images",
                "dead-letters", "cancellations");
        java.util.ArrayList<TopicSpec> specs = new java.util.ArrayList<>();
        for (String e : events) {
            specs.add(TopicSpec.of(prefix + e, partitions).withReplicationFactor(replicationFactor)
                    .withConfig("retention.ms", r).withConfig("max.message.bytes", Integer.toString(16 * 1024 * 1024)));
        }
        specs.add(TopicSpec.of(prefix + "trajectories", partitions).withReplicationFactor(replicationFactor).compacted()
                .withConfig("max.message.bytes", Integer.toString(16 * 1024 * 1024)));
        return List.copyOf(specs);
    }
}
