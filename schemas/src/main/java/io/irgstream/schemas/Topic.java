package io.irgstream.schemas;

import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;

/**
 * One Kafka topic of the pipeline: its name, the Avro class of its values and whether it is compacted.
 * Keys are always the trajectory id as a UTF-8 string. Immutable; obtained from {@link Topics}.
 *
 * @param <V> value type; {@link SpecificRecord} itself for a topic whose value class this module does not define
 */
public final class Topic<V extends SpecificRecord> {

    private final String name;
    private final String baseName;
    private final Class<V> valueClass;
    private final boolean compacted;

    Topic(String name, String baseName, Class<V> valueClass, boolean compacted) {
        this.name = Objects.requireNonNull(name, "name");
        this.baseName = Objects.requireNonNull(baseName, "baseName");
        this.valueClass = valueClass;
        this.compacted = compacted;
    }

    /** @return the full topic name, prefix included, e.g. {@code irg.prompts} */
    public String name() {
        return name;
    }

    /** @return the name without the prefix, e.g. {@code prompts} */
    public String baseName() {
        return baseName;
    }

    /**
     * @return the Avro class of the values, or empty when this module does not define it (the topology's
     *     trajectory and the cancellations topics), in which case another module owns the value format
     */
    public Optional<Class<V>> valueClass() {
        return Optional.ofNullable(valueClass);
    }

    /** @return true when the topic is log-compacted ({@code cleanup.policy=compact}), false for delete */
    public boolean compacted() {
        return compacted;
    }

    /** @return the value subject under TopicNameStrategy, {@code <name>-value} */
    public String valueSubject() {
        return IrgAvroSerializer.subjectName(name, false);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Topic)) {
            return false;
        }
        Topic<?> other = (Topic<?>) o;
        return compacted == other.compacted && name.equals(other.name) && baseName.equals(other.baseName)
                && Objects.equals(valueClass, other.valueClass);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, valueClass, compacted);
    }

    @Override
    public String toString() {
        return name + "[" + (valueClass == null ? "-" : valueClass.getSimpleName())
                + (compacted ? ", compacted" : "") + "]";
    }
}
