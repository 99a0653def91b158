package io.irgstream.embedded;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the topics an application needs, on any Kafka cluster.
 *
 * <p>{@link #ensureTopics(Admin, Collection)} is idempotent: topics that are missing are created from their
 * {@link TopicSpec}; topics that exist are left exactly as they are (a different partition count is logged as a
 * warning, never changed). A topic created concurrently by someone else counts as existing. It returns once every
 * topic it created is visible in the metadata the broker serves, with a leader for each partition, and every one of
 * those leaders serves its partition (answers a list-offsets request for it), so clients can use the topics right
 * away. (Metadata can name a leader a moment before that broker has opened the partition; an idempotent producer
 * whose first batch meets that gap, while its next batch lands, can never write the first one: its retry is out of
 * sequence.) The {@link Admin} belongs to the caller and is not closed.
 */
public final class TopicBootstrap {

    /** How long {@link #ensureTopics(Admin, Collection)} waits for the cluster by default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(TopicBootstrap.class);

    private TopicBootstrap() {
    }

    /**
     * Creates the missing topics among {@code topics}, waiting at most {@link #DEFAULT_TIMEOUT}.
     *
     * @param admin  client of the target cluster; not closed
     * @param topics the topics the caller needs; the same spec may appear more than once
     * @return names of the topics this call created, in the given order (empty if all existed)
     * @throws IllegalArgumentException if two different specs share a name
     * @throws EmbeddedKafkaException   if the cluster cannot be reached or a topic cannot be created
     */
    public static Set<String> ensureTopics(Admin admin, Collection<TopicSpec> topics) {
        return ensureTopics(admin, topics, DEFAULT_TIMEOUT);
    }

    /**
     * Creates the missing topics among {@code topics}.
     *
     * @param admin   client of the target cluster; not closed
     * @param topics  the topics the caller needs; the same spec may appear more than once
     * @param timeout how long to wait for each round trip to the cluster
     * @return names of the topics this call created, in the given order (empty if all existed)
     * @throws IllegalArgumentException if two different specs share a name
     * @throws EmbeddedKafkaException   if the cluster cannot be reached or a topic cannot be created
     */
    public static Set<String> ensureTopics(Admin admin, Collection<TopicSpec> topics, Duration timeout) {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(timeout, "timeout");
        Map<String, TopicSpec> wanted = byName(topics);
        if (wanted.isEmpty()) {
            return Set.of();
        }
        Set<String> existing = await(admin.listTopics(new ListTopicsOptions().listInternal(true)).names(), timeout,
                "list topics");

        List<NewTopic> toCreate = new ArrayList<>();
        List<String> present = new ArrayList<>();
        for (TopicSpec spec : wanted.values()) {
            if (existing.contains(spec.name())) {
                present.add(spec.name());
            } else {
                toCreate.add(spec.toNewTopic());
            }
        }
        if (!present.isEmpty()) {
            warnOnPartitionMismatch(admin, present, wanted, timeout);
        }
        Set<String> created = new LinkedHashSet<>();
        if (toCreate.isEmpty()) {
            return created;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        CreateTopicsResult result = admin.createTopics(toCreate);
        Map<String, String> failures = new LinkedHashMap<>();
        for (NewTopic topic : toCreate) {
            try {
                result.values().get(topic.name()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                created.add(topic.name());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    LOG.debug("Topic {} was created concurrently; leaving it as it is", topic.name());
                } else {
                    failures.put(topic.name(), EmbeddedKafkaBroker.oneLine(e));
                }
            } catch (TimeoutException e) {
                failures.put(topic.name(), "no answer within " + timeout.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddedKafkaException("Interrupted while creating Kafka topics " + names(toCreate), e);
            }
        }
        if (!created.isEmpty()) {
            awaitLeaders(admin, created, deadline, timeout);
            LOG.info("Created Kafka topics {}", created);
        }
        if (!failures.isEmpty()) {
            throw new EmbeddedKafkaException("Could not create Kafka topic(s) " + failures.entrySet().stream()
                    .map(entry -> entry.getKey() + " (" + entry.getValue() + ")")
                    .reduce((a, b) -> a + ", " + b).orElse("")
                    + (created.isEmpty() ? "" : "; created " + created));
        }
        return created;
    }

    /**
     * Waits until the broker serves metadata for {@code topics} with a leader for every partition, and until every
     * leader serves its partition: a list-offsets request, which only the partition's leader answers once it has
     * opened the partition, succeeds for all of them.
     */
    private static void awaitLeaders(Admin admin, Set<String> topics, long deadline, Duration timeout) {
        String lastProblem = "no answer";
        while (true) {
            try {
                Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
                        .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                boolean ready = described.values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    Map<TopicPartition, OffsetSpec> partitions = new LinkedHashMap<>();
                    for (TopicDescription d : described.values()) {
                        for (TopicPartitionInfo p : d.partitions()) {
                            partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                        }
                    }
                    admin.listOffsets(partitions).all().get(Math.max(1, deadline - System.nanoTime()),
                            TimeUnit.NANOSECONDS);
                    return;
                }
                lastProblem = "a partition has no leader yet";
            } catch (ExecutionException e) {
                lastProblem = EmbeddedKafkaBroker.oneLine(e);
            } catch (TimeoutException e) {
                lastProblem = "no answer";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddedKafkaException("Interrupted while waiting for new Kafka topics " + topics, e);
            }
            if (System.nanoTime() >= deadline) {
                throw new EmbeddedKafkaException("Kafka topics " + topics + " were created but are not usable within "
                        + timeout.toMillis() + " ms (" + lastProblem + ")");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddedKafkaException("Interrupted while waiting for new Kafka topics " + topics, e);
            }
        }
    }

    private static Map<String, TopicSpec> byName(Collection<TopicSpec> topics) {
        Objects.requireNonNull(topics, "topics");
        Map<String, TopicSpec> wanted = new LinkedHashMap<>();
        for (TopicSpec spec : topics) {
            Objects.requireNonNull(spec, "topic spec");
            TopicSpec previous = wanted.putIfAbsent(spec.name(), spec);
            if (previous != null && !previous.equals(spec)) {
                throw new IllegalArgumentException("Topic " + spec.name() + " is specified twice, differently: "
                        + previous + " and " + spec);
            }
        }
        return wanted;
    }

    private static void warnOnPartitionMismatch(Admin admin, List<String> present, Map<String, TopicSpec> wanted,
                                                Duration timeout) {
        Map<String, TopicDescription> descriptions;
        try {
            descriptions = await(admin.describeTopics(present).allTopicNames(), timeout, "describe topics");
        } catch (EmbeddedKafkaException e) {
            LOG.warn("Could not check the partition counts of existing topics {}: {}", present, e.getMessage());
            return;
        }
        descriptions.forEach((name, description) -> {
            int actual = description.partitions().size();
            int expected = wanted.get(name).partitions();
            if (actual != expected) {
                LOG.warn("Kafka topic {} exists with {} partitions but {} are specified; leaving it unchanged",
                        name, actual, expected);
            }
        });
    }

    private static <T> T await(KafkaFuture<T> future, Duration timeout, String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new EmbeddedKafkaException("Could not " + what + " on the Kafka cluster: "
                    + EmbeddedKafkaBroker.oneLine(e), e.getCause());
        } catch (TimeoutException e) {
            throw new EmbeddedKafkaException("Could not " + what + " on the Kafka cluster: no answer within "
                    + timeout.toMillis() + " ms; check bootstrap.servers and that the cluster is up", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while trying to " + what + " on the Kafka cluster", e);
        }
    }

    private static List<String> names(List<NewTopic> topics) {
        return topics.stream().map(NewTopic::name).toList();
    }
}
