package io.irgstream.topology.internals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.schemas.AvroClassTrust;
import io.irgstream.schemas.AvroJson;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;

/**
 * The JSON form of a {@link Trajectory} served by the API: every Avro field by name; unions as their value or null;
 * enums as their symbol; timestamps as ISO-8601 strings; and each {@link ImageRef} without its inline bytes but with
 * {@code "url": "/api/images/<sha256>"} where the verified bytes can be fetched.
 */
public final class TrajectoryJson {

    /** The mapper used for every JSON body of the API. */
    public static final ObjectMapper MAPPER = AvroJson.MAPPER;

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

    /** The API's view: an image reference without its inline bytes, with the URL of its verified bytes instead. */
    private static final AvroJson.View API = new AvroJson.View() {
        @Override
        public boolean omit(IndexedRecord record, String field) {
            return record instanceof ImageRef && field.equals("inline");
        }

        @Override
        public void annotate(IndexedRecord record, ObjectNode node) {
            if (record instanceof ImageRef ref) {
                node.put("url", imageUrl(ref.getSha256()));
            }
        }
    };

    private static ObjectNode record(SpecificRecord r) {
        return AvroJson.fields(r, API);
    }
}
