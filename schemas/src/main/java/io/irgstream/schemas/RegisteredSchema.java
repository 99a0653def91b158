package io.irgstream.schemas;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One version of a subject in a schema registry.
 *
 * @param subject subject name, e.g. {@code irg.prompts-value}
 * @param id      global schema id, the one written into the Confluent wire format
 * @param version version of the schema within the subject, from 1
 * @param schema  the Avro schema
 */
public record RegisteredSchema(String subject, int id, int version, Schema schema) {

    /**
     * Checks that subject and schema are set.
     *
     * @param subject subject name
     * @param id      global schema id
     * @param version version within the subject
     * @param schema  the Avro schema
     */
    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
