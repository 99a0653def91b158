package io.irgstream.worker;

import io.irgstream.schemas.TopicFollower;
import io.irgstream.schemas.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The set of cancelled trajectory ids, kept by reading {@code <prefix>cancellations} from the beginning on a
 * background thread. One per process, shared by its workers, which skip a cancelled trajectory before spending
 * compute on it. Best effort by design: a cancellation that arrives while a batch is already running takes effect
 * at the trajectory's next step. Ids are kept as long as the topic keeps them (its retention).
 */
public final class Cancellations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cancellations.class);

    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final TopicFollower<String, byte[]> follower;

    /** Starts following the cancellations topic of {@code topics} on {@code bootstrapServers}. */
    public Cancellations(String bootstrapServers, Topics topics) {
        follower = TopicFollower.builder(new StringDeserializer(), new ByteArrayDeserializer())
                .bootstrapServers(bootstrapServers)
                .clientId("irg-cancellations-" + ProcessHandle.current().pid())
                .topics(List.of(topics.cancellations().name()))
                .startAt(TopicFollower.StartAt.BEGINNING)
                .missingTopicHint("; create the irg topics first")
                .name("irg-cancellations")
                .onRecord(r -> {
                    if (r.key() != null) {
                        ids.add(r.key());
                    }
                })
                .onFailure(e -> log.error("stopped following cancellations: {}", e.toString()))
                .start();
    }

    /** Whether {@code trajectoryId} has been cancelled. */
    public boolean isCancelled(String trajectoryId) {
        return ids.contains(trajectoryId);
    }

    /** Number of cancelled ids known. */
    public int size() {
        return ids.size();
    }

    @Override
    public void close() {
        follower.close();
    }
}
