package io.irgstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;

/**
 * The data of {@link EmbeddedSchemaRegistry}: schemas by global id, the versions of each subject, and compatibility
 * levels, optionally persisted to a JSON store file after every change. All methods are synchronized; every
 * change is written to the store before it becomes visible, so an acknowledged id survives a restart.
 */
final class RegistryState {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int STORE_FORMAT = 1;
    /** A deleted version's place in a subject's list (its number is not reused); stored as 0. */
    private static final int DELETED = 0;

    /** An error answer of the registry: HTTP status, Confluent error code and message. */
    static final class RegistryError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final int errorCode;

        RegistryError(int status, int errorCode, String message) {
            super(message);
            this.status = status;
            this.errorCode = errorCode;
        }
    }

    private final Path storeFile;
    private final CompatibilityLevel defaultLevel;
    private final List<Schema> schemas = new ArrayList<>();        // id - 1 -> schema
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, List<Integer>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new TreeMap<>();
    private CompatibilityLevel globalLevel;                          // null: defaultLevel

    RegistryState(Path storeFile, CompatibilityLevel defaultLevel) {
        this.storeFile = storeFile;
        this.defaultLevel = defaultLevel;
        if (storeFile != null && Files.exists(storeFile)) {
            load();
        }
    }

    synchronized int register(String subject, String schemaText) {
        checkSubjectName(subject);
        Schema schema = parse(schemaText, subject);
        String canonical = schema.toString();
        List<Integer> versions = subjects.getOrDefault(subject, List.of());
        for (int id : versions) {
            if (id != DELETED && canonical(id).equals(canonical)) {
                return id;
            }
        }
        checkCompatibility(subject, schema, versions);
        Integer existing = idsByCanonical.get(canonical);
        int id = existing != null ? existing : schemas.size() + 1;
        if (existing == null) {
            schemas.add(schema);
            idsByCanonical.put(canonical, id);
        }
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        try {
            persist();
        } catch (RuntimeException e) {
            List<Integer> list = subjects.get(subject);
            list.remove(list.size() - 1);
            if (list.isEmpty()) {
                subjects.remove(subject);
            }
            if (existing == null) {
                schemas.remove(schemas.size() - 1);
                idsByCanonical.remove(canonical);
            }
            throw e;
        }
        return id;
    }

    /**
     * Refuses subject names that look like paths or hold control characters ({@code ../../etc/passwd},
     * {@code a/b}, {@code a\\b}, a NUL): no subject of this project needs them, and a tool that maps subjects to
     * files or URLs must not be led elsewhere. Topic-style names such as {@code irg.prompts-value} pass.
     */
    static void checkSubjectName(String subject) {
        if (subject.isBlank() || subject.length() > 255 || subject.contains("/") || subject.contains("\\")
                || subject.contains("..") || subject.chars().anyMatch(Character::isISOControl)) {
            throw new RegistryError(422, SchemaRegistryException.INVALID_SUBJECT, "Subject name '"
                    + PrintableText.escape(subject) + "' is not allowed: use 1 to 255 characters without '/', "
                    + "'\\', '..' or control characters, e.g. <topic>-value");
        }
    }

    synchronized ObjectNode lookup(String subject, String schemaText) {
        Schema schema = parse(schemaText, subject);
        List<Integer> versions = requireSubject(subject);
        String canonical = schema.toString();
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i) != DELETED && canonical(versions.get(i)).equals(canonical)) {
                return version(subject, i + 1, versions.get(i));
            }
        }
        throw new RegistryError(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema not found");
    }

    synchronized Optional<String> schemaById(int id) {
        return id >= 1 && id <= schemas.size() ? Optional.of(canonical(id)) : Optional.empty();
    }

    synchronized List<String> subjects() {
        return subjects.entrySet().stream().filter(e -> e.getValue().stream().anyMatch(id -> id != DELETED))
                .map(Map.Entry::getKey).toList();
    }

    synchronized List<Integer> versions(String subject) {
        List<Integer> ids = requireSubject(subject);
        List<Integer> result = new ArrayList<>(ids.size());
        for (int v = 1; v <= ids.size(); v++) {
            if (ids.get(v - 1) != DELETED) {
                result.add(v);
            }
        }
        return result;
    }

    /**
     * Deletes one version of a subject as Confluent's registry does (a soft delete): the version is no longer listed or
     * served and no longer constrains compatibility; its number is not reused and its schema id keeps resolving.
     *
     * @return the deleted version's number
     */
    synchronized int delete(String subject, String version) {
        List<Integer> ids = requireSubject(subject);
        int v = versionNumber(ids, version);
        if (ids.get(v - 1) == DELETED) {
            throw new RegistryError(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + v + " not found.");
        }
        int id = ids.set(v - 1, DELETED);
        try {
            persist();
        } catch (RuntimeException e) {
            ids.set(v - 1, id);
            throw e;
        }
        return v;
    }

    private static int versionNumber(List<Integer> ids, String version) {
        if ("latest".equals(version) || "-1".equals(version)) {
            for (int v = ids.size(); v >= 1; v--) {
                if (ids.get(v - 1) != DELETED) {
                    return v;
                }
            }
        }
        int v;
        try {
            v = Integer.parseInt(version);
        } catch (NumberFormatException e) {
            v = 0;
        }
        if (v < 1) {
            throw new RegistryError(422, 42202, "The specified version '" + version + "' is not a valid version "
                    + "id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
        if (v > ids.size()) {
            throw new RegistryError(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + v + " not found.");
        }
        return v;
    }

    synchronized ObjectNode version(String subject, String version) {
        List<Integer> versions = requireSubject(subject);
        int v = versionNumber(versions, version);
        if (versions.get(v - 1) == DELETED) {
            throw new RegistryError(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + v + " not found.");
        }
        return version(subject, v, versions.get(v - 1));
    }

    synchronized CompatibilityLevel globalLevel() {
        return globalLevel != null ? globalLevel : defaultLevel;
    }

    synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    synchronized void setLevel(String subject, CompatibilityLevel level) {
        if (subject != null) {
            checkSubjectName(subject);
        }
        CompatibilityLevel previous = subject == null ? globalLevel : subjectLevels.get(subject);
        if (subject == null) {
            globalLevel = level;
        } else {
            subjectLevels.put(subject, level);
        }
        try {
            persist();
        } catch (RuntimeException e) {
            if (subject == null) {
                globalLevel = previous;
            } else if (previous == null) {
                subjectLevels.remove(subject);
            } else {
                subjectLevels.put(subject, previous);
            }
            throw e;
        }
    }

    private ObjectNode version(String subject, int version, int id) {
        ObjectNode node = JSON.createObjectNode();
        node.put("subject", subject);
        node.put("version", version);
        node.put("id", id);
        node.put("schema", canonical(id));
        return node;
    }

    private List<Integer> requireSubject(String subject) {
        List<Integer> versions = subjects.get(subject);
        if (versions == null || versions.stream().allMatch(id -> id == DELETED)) {
            throw new RegistryError(404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject
                    + "' not found.");
        }
        return versions;
    }

    private String canonical(int id) {
        return schemas.get(id - 1).toString();
    }

    private static Schema parse(String text, String subject) {
        if (text == null || text.isBlank()) {
            throw new RegistryError(422, SchemaRegistryException.INVALID_SCHEMA, "Empty schema for subject \""
                    + subject + "\"");
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) {
            throw new RegistryError(422, SchemaRegistryException.INVALID_SCHEMA,
                    HttpSchemaRegistryClient.oneLine("Invalid schema for subject \"" + subject + "\": "
                            + e.getMessage()));
        }
    }

    private void checkCompatibility(String subject, Schema candidate, List<Integer> versions) {
        CompatibilityLevel level = subjectLevels.getOrDefault(subject, globalLevel());
        if (level == CompatibilityLevel.NONE || versions.isEmpty()) {
            return;
        }
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < versions.size(); i++) {
            if (versions.get(i) != DELETED) {
                live.add(i);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        int oldest = level.isTransitive() ? 0 : live.size() - 1;
        List<String> details = new ArrayList<>();
        for (int k = live.size() - 1; k >= oldest; k--) {
            int i = live.get(k);
            Schema old = schemas.get(versions.get(i) - 1);
            int oldVersion = i + 1;
            if (level.checksBackward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, old), "new", "old", details);
            }
            if (level.checksForward()) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(old, candidate), "old", "new", details);
            }
            if (!details.isEmpty()) {
                details.add("{oldSchemaVersion: " + oldVersion + "}");
                details.add("{compatibility: '" + level + "'}");
                throw new RegistryError(409, SchemaRegistryException.INCOMPATIBLE_SCHEMA,
                        HttpSchemaRegistryClient.oneLine("Schema being registered is incompatible with an earlier "
                                + "schema for subject \"" + subject + "\", details: " + details));
            }
        }
    }

    private static void describe(SchemaCompatibility.SchemaPairCompatibility result, String reader, String writer,
            List<String> details) {
        if (result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility i : result.getResult().getIncompatibilities()) {
            String description;
            switch (i.getType()) {
                case READER_FIELD_MISSING_DEFAULT_VALUE:
                    description = "The field '" + i.getMessage() + "' at path '" + i.getLocation() + "' in the "
                            + reader + " schema has no default value and is missing in the " + writer + " schema";
                    break;
                case TYPE_MISMATCH:
                    description = "The type (path '" + i.getLocation() + "') of a field in the " + reader
                            + " schema does not match with the " + writer + " schema: " + i.getMessage();
                    break;
                default:
                    description = i.getMessage() + " (path '" + i.getLocation() + "', " + reader + " schema reading "
                            + writer + " schema)";
                    break;
            }
            details.add("{errorType:'" + i.getType() + "', description:'" + description + "'}");
        }
    }

    private void load() {
        try {
            JsonNode root = JSON.readTree(storeFile.toFile());
            if (root == null || root.path("format").asInt() != STORE_FORMAT) {
                throw corrupt("unknown format " + (root == null ? "(empty)" : root.path("format")) + ", expected "
                        + STORE_FORMAT);
            }
            int expectedId = 1;
            for (JsonNode entry : root.path("schemas")) {
                int id = entry.path("id").asInt();
                if (id != expectedId) {
                    throw corrupt("schema id " + id + " out of order, expected " + expectedId);
                }
                Schema schema;
                try {
                    schema = new Schema.Parser().parse(entry.path("schema").asText());
                } catch (RuntimeException e) {
                    throw corrupt("schema id " + id + " does not parse: " + e.getMessage());
                }
                schemas.add(schema);
                idsByCanonical.putIfAbsent(schema.toString(), id);
                expectedId++;
            }
            for (Map.Entry<String, JsonNode> subject : root.path("subjects").properties()) {
                List<Integer> ids = new ArrayList<>();
                for (JsonNode id : subject.getValue()) {
                    if (id.asInt() != DELETED && (id.asInt() < 1 || id.asInt() > schemas.size())) {
                        throw corrupt("subject " + subject.getKey() + " refers to unknown schema id " + id);
                    }
                    ids.add(id.asInt());
                }
                subjects.put(subject.getKey(), ids);
            }
            if (root.hasNonNull("compatibility")) {
                globalLevel = level(root.get("compatibility").asText());
            }
            for (Map.Entry<String, JsonNode> entry : root.path("subjectCompatibility").properties()) {
                subjectLevels.put(entry.getKey(), level(entry.getValue().asText()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("schema registry store " + storeFile + " is unreadable: " + e.getMessage(),
                    e);
        }
    }

    private CompatibilityLevel level(String name) {
        try {
            return CompatibilityLevel.parse(name);
        } catch (IllegalArgumentException e) {
            throw corrupt(e.getMessage());
        }
    }

    private IllegalStateException corrupt(String reason) {
        return new IllegalStateException("schema registry store " + storeFile + " is corrupt: " + reason
                + "; fix or delete the file (deleting it loses the schema ids that records on disk refer to)");
    }

    private void persist() {
        if (storeFile == null) {
            return;
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format", STORE_FORMAT);
        if (globalLevel != null) {
            root.put("compatibility", globalLevel.name());
        }
        ObjectNode levels = root.putObject("subjectCompatibility");
        subjectLevels.forEach((s, l) -> levels.put(s, l.name()));
        ArrayNode list = root.putArray("schemas");
        for (int id = 1; id <= schemas.size(); id++) {
            list.addObject().put("id", id).put("schema", canonical(id));
        }
        ObjectNode subjectsNode = root.putObject("subjects");
        subjects.forEach((s, ids) -> {
            ArrayNode a = subjectsNode.putArray(s);
            ids.forEach(a::add);
        });
        Path dir = storeFile.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, storeFile.getFileName().toString(), ".tmp");
            Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(tmp, storeFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, storeFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error is the one to report
                }
            }
            throw new RegistryError(500, 50001, "Error in the backend data store: cannot write " + storeFile + ": "
                    + e);
        }
    }
}
