package io.irgstream.schemas;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Kafka {@link Deserializer} for Avro specific records in the Confluent wire format (magic byte {@code 0}, 4-byte
 * big-endian schema id, Avro binary), reading data written by Confluent's {@code KafkaAvroSerializer} or
 * {@link IrgAvroSerializer}.
 *
 * <p>The writer schema is fetched by id and resolved into the reader class's schema with Avro's schema resolution,
 * so a reader on a newer schema reads older data (fields it added get their defaults). The reader class is the one
 * given to the constructor, else {@code specific.avro.value.type} / {@code specific.avro.key.type}, else the class
 * named by the writer schema.
 *
 * <p>Failures: bytes that are not in the wire format, an unknown schema id, a writer schema the reader cannot
 * resolve, or corrupt Avro data throw {@link SerializationException} with a one-line reason, such as
 * {@code "not Confluent wire format: magic byte 0x7b, expected 0x00 (topic irg.prompts, 57 bytes)"} or
 * {@code "unknown schema id 42 ..."}. When the registry cannot be reached (or fails with a 5xx), the
 * {@link SchemaRegistryException} is thrown as is, so a handler can retry instead of dropping the record.
 * {@code null} deserializes to {@code null}.
 *
 * <p>Loading this class lets Avro instantiate generated record, enum and fixed classes by schema name, which
 * Avro 1.12's {@code ClassSecurityValidator} otherwise forbids (it is added to the JVM's global predicate).
 *
 * <p>Thread-safe once configured.
 *
 * @param <T> record type
 */
public class IrgAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {

    private static final int HEADER_SIZE = 5;

    static {
        AvroClassTrust.install();
    }

    private SchemaRegistryClient client;
    private Class<T> type;
    private boolean isKey;
    private final Map<Integer, Reader<T>> readers = new ConcurrentHashMap<>();

    /** Creates a deserializer that {@link #configure} sets up; this is what Kafka calls for a class name. */
    public IrgAvroDeserializer() {
    }

    /**
     * Creates a deserializer reading into the given class.
     *
     * @param client registry client; not owned, not closed
     * @param type   reader class, or null to use the class named by each writer schema
     */
    public IrgAvroDeserializer(SchemaRegistryClient client, Class<T> type) {
        this.client = Objects.requireNonNull(client, "client");
        this.type = type;
    }

    /**
     * Configures key or value mode; creates an {@link HttpSchemaRegistryClient} from {@code configs} when no client
     * was given, and takes the reader class from {@code specific.avro.value.type} (or {@code .key.type}) when none
     * was given.
     *
     * @throws ConfigException when the configured type is not an Avro SpecificRecord class
     */
    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (client == null) {
            this.client = new HttpSchemaRegistryClient(configs);
        }
        if (type == null) {
            String key = isKey ? IrgSerdeConfig.SPECIFIC_AVRO_KEY_TYPE_CONFIG
                    : IrgSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG;
            Object configured = configs.get(key);
            if (configured != null) {
                this.type = specificClass(key, configured);
            }
        }
        readers.clear();
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (client == null) {
            throw new IllegalStateException("IrgAvroDeserializer is not configured: call configure() with "
                    + IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG + " or construct it with a SchemaRegistryClient");
        }
        String where = "(topic " + topic + ", " + data.length + " bytes)";
        if (data.length < HEADER_SIZE) {
            throw new SerializationException("not Confluent wire format: " + data.length
                    + " bytes, expected at least 5 (magic byte 0 and a 4-byte schema id) " + where);
        }
        if (data[0] != IrgAvroSerializer.MAGIC_BYTE) {
            throw new SerializationException(String.format(
                    "not Confluent wire format: magic byte 0x%02x, expected 0x00 %s", data[0] & 0xff, where));
        }
        int id = ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
        Reader<T> reader = readers.computeIfAbsent(id, i -> newReader(i, where));
        if (reader.error != null) {
            throw new SerializationException(reader.error + " " + where);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER_SIZE, data.length - HEADER_SIZE,
                    null);
            return reader.datumReader.read(null, decoder);
        } catch (Exception e) {
            throw new SerializationException(HttpSchemaRegistryClient.oneLine("corrupt Avro data for schema id " + id
                    + " (" + reader.writerName + ") " + where + ": " + e), e);
        }
    }

    private Reader<T> newReader(int id, String where) {
        Schema writer;
        try {
            writer = client.getSchemaById(id);
        } catch (SchemaRegistryException e) {
            if (e.isRetriable()) {
                throw e;
            }
            // Not cached: the id may appear later (a registry replica catching up).
            throw new SerializationException(e.isNotFound() ? e.getMessage() + " " + where
                    : "cannot fetch schema id " + id + ": " + e.getMessage() + " " + where, e);
        }
        Class<T> readerClass = type != null ? type : classFor(writer);
        if (readerClass == null) {
            return Reader.failed("schema id " + id + " is " + writer.getFullName() + ", which has no SpecificRecord "
                    + "class on the classpath: set " + (isKey ? IrgSerdeConfig.SPECIFIC_AVRO_KEY_TYPE_CONFIG
                    : IrgSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG));
        }
        SpecificData model = SpecificData.getForClass(readerClass);
        Schema readerSchema = model.getSchema(readerClass);
        SchemaCompatibility.SchemaPairCompatibility compatibility =
                SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            String details = compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation() + ": " + i.getMessage())
                    .collect(Collectors.joining("; "));
            return Reader.failed(HttpSchemaRegistryClient.oneLine("schema id " + id + " (" + writer.getFullName()
                    + ") cannot be read as " + readerSchema.getFullName() + ": " + details));
        }
        return new Reader<>(new SpecificDatumReader<>(writer, readerSchema, model), writer.getFullName(), null);
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<T> classFor(Schema writer) {
        if (writer.getType() != Schema.Type.RECORD) {
            return null;
        }
        Class<?> c = SpecificData.get().getClass(writer);
        return c != null && SpecificRecord.class.isAssignableFrom(c) ? (Class<T>) c : null;
    }

    @SuppressWarnings("unchecked")
    private static <T> Class<T> specificClass(String key, Object configured) {
        Class<?> c;
        if (configured instanceof Class<?>) {
            c = (Class<?>) configured;
        } else {
            try {
                c = Utils.loadClass(configured.toString().trim(), Object.class);
            } catch (ClassNotFoundException e) {
                throw new ConfigException(key, configured, "class not found on the classpath");
            }
        }
        if (!SpecificRecord.class.isAssignableFrom(c)) {
            throw new ConfigException(key, c.getName(), "not an Avro SpecificRecord class");
        }
        return (Class<T>) c;
    }

    @Override
    public void close() {
        // The client is shared or stateless (HTTP); nothing to release.
    }

    private static final class Reader<T> {
        final SpecificDatumReader<T> datumReader;
        final String writerName;
        final String error;

        Reader(SpecificDatumReader<T> datumReader, String writerName, String error) {
            this.datumReader = datumReader;
            this.writerName = writerName;
            this.error = error;
        }

        static <T> Reader<T> failed(String error) {
            return new Reader<>(null, null, error);
        }
    }
}
