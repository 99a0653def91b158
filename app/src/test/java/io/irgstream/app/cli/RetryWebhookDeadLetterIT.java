package io.irgstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.embedded.TopicSpec;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DeadLetter;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * retry-dead-letters leaves the topology's webhook dead letters alone: their value is a trajectory record, which written
 * back to the trajectories topic would overwrite the topology's newer one.
 */
class RetryWebhookDeadLetterIT {

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();

    @Test
    void shouldSkipAWebhookDeadLetter() throws Exception {
        String prefix = KafkaFixture.uniqueTopicPrefix("retry-hook");
        Topics topics = Topics.withPrefix(prefix);
        KafkaFixture.createTopics(TopicSpec.of(topics.deadLetters().name(), 1),
                TopicSpec.of(topics.trajectories().name(), 1).compacted());
        DeadLetter hook = DeadLetter.newBuilder().setStep("webhook").setTrajectoryId("t-1")
                .setTopic(topics.trajectories().name()).setPartition(0).setOffset(4)
                .setKey(ByteBuffer.wrap("t-1".getBytes(StandardCharsets.UTF_8)))
                .setValue(ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 1})).setErrorClass("HTTP 503")
                .setErrorMessage("callback to https://hooks.example.com/x failed 8 times; last: HTTP 503")
                .setAttempts(8).setFirstFailedAt(Instant.now()).setLastFailedAt(Instant.now())
                .setWorkerId("irg-topology-webhooks").build();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.deadLetters().name(), "t-1",
                    new IrgAvroSerializer<DeadLetter>(new HttpSchemaRegistryClient(registry.url()))
                            .serialize(topics.deadLetters().name(), hook))).get();
        }

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("retry-dead-letters", "--bootstrap-servers", KafkaFixture.bootstrapServers(),
                "--schema-registry", registry.url(), "--topic-prefix", prefix);

        assertThat(code).as(err.toString()).isEqualTo(0);
        assertThat(err.toString()).contains("skipped (a callback that kept failing").contains("t-1");
        assertThat(out.toString()).contains("0 of 1 dead letters re-submitted");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(KafkaFixture.consumerProps("retry-hook-check"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topics.trajectories().name(), 0);
            assertThat(c.endOffsets(List.of(tp)).values().stream().collect(Collectors.toList()))
                    .as("nothing written to the trajectories topic").containsExactly(0L);
        }
    }
}
