package io.irgstream.app.client;

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
 * Readable JSON for Avro records: fields by name, timestamps as ISO-8601, enums as names, bytes as base64, and
 * each record tagged with its type. Meant for people and audit files; the topics themselves carry Avro binary.
 */
public final class AvroJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AvroJson() {
    }

    public static ObjectNode toJson(IndexedRecord record) {
        ObjectNode o = F.objectNode();
        o.put("type", record.getSchema().getName());
        o.setAll(fields(record));
        return o;
    }

    private static ObjectNode fields(IndexedRecord record) {
        ObjectNode o = F.objectNode();
        for (Schema.Field f : record.getSchema().getFields()) {
            o.set(f.name(), value(record.get(f.pos())));
        }
        return o;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return F.nullNode();
        } else if (v instanceof IndexedRecord r) {
            return fields(r);
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
            c.forEach(x -> a.add(value(x)));
            return a;
        } else if (v instanceof Map<?, ?> m) {
            ObjectNode o = F.objectNode();
            m.forEach((k, x) -> o.set(String.valueOf(k), value(x)));
            return o;
        }
        return F.textNode(String.valueOf(v));
    }
}
