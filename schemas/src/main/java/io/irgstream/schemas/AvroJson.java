package io.irgstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.IndexedRecord;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;

/**
 * Readable JSON for Avro records, the one walker every JSON view of an event or trajectory goes through (the HTTP API,
 * the CLI's files and dead-letter listings): fields by name, unions as their value or null, enums as their symbol,
 * timestamps as ISO-8601 strings, bytes as base64. A {@link View} may leave fields out and add some per record (the
 * API replaces an image's inline bytes by its URL). The topics themselves carry Avro binary.
 */
public final class AvroJson {
    /** A plain mapper for reading and writing these documents. */
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** How records are shown: which fields are left out and what is added to a record's object. */
    public interface View {
        /** Whether field {@code field} of {@code record} is left out (default: none is). */
        default boolean omit(IndexedRecord record, String field) {
            return false;
        }

        /** Adds to {@code node}, the object of {@code record}, after its fields (default: nothing). */
        default void annotate(IndexedRecord record, ObjectNode node) {
        }
    }

    /** Every field, nothing added. */
    public static final View ALL_FIELDS = new View() {
    };

    private AvroJson() {
    }

    /** The record's fields, with a {@code "type"} member first naming its schema (for files that mix event types). */
    public static ObjectNode toJson(IndexedRecord record) {
        ObjectNode o = F.objectNode();
        o.put("type", record.getSchema().getName());
        o.setAll(fields(record, ALL_FIELDS));
        return o;
    }

    /** The record's fields as {@code view} shows them, nested records likewise. */
    public static ObjectNode fields(IndexedRecord record, View view) {
        ObjectNode o = F.objectNode();
        for (Schema.Field f : record.getSchema().getFields()) {
            if (!view.omit(record, f.name())) {
                o.set(f.name(), value(record.get(f.pos()), view));
            }
        }
        view.annotate(record, o);
        return o;
    }

    private static JsonNode value(Object v, View view) {
        if (v == null) {
            return F.nullNode();
        } else if (v instanceof IndexedRecord r) {
            return fields(r, view);
        } else if (v instanceof CharSequence s) {
            return F.textNode(s.toString());
        } else if (v instanceof Integer i) {
            return F.numberNode(i);
        } else if (v instanceof Long l) {
            return F.numberNode(l);
        } else if (v instanceof Double d) {
            return F.numberNode(d);
        } else if (v instanceof Float fl) {
            return F.numberNode(fl);
        } else if (v instanceof Boolean b) {
            return F.booleanNode(b);
        } else if (v instanceof Instant t) {
            return F.textNode(t.toString());
        } else if (v instanceof ByteBuffer bb) {
            ByteBuffer d = bb.duplicate();
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            return F.textNode(Base64.getEncoder().encodeToString(bytes));
        } else if (v instanceof Enum<?> e) {
            return F.textNode(e.name());
        } else if (v instanceof GenericEnumSymbol<?> e) {
            return F.textNode(e.toString());
        } else if (v instanceof Collection<?> c) {
            ArrayNode a = F.arrayNode();
            c.forEach(x -> a.add(value(x, view)));
            return a;
        } else if (v instanceof Map<?, ?> m) {
            ObjectNode o = F.objectNode();
            m.forEach((k, x) -> o.set(String.valueOf(k), value(x, view)));
            return o;
        }
        return F.textNode(String.valueOf(v));
    }
}
