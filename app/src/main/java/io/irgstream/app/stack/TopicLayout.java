package io.irgstream.app.stack;

import io.irgstream.embedded.TopicSpec;

import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;

import java.util.ArrayList;
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

    /** The topic names under this layout's prefix. */
    public Topics topics() {
        return Topics.withPrefix(prefix);
    }

    /** Every topic, ready for {@link io.irgstream.embedded.TopicBootstrap#ensureTopics}. */
    public List<TopicSpec> specs(int replicationFactor) {
        String maxBytes = Integer.toString(16 * 1024 * 1024);
        List<TopicSpec> specs = new ArrayList<>();
        for (Topic<?> t : topics().all()) {
            TopicSpec spec = TopicSpec.of(t.name(), partitions).withReplicationFactor(replicationFactor)
                    .withConfig("max.message.bytes", maxBytes);
            specs.add(t.compacted() ? spec.compacted() : spec.withConfig("retention.ms", Long.toString(retentionMs)));
        }
        return List.copyOf(specs);
    }
}
