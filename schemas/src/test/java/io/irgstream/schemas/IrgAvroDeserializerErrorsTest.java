package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.PromptSubmitted;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IrgAvroDeserializerErrorsTest {

    private static final String TOPIC = "irg.prompts";
    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient client;
    private static IrgAvroDeserializer<PromptSubmitted> deserializer;

    @BeforeAll
    static void startRegistry() {
        registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start();
        client = new HttpSchemaRegistryClient(registry.url());
        deserializer = new IrgAvroDeserializer<>(client, PromptSubmitted.class);
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    @Test
    void shouldNameMagicByteWhenBytesAreJson() {
        byte[] json = "{\"trajectoryId\":\"t-1\",\"prompt\":\"a red circle\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, json))
                .isInstanceOf(SerializationException.class)
                .hasMessage("not Confluent wire format: magic byte 0x7b, expected 0x00 (topic irg.prompts, "
                        + json.length + " bytes)");
    }

    @Test
    void shouldSayTooShortWhenFewerThanFiveBytes() {
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {0, 0, 1}))
                .isInstanceOf(SerializationException.class)
                .hasMessage("not Confluent wire format: 3 bytes, expected at least 5 (magic byte 0 and a 4-byte "
                        + "schema id) (topic irg.prompts, 3 bytes)");
    }

    @Test
    void shouldNameIdWhenSchemaIdIsUnknown() {
        byte[] unknownId = {0, 0, 0, 0, 42, 2, 'x'};

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, unknownId))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("unknown schema id 42 ")
                .hasMessageEndingWith("(topic irg.prompts, 7 bytes)")
                .hasMessageNotContaining("\n");
    }

    @Test
    void shouldReportCorruptDataWhenAvroBodyIsTruncated() {
        byte[] good = new IrgAvroSerializer<PromptSubmitted>(client).serialize(TOPIC, TestEvents.prompt());
        byte[] truncated = Arrays.copyOf(good, 12);

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, truncated))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("corrupt Avro data for schema id ")
                .hasMessageContaining("(io.irgstream.events.PromptSubmitted) (topic irg.prompts, 12 bytes): ");
    }

    @Test
    void shouldReportCorruptDataWhenAvroBodyIsGarbage() {
        byte[] good = new IrgAvroSerializer<PromptSubmitted>(client).serialize(TOPIC, TestEvents.prompt());
        byte[] garbage = Arrays.copyOf(good, 64);
        Arrays.fill(garbage, 5, garbage.length, (byte) 0xff);

        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, garbage))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("corrupt Avro data for schema id ");
    }

    @Test
    void shouldThrowRetriableRegistryErrorWhenRegistryIsUnreachable() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        IrgAvroDeserializer<PromptSubmitted> offline = new IrgAvroDeserializer<>(
                new HttpSchemaRegistryClient("http://127.0.0.1:" + deadPort), PromptSubmitted.class);

        assertThatThrownBy(() -> offline.deserialize(TOPIC, new byte[] {0, 0, 0, 0, 1, 0}))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.isRetriable()).isTrue())
                .hasMessageContaining("http://127.0.0.1:" + deadPort);
    }
}
