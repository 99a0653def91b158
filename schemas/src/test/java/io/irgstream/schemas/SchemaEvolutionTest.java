package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.ImageRef;
import io.irgstream.events.Provenance;
import io.irgstream.schemas.testevents.ImageRefV2;
import java.awt.Color;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SchemaEvolutionTest {

    private static final String TOPIC = "evolution.images";
    private static final String SUBJECT = TOPIC + "-value";

    /** A fresh, empty registry for each test. */
    @RegisterExtension
    final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private SchemaRegistryClient client;

    @BeforeEach
    void registryClient() {
        client = registry.client();
    }

    @Test
    void shouldReadV1DataWithDefaultsWhenReaderIsOnV2() {
        ImageRef v1 = TestEvents.inlinePng(Color.BLUE);
        byte[] bytes = new IrgAvroSerializer<ImageRef>(client).serialize(TOPIC, v1);

        ImageRefV2 read = new IrgAvroDeserializer<>(client, ImageRefV2.class).deserialize(TOPIC, bytes);

        assertThat(read.sha256).isEqualTo(v1.getSha256());
        assertThat(read.width).isEqualTo(64);
        assertThat(read.sizeBytes).isEqualTo(v1.getSizeBytes());
        assertThat(read.inline).isEqualTo(v1.getInline());
        assertThat(read.uri).isNull();
        assertThat(read.colorSpace).isEqualTo("sRGB");
    }

    @Test
    void shouldRegisterV2AsNextVersionWhenAddedFieldHasDefault() {
        int v1Id = client.register(SUBJECT, ImageRef.getClassSchema());
        ImageRefV2 v2 = new ImageRefV2();
        v2.sha256 = "ab".repeat(32);
        v2.mediaType = "image/png";
        v2.width = 8;
        v2.height = 4;
        v2.sizeBytes = 3;
        v2.inline = ByteBuffer.wrap(new byte[] {1, 2, 3});
        v2.colorSpace = "Display-P3";

        byte[] bytes = new IrgAvroSerializer<ImageRefV2>(client).serialize(TOPIC, v2);
        ImageRefV2 readByV2 = new IrgAvroDeserializer<>(client, ImageRefV2.class).deserialize(TOPIC, bytes);

        assertThat(client.getVersions(SUBJECT)).containsExactly(1, 2);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(client.getLatest(SUBJECT).id()).isGreaterThan(v1Id);
        assertThat(readByV2.width).isEqualTo(8);
        assertThat(readByV2.inline).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThat(readByV2.colorSpace).isEqualTo("Display-P3");
    }

    @Test
    void shouldRefuseWith409WhenNewFieldHasNoDefault() {
        client.register(SUBJECT, ImageRef.getClassSchema());

        assertThatThrownBy(() -> client.register(SUBJECT, withField("{\"name\":\"colorSpace\",\"type\":\"string\"}")))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.isIncompatible()).isTrue();
                    assertThat(e.isRetriable()).isFalse();
                })
                .hasMessageStartingWith("incompatible schema for subject evolution.images-value: Schema being "
                        + "registered is incompatible with an earlier schema for subject \"evolution.images-value\"")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
                .hasMessageContaining("colorSpace")
                .hasMessageContaining("compatibility: 'BACKWARD'")
                .hasMessageNotContaining("\n");
        assertThat(client.getVersions(SUBJECT)).containsExactly(1);
    }

    @Test
    void shouldRefuseWith409WhenFieldTypeChanges() {
        client.register(SUBJECT, ImageRef.getClassSchema());
        Schema widthAsString = new Schema.Parser().parse(ImageRef.getClassSchema().toString()
                .replace("{\"name\":\"width\",\"type\":\"int\"", "{\"name\":\"width\",\"type\":\"string\""));

        assertThatThrownBy(() -> client.register(SUBJECT, widthAsString))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("incompatible schema for subject evolution.images-value")
                .hasMessageContaining("TYPE_MISMATCH")
                .hasMessageContaining("/fields/2/type");
    }

    @Test
    void shouldRefuseIncompatibleSchemaThroughSerializerWhenAutoRegistering() {
        client.register(SUBJECT, widthAsString());

        assertThatThrownBy(() -> new IrgAvroSerializer<ImageRef>(client).serialize(TOPIC, TestEvents.blobRef()))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("incompatible schema for subject " + SUBJECT + ": ")
                .hasMessageContaining("TYPE_MISMATCH");
    }

    @Test
    void shouldAllowIncompatibleChangeWhenSubjectCompatibilityIsNone() {
        int v1Id = client.register(SUBJECT, ImageRef.getClassSchema());
        client.register("unrelated-value", ImageRef.getClassSchema());

        client.setCompatibility(SUBJECT, CompatibilityLevel.NONE);
        int v2Id = client.register(SUBJECT, withField("{\"name\":\"colorSpace\",\"type\":\"string\"}"));

        assertThat(v2Id).isGreaterThan(v1Id);
        assertThat(client.getVersions(SUBJECT)).containsExactly(1, 2);
        assertThat(client.getCompatibility(SUBJECT)).isEqualTo(CompatibilityLevel.NONE);
        assertThat(client.getCompatibility("unrelated-value")).isEqualTo(CompatibilityLevel.BACKWARD);
        assertThat(client.getCompatibility(null)).isEqualTo(CompatibilityLevel.BACKWARD);
    }

    @Test
    void shouldCheckEveryVersionWhenCompatibilityIsTransitive() {
        client.setCompatibility(SUBJECT, CompatibilityLevel.NONE);
        client.register(SUBJECT, ImageRef.getClassSchema());
        client.register(SUBJECT, widthAsString());
        Schema next = new Schema.Parser().parse(withField(
                "{\"name\":\"extra\",\"type\":[\"null\",\"string\"],\"default\":null}").toString()
                .replace("{\"name\":\"width\",\"type\":\"int\"", "{\"name\":\"width\",\"type\":\"string\""));

        client.setCompatibility(SUBJECT, CompatibilityLevel.BACKWARD_TRANSITIVE);
        assertThatThrownBy(() -> client.register(SUBJECT, next))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("oldSchemaVersion: 1")
                .hasMessageContaining("compatibility: 'BACKWARD_TRANSITIVE'");

        client.setCompatibility(SUBJECT, CompatibilityLevel.BACKWARD);
        assertThat(client.register(SUBJECT, next)).isEqualTo(3);
    }

    @Test
    void shouldFailWithReasonWhenWriterSchemaCannotBeResolvedIntoReader() {
        byte[] bytes = new IrgAvroSerializer<ImageRef>(client).serialize(TOPIC, TestEvents.blobRef());
        IrgAvroDeserializer<Provenance> wrongReader = new IrgAvroDeserializer<>(client, Provenance.class);

        assertThatThrownBy(() -> wrongReader.deserialize(TOPIC, bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("schema id 1 (io.irgstream.events.ImageRef) cannot be read as "
                        + "io.irgstream.events.Provenance: ")
                .hasMessageEndingWith("(topic evolution.images, " + bytes.length + " bytes)")
                .hasMessageNotContaining("\n");
    }

    private static Schema widthAsString() {
        return new Schema.Parser().parse(ImageRef.getClassSchema().toString()
                .replace("{\"name\":\"width\",\"type\":\"int\"", "{\"name\":\"width\",\"type\":\"string\""));
    }

    private static Schema withField(String fieldJson) {
        String v1 = ImageRef.getClassSchema().toString();
        return new Schema.Parser().parse(v1.substring(0, v1.length() - 2) + "," + fieldJson + "]}");
    }
}
