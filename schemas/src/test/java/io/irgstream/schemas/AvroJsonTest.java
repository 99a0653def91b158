package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;

import java.nio.ByteBuffer;
import java.util.Base64;

import org.apache.avro.generic.IndexedRecord;
import org.junit.jupiter.api.Test;

class AvroJsonTest {
    private static ImageRef image() {
        return ImageRef.newBuilder().setSha256("ab12").setMediaType("image/png").setWidth(64).setHeight(64)
                .setSizeBytes(3).setInline(ByteBuffer.wrap(new byte[] {1, 2, 3})).setUri(null).build();
    }

    @Test
    void shouldShowEveryFieldByNameWithBytesInBase64AndTheTypeFirst() {
        ObjectNode json = AvroJson.toJson(image());

        assertThat(json.fieldNames().next()).isEqualTo("type");
        assertThat(json.get("type").asText()).isEqualTo("ImageRef");
        assertThat(json.get("width").asInt()).isEqualTo(64);
        assertThat(json.get("sizeBytes").asLong()).isEqualTo(3L);
        assertThat(json.get("inline").asText()).isEqualTo(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}));
        assertThat(json.get("uri").isNull()).isTrue();
    }

    @Test
    void shouldLeaveOutAndAddWhatTheViewSays() {
        AvroJson.View view = new AvroJson.View() {
            @Override
            public boolean omit(IndexedRecord record, String field) {
                return field.equals("inline");
            }

            @Override
            public void annotate(IndexedRecord record, ObjectNode node) {
                node.put("url", "/api/images/" + record.get(0));
            }
        };

        ObjectNode json = AvroJson.fields(image(), view);

        assertThat(json.has("inline")).isFalse();
        assertThat(json.has("type")).isFalse();
        assertThat(json.get("url").asText()).isEqualTo("/api/images/ab12");
    }
}
