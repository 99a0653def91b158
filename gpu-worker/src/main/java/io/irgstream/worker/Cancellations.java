package io.irgstream.worker;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.TopicFollower;
import io.irgstream.schemas.Topics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.irgstream.schemas.client.TrajectoryClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The set of cancelled trajectory ids, kept by reading {@code <prefix>cancellations} from the beginning on a
 * background thread. One per process, shared by its workers, which skip a cancelled trajectory before spending
 * compute on it. Best effort by design: a cancellation that arrives while a batch is already running takes effect
 * at the trajectory's next step. Ids are kept as long as the topic keeps them (its retention).
 *
 * <p>It also answers, for think workers, whether a PromptSubmitted is the repeat of an idempotent submission
 * ({@link #isRepeatedPrompt}): on the first question it starts following {@code <prefix>prompts} from the beginning
 * and remembers, for each id of a record with the {@link TrajectoryClient#IDEMPOTENT_HEADER}, the offset of its first
 * record (ids older than {@code retention} are forgotten). Partition order decides which of two concurrent
 * submissions of one key is the first, so every worker agrees.
 */
public final class Cancellations implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Cancellations.class);

    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private final TopicFollower<String, byte[]> follower;
    private final KafkaClientSettings kafka;
    private final Topics topics;
    /** First (partition, offset, timestamp) of each idempotent id on the prompts topic. */
    private final Map<String, long[]> firstPrompts = new HashMap<>();
    /** Highest offset read from each prompts partition. */
    private final Map<Integer, Long> promptsRead = new HashMap<>();
    private TopicFollower<String, byte[]> promptFollower;
    private volatile RuntimeException promptFailure;
    private Duration retention = Duration.ofHours(24);

    /** Starts following the cancellations topic of {@code topics} on {@code bootstrapServers} (plaintext). */
    public Cancellations(String bootstrapServers, Topics topics) {
        this(KafkaClientSettings.of(bootstrapServers), topics);
    }

    /**
     * Starts following the cancellations topic of {@code topics} with the process's Kafka client settings (the same
     * as its workers', {@link WorkerConfig#kafkaClientSettings()}).
     */
    public Cancellations(KafkaClientSettings kafka, Topics topics) {
        this.kafka = kafka;
        this.topics = topics;
        follower = TopicFollower.builder(new StringDeserializer(), new ByteArrayDeserializer())
                .clientSettings(kafka)
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

    /**
     * Starts the cancellation follower of a worker process with its settings ({@link WorkerConfig#kafkaClientSettings()}).
     * A refused login or a denied topic (credentials or ACLs not in place yet) is logged as one line that says what
     * to fix and tried again after {@code recovery.backoff.ms}, doubling up to {@code recovery.backoff.max.ms}, at most
     * {@code recovery.max.attempts} times, so a misconfigured worker neither exits at once (a restart loop) nor floods
     * the log; any other failure is thrown at once.
     *
     * @param config the worker's settings
     * @return the follower
     * @throws org.apache.kafka.common.KafkaException the last failure, when the attempts are used up
     * @throws InterruptedException when interrupted while waiting
     */
    public static Cancellations open(WorkerConfig config) throws InterruptedException {
        KafkaClientSettings kafka = config.kafkaClientSettings();
        Topics topics = Topics.withPrefix(config.topicPrefix());
        long delay = Math.max(1, config.recoveryBackoffMs());
        for (int attempt = 1; ; attempt++) {
            try {
                return new Cancellations(kafka, topics);
            } catch (RuntimeException e) {
                if (!KafkaClientSettings.isSecurityFailure(e) || attempt > config.recoveryMaxAttempts()) {
                    throw e;
                }
                log.warn("{} worker {} cannot follow {}: {}; trying again in {} ms (attempt {} of at most {})",
                        config.step().id(), config.workerId(), topics.cancellations().name(), kafka.explain(e), delay,
                        attempt, config.recoveryMaxAttempts());
                Thread.sleep(delay);
                delay = Math.max(1, Math.min(config.recoveryBackoffMaxMs(), delay * 2));
            }
        }
    }

    /** Whether {@code trajectoryId} has been cancelled. */
    public boolean isCancelled(String trajectoryId) {
        return ids.contains(trajectoryId);
    }

    /** How long an idempotent id is remembered (the API's idempotency retention); default 24 h. */
    public synchronized Cancellations idempotencyRetention(Duration retention) {
        this.retention = retention;
        return this;
    }

    /**
     * Whether the prompt record at {@code offset} of prompts partition {@code partition} repeats an earlier record of
     * the same idempotent trajectory id. Waits (up to {@code maxWait}) until the prompts follower has read that far.
     *
     * @throws IllegalStateException when the follower has not read that far in time, or has stopped (the record is
     *     retried)
     */
    public synchronized boolean isRepeatedPrompt(String id, int partition, long offset, Duration maxWait)
            throws InterruptedException {
        if (promptFollower == null) {
            promptFollower = TopicFollower.builder(new StringDeserializer(), new ByteArrayDeserializer())
                    .clientSettings(kafka)
                    .clientId("irg-prompt-dedup-" + ProcessHandle.current().pid())
                    .topics(List.of(topics.prompts().name()))
                    .startAt(TopicFollower.StartAt.BEGINNING)
                    .missingTopicHint("; create the irg topics first")
                    .name("irg-prompt-dedup")
                    .onRecord(this::promptRead)
                    .onFailure(e -> {
                        log.error("stopped following prompts for de-duplication: {}", e.toString());
                        synchronized (this) {
                            promptFailure = e;
                            notifyAll();
                        }
                    })
                    .start();
        }
        long until = System.nanoTime() + maxWait.toNanos();
        while (promptsRead.getOrDefault(partition, -1L) < offset) {
            if (promptFailure != null) {
                throw new IllegalStateException("cannot de-duplicate prompts: " + promptFailure.getMessage(),
                        promptFailure);
            }
            long left = until - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("cannot de-duplicate prompt " + id + ": the prompts follower has not "
                        + "reached offset " + offset + " of partition " + partition + " within " + maxWait);
            }
            wait(Math.max(1, Math.min(left / 1_000_000, 200)));
        }
        long[] first = firstPrompts.get(id);
        return first != null && first[0] == partition && first[1] < offset;
    }

    private synchronized void promptRead(ConsumerRecord<String, byte[]> r) {
        promptsRead.merge(r.partition(), r.offset(), Math::max);
        if (r.key() != null && r.headers().lastHeader(TrajectoryClient.IDEMPOTENT_HEADER) != null) {
            firstPrompts.putIfAbsent(r.key(), new long[] {r.partition(), r.offset(), r.timestamp()});
            long oldest = System.currentTimeMillis() - retention.toMillis();
            if (firstPrompts.size() % 1024 == 0) {
                firstPrompts.values().removeIf(v -> v[2] < oldest);
            }
        }
        notifyAll();
    }

    /** Number of cancelled ids known. */
    public int size() {
        return ids.size();
    }

    @Override
    public void close() {
        TopicFollower<String, byte[]> prompts;
        synchronized (this) {
            prompts = promptFollower;
        }
        if (prompts != null) {
            prompts.close();
        }
        follower.close();
    }
}
