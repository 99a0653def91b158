package io.irgstream.embedded;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.admin.NewTopic;

/**
 * What a topic should look like when {@link TopicBootstrap} creates it.
 *
 * @param name              topic name: 1 to 249 characters from {@code [a-zA-Z0-9._-]}, not {@code .} or {@code ..}
 * @param partitions        number of partitions, at least 1
 * @param replicationFactor number of replicas, 1 to {@link Short#MAX_VALUE}; 1 on a single-node cluster
 * @param configs           topic-level settings such as {@code cleanup.policy=compact} or {@code retention.ms};
 *                          copied, never null
 */
public record TopicSpec(String name, int partitions, int replicationFactor, Map<String, String> configs) {

    private static final int MAX_NAME_LENGTH = 249;

    /** Validates the components and makes {@code configs} an unmodifiable copy. */
    public TopicSpec {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH || name.equals(".") || name.equals("..")
                || !name.matches("[a-zA-Z0-9._-]+")) {
            throw new IllegalArgumentException("Invalid topic name '" + name + "': use 1 to " + MAX_NAME_LENGTH
                    + " characters from [a-zA-Z0-9._-], not '.' or '..'");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("Topic " + name + " needs at least 1 partition, got " + partitions);
        }
        if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
            throw new IllegalArgumentException("Topic " + name + " needs a replication factor between 1 and "
                    + Short.MAX_VALUE + ", got " + replicationFactor);
        }
        Objects.requireNonNull(configs, "configs");
        for (Map.Entry<String, String> entry : configs.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new IllegalArgumentException("Topic " + name + " has a null config name or value: " + configs);
            }
        }
        configs = Map.copyOf(configs);
    }

    /**
     * @param name       topic name
     * @param partitions number of partitions
     * @return a spec with replication factor 1 and no topic configs
     */
    public static TopicSpec of(String name, int partitions) {
        return new TopicSpec(name, partitions, 1, Map.of());
    }

    /**
     * @param replicationFactor number of replicas
     * @return a copy of this spec with the given replication factor
     */
    public TopicSpec withReplicationFactor(int replicationFactor) {
        return new TopicSpec(name, partitions, replicationFactor, configs);
    }

    /**
     * @param key   topic config name, e.g. {@code cleanup.policy}
     * @param value its value, e.g. {@code compact}
     * @return a copy of this spec with the config added or replaced
     */
    public TopicSpec withConfig(String key, String value) {
        Map<String, String> merged = new LinkedHashMap<>(configs);
        merged.put(key, value);
        return new TopicSpec(name, partitions, replicationFactor, merged);
    }

    /** @return a copy of this spec with {@code cleanup.policy=compact} */
    public TopicSpec compacted() {
        return withConfig("cleanup.policy", "compact");
    }

    /** @return the Admin API request that creates this topic */
    public NewTopic toNewTopic() {
        return new NewTopic(name, partitions, (short) replicationFactor).configs(configs);
    }
}
