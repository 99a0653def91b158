package io.irgstream.topology.internals;

import io.irgstream.schemas.AvroClassTrust;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificRecord;

/**
 * The JSON form of a {@link Trajectory} served by the API: every Avro field by name; unions as their value or null;
 * enums as their symbol; timestamps as ISO-8601 strings; and each {@link ImageRef} without its inline bytes but with
 * {@code "url": "/api/images/<sha256>"} where the verified bytes can be fetched.
 */
public final class TrajectoryJson {

    /** The mapper used for every JSON body of the API. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    static {
        AvroClassTrust.install();
    }

    private TrajectoryJson() {
    }

    /**
     * @param t a trajectory
     * @return its JSON form
     */
    public static ObjectNode toJson(Trajectory t) {
        return record(t);
    }

    /**
     * @param sha256 an image hash
     * @return the path of the image endpoint for it
     */
    public static String imageUrl(String sha256) {
        return "/api/images/" + sha256;
    }

    private static ObjectNode record(SpecificRecord r) {
        ObjectNode node = NODES.objectNode();
        for (Schema.Field f : r.getSchema().getFields()) {
            if (r instanceof ImageRef && f.name().equals("inline")) {
                continue;
            }
            node.set(f.name(), value(r.get(f.pos())));
        }
        if (r instanceof ImageRef ref) {
            node.put("url", imageUrl(ref.getSha256()));
        }
        return node;
    }

    private static JsonNode value(Object v) {
        if (v == null) {
            return NODES.nullNode();
        } else if (v instanceof SpecificRecord r) {
            return record(r);
        } else if (v instanceof CharSequence s) {
            return NODES.textNode(s.toString());
        } else if (v instanceof Instant i) {
            return NODES.textNode(i.toString());
        } else if (v instanceof Enum<?> e) {
            return NODES.textNode(e.name());
        } else if (v instanceof GenericEnumSymbol<?> e) {
            return NODES.textNode(e.toString());
        } else if (v instanceof Integer i) {
            return NODES.numberNode(i);
        } else if (v instanceof Long l) {
            return NODES.numberNode(l);
        } else if (v instanceof Double d) {
            return NODES.numberNode(d);
        } else if (v instanceof Float f) {
            return NODES.numberNode(f);
        } else if (v instanceof Boolean b) {
            return NODES.booleanNode(b);
        } else if (v instanceof ByteBuffer b) {
            ByteBuffer d = b.duplicate();
            byte[] bytes = new byte[d.remaining()];
            d.get(bytes);
            return NODES.binaryNode(bytes);
        } else if (v instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            c.forEach(x -> a.add(value(x)));
            return a;
        } else if (v instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, x) -> o.set(k.toString(), value(x)));
            return o;
        }
        return NODES.textNode(v.toString());
    }
}
