package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ThoughtProduced;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SerdeRoundTripTest {

    private static final Topics TOPICS = Topics.withPrefix("roundtrip.irg.");
    private static EmbeddedSchemaRegistry registry;
    private static SchemaRegistryClient client;

    @BeforeAll
    static void startRegistry() {
        registry = new EmbeddedSchemaRegistry("127.0.0.1", 0, null).start();
        client = new HttpSchemaRegistryClient(registry.url());
    }

    @AfterAll
    static void stopRegistry() {
        registry.close();
    }

    static Stream<Arguments> events() {
        return Stream.of(
                Arguments.of(TOPICS.prompts().name(), TestEvents.prompt()),
                Arguments.of(TOPICS.thoughts().name(), TestEvents.thought()),
                Arguments.of(TOPICS.draftImages().name(), TestEvents.draft()),
                Arguments.of(TOPICS.reflections().name(), TestEvents.reflection()),
                Arguments.of(TOPICS.finalImages().name(), TestEvents.finalImage()),
                Arguments.of(TOPICS.deadLetters().name(), TestEvents.deadLetter(true)),
                Arguments.of(TOPICS.deadLetters().name(), TestEvents.deadLetter(false)));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("events")
    @SuppressWarnings({"unchecked", "rawtypes"})
    void shouldReadBackEqualRecordWhenRoundTrippedThroughSerde(String topic, SpecificRecord event) {
        Serde<SpecificRecord> serde = IrgSerdes.forClass((Class) event.getClass(), client, false);

        byte[] bytes = serde.serializer().serialize(topic, event);
        SpecificRecord read = serde.deserializer().deserialize(topic, bytes);

        assertThat(read).isInstanceOf(event.getClass()).isEqualTo(event);
    }

    @Test
    void shouldKeepInlineImageBytesExactWhenRoundTripped() {
        DraftImageProduced draft = TestEvents.draft();
        byte[] png = Arrays.copyOf(draft.getImage().getInline().array(), draft.getImage().getInline().remaining());
        Serde<DraftImageProduced> serde = IrgSerdes.forClass(DraftImageProduced.class, client, false);

        DraftImageProduced read = serde.deserializer().deserialize(TOPICS.draftImages().name(),
                serde.serializer().serialize(TOPICS.draftImages().name(), draft));

        ByteBuffer inline = read.getImage().getInline();
        byte[] readPng = new byte[inline.remaining()];
        inline.duplicate().get(readPng);
        assertThat(readPng).isEqualTo(png);
        assertThat(TestEvents.sha256(readPng)).isEqualTo(read.getImage().getSha256());
        assertThat(read.getImage().getUri()).isNull();
        assertThat(read.getContext().getSource()).isNull();
        assertThat(read.getContext().getSubmittedAt()).isEqualTo(TestEvents.SUBMITTED);
    }

    @Test
    void shouldWriteMagicByteAndRegistryIdThenPlainAvroWhenSerializing() throws Exception {
        PromptSubmitted prompt = TestEvents.prompt();
        String topic = TOPICS.prompts().name();

        byte[] bytes = new IrgAvroSerializer<PromptSubmitted>(client).serialize(topic, prompt);

        RegisteredSchema registered = client.getLatest(topic + "-value");
        assertThat(registered.schema()).isEqualTo(PromptSubmitted.getClassSchema());
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(registered.id());
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(avroBinary(prompt));
    }

    @Test
    void shouldUseKeySubjectWhenConfiguredAsKeySerializer() {
        Serde<PromptSubmitted> keySerde = IrgSerdes.forClass(PromptSubmitted.class, client, true);

        byte[] bytes = keySerde.serializer().serialize("keyed.topic", TestEvents.prompt());

        assertThat(client.getSubjects()).contains("keyed.topic-key").doesNotContain("keyed.topic-value");
        assertThat(keySerde.deserializer().deserialize("keyed.topic", bytes)).isEqualTo(TestEvents.prompt());
    }

    @Test
    void shouldWorkWhenInstantiatedByKafkaAndConfiguredFromProperties() {
        Serializer<ThoughtProduced> serializer = new IrgAvroSerializer<>();
        Deserializer<ThoughtProduced> deserializer = new IrgAvroDeserializer<>();
        Map<String, Object> configs = Map.of(
                IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url(),
                IrgSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE_CONFIG, ThoughtProduced.class.getName(),
                "bootstrap.servers", "localhost:9092");
        serializer.configure(configs, false);
        deserializer.configure(configs, false);

        ThoughtProduced read = deserializer.deserialize(TOPICS.thoughts().name(),
                serializer.serialize(TOPICS.thoughts().name(), TestEvents.thought()));

        assertThat(read).isEqualTo(TestEvents.thought());
    }

    @Test
    void shouldShareOneClientWhenSerdeIsBuiltFromConfigs() {
        Serde<ThoughtProduced> serde = IrgSerdes.forClass(ThoughtProduced.class,
                Map.of(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url()), false);

        byte[] bytes = serde.serializer().serialize("from-configs", TestEvents.thought());

        assertThat(serde.deserializer().deserialize("from-configs", bytes)).isEqualTo(TestEvents.thought());
        assertThat(client.getVersions("from-configs-value")).containsExactly(1);
    }

    @Test
    void shouldReadIntoWriterSchemaClassWhenNoTypeIsConfigured() {
        byte[] bytes = new IrgAvroSerializer<ThoughtProduced>(client).serialize("untyped", TestEvents.thought());

        SpecificRecord read = new IrgAvroDeserializer<SpecificRecord>(client, null).deserialize("untyped", bytes);

        assertThat(read).isInstanceOf(ThoughtProduced.class).isEqualTo(TestEvents.thought());
    }

    @Test
    void shouldMapNullToNullWhenSerializingTombstones() {
        Serde<PromptSubmitted> serde = IrgSerdes.forClass(PromptSubmitted.class, client, false);

        assertThat(serde.serializer().serialize("tombstones", null)).isNull();
        assertThat(serde.deserializer().deserialize("tombstones", null)).isNull();
    }

    @Test
    void shouldRefuseUnregisteredSchemaWhenAutoRegisterIsOff() {
        IrgAvroSerializer<PromptSubmitted> serializer = new IrgAvroSerializer<>(client, false);

        assertThatThrownBy(() -> serializer.serialize("never.registered", TestEvents.prompt()))
                .isInstanceOf(SerializationException.class)
                .hasMessage("schema io.irgstream.events.PromptSubmitted is not registered under subject "
                        + "never.registered-value and auto.register.schemas is false: register it first");
    }

    @Test
    void shouldUseRegisteredIdWhenAutoRegisterIsOffAndSchemaIsRegistered() {
        int id = client.register("preregistered-value", PromptSubmitted.getClassSchema());
        Serializer<PromptSubmitted> serializer = new IrgAvroSerializer<>(client);
        serializer.configure(Map.of(IrgSerdeConfig.AUTO_REGISTER_SCHEMAS_CONFIG, "false"), false);

        byte[] bytes = serializer.serialize("preregistered", TestEvents.prompt());

        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
    }

    @Test
    void shouldFailWithReasonWhenRequiredFieldIsNull() {
        ThoughtProduced broken = TestEvents.thought();
        broken.setThought(null);

        assertThatThrownBy(() -> new IrgAvroSerializer<ThoughtProduced>(client).serialize("broken", broken))
                .isInstanceOf(SerializationException.class)
                .hasMessageStartingWith("cannot serialize io.irgstream.events.ThoughtProduced for topic broken: ")
                .hasMessageContaining("thought");
    }

    private static byte[] avroBinary(SpecificRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<SpecificRecord>(record.getSchema(), SpecificData.getForClass(record.getClass()))
                .write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
