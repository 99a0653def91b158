package io.irgstream.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Factory for Confluent wire-format Avro {@link Serde}s of the irg-stream events, ready to hand to Kafka Streams
 * ({@code Consumed.with}, {@code Produced.with}) or to plain clients ({@code serde.serializer()}).
 */
public final class IrgSerdes {

    private IrgSerdes() {
    }

    /**
     * Creates a configured serde that registers schemas automatically.
     *
     * @param type   record class, e.g. {@code PromptSubmitted.class}
     * @param client registry client; shared, not closed by the serde
     * @param isKey  true for a key serde (subject {@code <topic>-key}), false for values ({@code <topic>-value})
     * @param <T>    record type
     * @return the serde
     */
    public static <T extends SpecificRecord> Serde<T> forClass(Class<T> type, SchemaRegistryClient client,
            boolean isKey) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(client, "client");
        IrgAvroSerializer<T> serializer = new IrgAvroSerializer<>(client);
        IrgAvroDeserializer<T> deserializer = new IrgAvroDeserializer<>(client, type);
        serializer.configure(Map.of(), isKey);
        deserializer.configure(Map.of(), isKey);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    /**
     * Creates a configured serde from settings (see {@link IrgSerdeConfig}); serializer and deserializer share one
     * {@link HttpSchemaRegistryClient}.
     *
     * @param type    record class
     * @param configs settings, at least {@code schema.registry.url}
     * @param isKey   true for a key serde, false for values
     * @param <T>     record type
     * @return the serde
     */
    public static <T extends SpecificRecord> Serde<T> forClass(Class<T> type, Map<String, ?> configs,
            boolean isKey) {
        Objects.requireNonNull(type, "type");
        SchemaRegistryClient client = new HttpSchemaRegistryClient(configs);
        IrgAvroSerializer<T> serializer = new IrgAvroSerializer<>(client);
        IrgAvroDeserializer<T> deserializer = new IrgAvroDeserializer<>(client, type);
        serializer.configure(configs, isKey);
        deserializer.configure(configs, isKey);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
