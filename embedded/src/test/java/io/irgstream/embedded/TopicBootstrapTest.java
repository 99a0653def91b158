package io.irgstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.irgstream.embedded.testing.KafkaFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TopicBootstrapTest {

    @Test
    void shouldCreateMissingTopicsOnceWhenCalledRepeatedly() throws Exception {
        String prefix = KafkaFixture.uniqueTopicPrefix("bootstrap");
        TopicSpec steps = TopicSpec.of(prefix + "steps", 4);
        TopicSpec state = TopicSpec.of(prefix + "state", 2).compacted().withConfig("retention.ms", "3600000");

        try (Admin admin = KafkaFixture.admin()) {
            assertThat(TopicBootstrap.ensureTopics(admin, List.of(steps, state)))
                    .containsExactly(steps.name(), state.name());
            assertThat(TopicBootstrap.ensureTopics(admin, List.of(steps, state, steps))).isEmpty();

            Map<String, TopicDescription> described =
                    admin.describeTopics(List.of(steps.name(), state.name())).allTopicNames().get();
            assertThat(described.get(steps.name()).partitions()).hasSize(4);
            assertThat(described.get(state.name()).partitions()).hasSize(2);
        }
    }

    /**
     * Regression: metadata can name a partition's leader a moment before that broker has opened the partition. An
     * idempotent producer whose first batch met that gap while its second one landed could never write the first
     * (every retry out of sequence); WorkerRecoveryIT lost its first prompt that way in CI.
     */
    @Test
    void shouldLeaveNewTopicsWritableAtOnceByAnIdempotentProducer() throws Exception {
        for (int round = 0; round < 10; round++) {
            String name = KafkaFixture.uniqueTopicPrefix("bootstrap") + "writable";
            try (Admin admin = KafkaFixture.admin()) {
                TopicBootstrap.ensureTopics(admin, List.of(TopicSpec.of(name, 2)));
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(KafkaFixture.producerProps(),
                    new StringSerializer(), new StringSerializer())) {
                List<Future<RecordMetadata>> acks = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    acks.add(producer.send(new ProducerRecord<>(name, "k" + i, "v" + i)));
                }
                for (Future<RecordMetadata> ack : acks) {
                    assertThat(ack.get(20, TimeUnit.SECONDS).offset()).isNotNegative();
                }
            }
        }
    }

    @Test
    void shouldApplyTopicConfigsWhenCreatingACompactedTopic() throws Exception {
        TopicSpec state = TopicSpec.of(KafkaFixture.uniqueTopicPrefix("bootstrap") + "compacted", 1)
                .compacted()
                .withConfig("retention.ms", "3600000");

        try (Admin admin = KafkaFixture.admin()) {
            TopicBootstrap.ensureTopics(admin, List.of(state));

            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, state.name());
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            assertThat(config.get("retention.ms").value()).isEqualTo("3600000");
        }
    }

    @Test
    void shouldLeaveExistingTopicUnchangedWhenSpecDiffers() throws Exception {
        String name = KafkaFixture.uniqueTopicPrefix("bootstrap") + "existing";
        KafkaFixture.createTopics(TopicSpec.of(name, 2));

        try (Admin admin = KafkaFixture.admin()) {
            assertThat(TopicBootstrap.ensureTopics(admin, List.of(TopicSpec.of(name, 5)))).isEmpty();
            assertThat(admin.describeTopics(List.of(name)).allTopicNames().get().get(name).partitions()).hasSize(2);
        }
    }

    @Test
    void shouldFailWithTheTopicAndReasonWhenTheClusterRejectsIt() {
        TopicSpec tooManyReplicas = TopicSpec.of(KafkaFixture.uniqueTopicPrefix("bootstrap") + "rf3", 1)
                .withReplicationFactor(3);

        try (Admin admin = KafkaFixture.admin()) {
            assertThatThrownBy(() -> TopicBootstrap.ensureTopics(admin, List.of(tooManyReplicas)))
                    .isInstanceOf(EmbeddedKafkaException.class)
                    .hasMessageStartingWith("Could not create Kafka topic(s) " + tooManyReplicas.name() + " (")
                    .hasMessageNotContaining("\n");
        }
    }

    @Test
    void shouldRejectTwoDifferentSpecsWhenTheyShareAName() {
        try (Admin admin = KafkaFixture.admin()) {
            assertThatThrownBy(() -> TopicBootstrap.ensureTopics(admin,
                    List.of(TopicSpec.of("same", 1), TopicSpec.of("same", 2))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Topic same is specified twice");
        }
    }

    @Test
    void shouldRejectInvalidSpecsWhenBuilt() {
        assertThatThrownBy(() -> TopicSpec.of("bad name", 1)).hasMessageStartingWith("Invalid topic name 'bad name'");
        assertThatThrownBy(() -> TopicSpec.of("ok", 0)).hasMessage("Topic ok needs at least 1 partition, got 0");
    }
}
