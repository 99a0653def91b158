package io.irgstream.schemas;

import java.util.List;
import java.util.Optional;
import org.apache.avro.Schema;

/**
 * A client for the subset of the Confluent schema registry REST API that irg-stream needs: register and look up
 * Avro schemas by subject, fetch schemas by global id, list subjects and versions, and read or change compatibility.
 *
 * <p>Implementations are thread-safe and may be shared by every serializer and deserializer of a process. Results
 * that cannot change (schema by id, id of a schema in a subject) are cached; lists and "latest" are not.
 *
 * <p>Every method throws {@link SchemaRegistryException} when the registry answers with an error or cannot be
 * reached; its message is one line naming the subject, id or URL concerned.
 */
public interface SchemaRegistryClient {

    /**
     * Registers a schema under a subject, or returns its id when the subject already holds it
     * ({@code POST /subjects/{subject}/versions}).
     *
     * @param subject subject, e.g. {@code irg.prompts-value}
     * @param schema  Avro schema
     * @return the global schema id
     * @throws SchemaRegistryException with {@link SchemaRegistryException#isIncompatible()} when the registry
     *     refuses the schema as incompatible with earlier versions of the subject
     */
    int register(String subject, Schema schema);

    /**
     * Finds a schema among the versions of a subject ({@code POST /subjects/{subject}}).
     *
     * @param subject subject
     * @param schema  Avro schema
     * @return id and version of the schema in the subject, or empty when the subject does not exist or does not
     *     hold the schema
     */
    Optional<RegisteredSchema> lookup(String subject, Schema schema);

    /**
     * Fetches a schema by its global id ({@code GET /schemas/ids/{id}}).
     *
     * @param id global schema id
     * @return the schema
     * @throws SchemaRegistryException with {@link SchemaRegistryException#isNotFound()} when no schema has the id
     */
    Schema getSchemaById(int id);

    /** @return all subjects, as the registry lists them ({@code GET /subjects}) */
    List<String> getSubjects();

    /**
     * Lists the versions of a subject ({@code GET /subjects/{subject}/versions}).
     *
     * @param subject subject
     * @return versions in increasing order
     * @throws SchemaRegistryException with {@link SchemaRegistryException#isNotFound()} when the subject is unknown
     */
    List<Integer> getVersions(String subject);

    /**
     * Fetches the latest version of a subject ({@code GET /subjects/{subject}/versions/latest}).
     *
     * @param subject subject
     * @return the latest version
     * @throws SchemaRegistryException with {@link SchemaRegistryException#isNotFound()} when the subject is unknown
     */
    RegisteredSchema getLatest(String subject);

    /**
     * Reads the compatibility level that applies to a subject: its own, else the registry's global level
     * ({@code GET /config/{subject}?defaultToGlobal=true}).
     *
     * @param subject subject, or null for the global level ({@code GET /config})
     * @return the effective level
     */
    CompatibilityLevel getCompatibility(String subject);

    /**
     * Sets the compatibility level of a subject, or the global one ({@code PUT /config[/{subject}]}).
     *
     * @param subject subject, or null for the global level
     * @param level   new level
     */
    void setCompatibility(String subject, CompatibilityLevel level);
}
