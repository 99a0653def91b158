package io.irgstream.topology.internals;

import io.irgstream.events.CancellationRequested;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Writes {@link CancellationRequested} events keyed by trajectory id. Thread-safe; one idempotent producer. */
public final class CancellationWriter implements AutoCloseable {

    private final KafkaProducer<byte[], byte[]> producer;
    private final IrgAvroSerializer<CancellationRequested> serializer;
    private final String topic;

    /**
     * @param bootstrapServers Kafka bootstrap servers
     * @param registry         schema registry client
     * @param topic            the cancellations topic
     */
    public CancellationWriter(String bootstrapServers, SchemaRegistryClient registry, String topic) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 15_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "irg-topology-cancellations");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.serializer = new IrgAvroSerializer<>(registry);
        this.topic = topic;
    }

    /**
     * Requests the cancellation of a trajectory and waits for the broker's acknowledgement.
     *
     * @param id          trajectory id
     * @param requestedBy who asks; informational
     * @param reason      why, or null
     * @throws ApiException 503 when the broker does not acknowledge
     */
    public void cancel(String id, String requestedBy, String reason) {
        CancellationRequested c = CancellationRequested.newBuilder().setTrajectoryId(id).setRequestedAt(Instant.now())
                .setRequestedBy(requestedBy).setReason(reason).build();
        try {
            producer.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8),
                    serializer.serialize(topic, c))).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new ApiException(503, "could not write the cancellation of " + id + " to " + topic + ": "
                    + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new ApiException(503, "could not write the cancellation of " + id + " to " + topic
                    + ": no answer from the broker in 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted while cancelling " + id);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
