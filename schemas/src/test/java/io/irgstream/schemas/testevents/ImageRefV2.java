package io.irgstream.schemas.testevents;

import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Test-only v2 of {@code io.irgstream.events.ImageRef}: the same fields plus {@code colorSpace} with a default, written
 * by hand the way avro-maven-plugin would generate it. The alias maps the v1 record name onto this one, so a v2
 * reader resolves v1 data (and the registry accepts v2 as BACKWARD compatible).
 */
public class ImageRefV2 extends SpecificRecordBase {

    private static final String STRING = "{\"type\":\"string\",\"avro.java.string\":\"String\"}";

    /** The v2 schema. */
    public static final Schema SCHEMA$ = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"ImageRefV2\","
            + "\"namespace\":\"io.irgstream.schemas.testevents\",\"aliases\":[\"io.irgstream.events.ImageRef\"],"
            + "\"doc\":\"v2 of ImageRef with a color space.\",\"fields\":["
            + "{\"name\":\"sha256\",\"type\":" + STRING + ",\"doc\":\"SHA-256 of the bytes.\"},"
            + "{\"name\":\"mediaType\",\"type\":" + STRING + ",\"doc\":\"Media type.\"},"
            + "{\"name\":\"width\",\"type\":\"int\",\"doc\":\"Width in pixels.\"},"
            + "{\"name\":\"height\",\"type\":\"int\",\"doc\":\"Height in pixels.\"},"
            + "{\"name\":\"sizeBytes\",\"type\":\"long\",\"doc\":\"Length of the bytes.\"},"
            + "{\"name\":\"inline\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"doc\":\"Inline bytes.\"},"
            + "{\"name\":\"uri\",\"type\":[\"null\"," + STRING + "],\"default\":null,\"doc\":\"Blob location.\"},"
            + "{\"name\":\"colorSpace\",\"type\":" + STRING + ",\"default\":\"sRGB\",\"doc\":\"Added in v2.\"}]}");

    public String sha256;
    public String mediaType;
    public int width;
    public int height;
    public long sizeBytes;
    public ByteBuffer inline;
    public String uri;
    public String colorSpace;

    @Override
    public Schema getSchema() {
        return SCHEMA$;
    }

    @Override
    public Object get(int field) {
        switch (field) {
            case 0: return sha256;
            case 1: return mediaType;
            case 2: return width;
            case 3: return height;
            case 4: return sizeBytes;
            case 5: return inline;
            case 6: return uri;
            case 7: return colorSpace;
            default: throw new IndexOutOfBoundsException("field " + field);
        }
    }

    @Override
    public void put(int field, Object value) {
        switch (field) {
            case 0: sha256 = value.toString(); break;
            case 1: mediaType = value.toString(); break;
            case 2: width = (Integer) value; break;
            case 3: height = (Integer) value; break;
            case 4: sizeBytes = (Long) value; break;
            case 5: inline = (ByteBuffer) value; break;
            case 6: uri = value == null ? null : value.toString(); break;
            case 7: colorSpace = value.toString(); break;
            default: throw new IndexOutOfBoundsException("field " + field);
        }
    }
}
