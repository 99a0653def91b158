package io.irgstream.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serializer} for Avro specific records in the Confluent wire format, byte-compatible with Confluent's
 * {@code KafkaAvroSerializer}: magic byte {@code 0}, the 4-byte big-endian schema id, then the Avro binary encoding.
 *
 * <p>The schema is registered (or, with {@code auto.register.schemas=false}, looked up) under the subject
 * {@code <topic>-value}, or {@code <topic>-key} for a key serializer (Confluent's TopicNameStrategy). Ids are cached
 * by the {@link SchemaRegistryClient}, so only the first record of each schema calls the registry.
 *
 * <p>Either construct it with a client, or let Kafka instantiate it by class name and configure it with
 * {@code schema.registry.url} (see {@link IrgSerdeConfig}). {@code null} serializes to {@code null} (a tombstone).
 *
 * <p>Failures: a record that cannot be encoded, a schema the registry refuses (for example as incompatible) or a
 * schema not registered while auto-registration is off throw {@link SerializationException} with a one-line reason.
 * When the registry cannot be reached (or fails with a 5xx), the {@link SchemaRegistryException} is thrown as is;
 * {@link SchemaRegistryException#isRetriable()} tells it apart from bad data.
 *
 * <p>Thread-safe once configured.
 *
 * @param <T> record type
 */
public class IrgAvroSerializer<T extends SpecificRecord> implements Serializer<T> {

    static final byte MAGIC_BYTE = 0;

    private SchemaRegistryClient client;
    private boolean autoRegister;
    private boolean isKey;
    private final Map<Class<?>, SpecificDatumWriter<T>> writers = new ConcurrentHashMap<>();

    /** Creates a serializer that {@link #configure} sets up; this is what Kafka calls for a class name. */
    public IrgAvroSerializer() {
        this.autoRegister = true;
    }

    /**
     * Creates a value serializer that registers schemas through the given client.
     *
     * @param client registry client; not owned, not closed
     */
    public IrgAvroSerializer(SchemaRegistryClient client) {
        this(client, true);
    }

    /**
     * Creates a value serializer; call {@link #configure} with {@code isKey=true} to make it a key serializer.
     *
     * @param client       registry client; not owned, not closed
     * @param autoRegister whether to register schemas (true) or only look them up (false)
     */
    public IrgAvroSerializer(SchemaRegistryClient client, boolean autoRegister) {
        this.client = Objects.requireNonNull(client, "client");
        this.autoRegister = autoRegister;
    }

    /**
     * Configures key or value mode and, when no client was given, creates an {@link HttpSchemaRegistryClient} from
     * {@code configs}. {@code auto.register.schemas} in {@code configs}, when present, overrides the constructor's.
     */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (client == null) {
            this.client = new HttpSchemaRegistryClient(configs);
        }
        Object auto = configs.get(IrgSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG);
        if (auto != null) {
            this.autoRegister = (Boolean) ConfigDef.parseType(IrgSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, auto,
                    ConfigDef.Type.BOOLEAN);
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("IrgAvroSerializer is not configured: call configure() with "
                    + IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG + " or construct it with a SchemaRegistryClient");
        }
        Schema schema = data.getSchema();
        String subject = subjectName(topic, isKey);
        int id = schemaId(subject, schema);
        SpecificDatumWriter<T> writer = writers.computeIfAbsent(data.getClass(),
                c -> new SpecificDatumWriter<>(schema, SpecificData.getForClass(c)));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC_BYTE);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(data, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new SerializationException(HttpSchemaRegistryClient.oneLine("cannot serialize "
                    + schema.getFullName() + " for topic " + topic + ": " + e), e);
        }
        return out.toByteArray();
    }

    /**
     * Subject name under Confluent's TopicNameStrategy.
     *
     * @param topic topic name
     * @param isKey whether the subject is for keys
     * @return {@code <topic>-key} or {@code <topic>-value}
     */
    public static String subjectName(String topic, boolean isKey) {
        if (topic == null || topic.isBlank()) {
            throw new SerializationException("topic must be set to derive the schema subject, got '" + topic + "'");
        }
        return topic + (isKey ? "-key" : "-value");
    }

    private int schemaId(String subject, Schema schema) {
        try {
            if (autoRegister) {
                try {
                    return client.register(subject, schema);
                } catch (SchemaRegistryException e) {
                    if (e.status() != 403) {
                        throw e;
                    }
                    // a read-only registry user: the schema may have been registered by the operator already
                    return client.lookup(subject, schema).map(RegisteredSchema::id).orElseThrow(() ->
                            new SerializationException("schema " + schema.getFullName() + " is not registered under "
                                    + "subject " + subject + " and this registry user may not register it ("
                                    + e.getMessage() + "): register it with a writing user first"));
                }
            }
            return client.lookup(subject, schema).map(RegisteredSchema::id).orElseThrow(() ->
                    new SerializationException("schema " + schema.getFullName() + " is not registered under subject "
                            + subject + " and " + IrgSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG
                            + " is false: register it first"));
        } catch (SchemaRegistryException e) {
            if (e.isRetriable()) {
                throw e;
            }
            throw new SerializationException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // The client is shared or stateless (HTTP); nothing to release.
    }
}
