package io.irgstream.topology.internals;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStep;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the webhooks of ended trajectories. A consumer group of its own ({@code <application.id>-webhooks}) reads the
 * committed records of the trajectories topic; for each record of a trajectory that has a {@code callbackUrl} and has
 * ended (COMPLETED, FAILED, CANCELLED or EXPIRED) it POSTs a JSON summary, signed with HMAC-SHA256, and retries with
 * exponential backoff until the receiver answers 2xx or the tries run out; then the callback is written to the
 * dead-letter topic (step {@value TrajectoryFold#WEBHOOK}, with the reason). The offsets of a poll's records are
 * committed only once each of them was delivered or dead-lettered, so a restart (or another instance taking the
 * partitions) calls again whatever was not finished: at least once, with an event id that is the same on every try
 * and every instance ({@link #eventId}), for the receiver to drop repeats.
 *
 * <p>Every callback of one poll runs at once (asynchronously, no thread is held while one waits); the next poll waits
 * for the slowest of them, at most {@code max.attempts} tries with their backoff. Ids delivered recently (the last
 * 100,000) are remembered, so a later change of an ended trajectory (a recorded cancellation, a redrive) does not call
 * again within the process's life.
 */
public final class WebhookDispatcher implements AutoCloseable {

    /** Header with the callback's event id, the same on every try. */
    public static final String EVENT_ID_HEADER = "X-Irg-Event-Id";
    /** Header with the try's time, epoch seconds; signed with the body. */
    public static final String TIMESTAMP_HEADER = "X-Irg-Timestamp";
    /** Header with {@code sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">}. */
    public static final String SIGNATURE_HEADER = "X-Irg-Signature";
    /** Header with the try's number, from 1. */
    public static final String ATTEMPT_HEADER = "X-Irg-Attempt";

    private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);

    /**
     * What the dispatcher needs to know.
     *
     * @param policy      which callback URLs may be called
     * @param secret      the signing key (may be empty only while the policy refuses every callback)
     * @param maxAttempts tries before dead-lettering
     * @param timeout     time limit of one try
     * @param backoff     wait before the second try, doubled after each
     * @param backoffMax  longest wait between tries
     * @param publicUrl   base URL of the API for the links in the summary, without a trailing slash
     */
    public record Settings(WebhookPolicy policy, String secret, int maxAttempts, Duration timeout, Duration backoff,
                           Duration backoffMax, String publicUrl) {
        public Settings {
            Objects.requireNonNull(policy, "policy");
            publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        }

        /** Longest time one callback can take over all its tries. */
        Duration worstCase() {
            Duration total = timeout.multipliedBy(maxAttempts);
            for (int i = 1; i < maxAttempts; i++) {
                total = total.plus(WebhookDispatcher.backoff(this, i));
            }
            return total;
        }
    }

    private final Settings settings;
    private final String topic;
    private final String deadLetterTopic;
    private final String workerId;
    private final Deserializer<Trajectory> deserializer;
    private final Serializer<DeadLetter> deadLetterSerializer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final HttpClient http;
    private final Thread thread;
    private final Counter delivered;
    private final Counter deadLettered;
    private final Counter failedTries;
    /** Event ids delivered or dead-lettered lately; the oldest are forgotten. */
    private final Map<String, Boolean> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 100_000;
        }
    };
    private volatile boolean running = true;
    private volatile boolean started;
    private boolean closed;

    /**
     * Creates the dispatcher; {@link #start()} runs it.
     *
     * @param settings         the webhook settings
     * @param kafka            Kafka connection settings (bootstrap.servers, and security.protocol, sasl.*, ssl.* where
     *                         the cluster needs them), given to the consumer and producer as they are
     * @param groupId          the consumer group
     * @param topic            the trajectories topic
     * @param deadLetterTopic  where callbacks that keep failing go
     * @param deserializer     reads trajectory records
     * @param deadLetterSerializer writes dead letters
     * @param registry         where the counters go; null for none
     */
    public WebhookDispatcher(Settings settings, Map<String, ?> kafka, String groupId, String topic,
            String deadLetterTopic, Deserializer<Trajectory> deserializer, Serializer<DeadLetter> deadLetterSerializer,
            MeterRegistry registry) {
        this.settings = settings;
        this.topic = topic;
        this.deadLetterTopic = deadLetterTopic;
        this.workerId = groupId;
        this.deserializer = deserializer;
        this.deadLetterSerializer = deadLetterSerializer;
        Map<String, Object> c = new HashMap<>(kafka);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
        // a poll's callbacks may all take their every try: the group must not drop this member meanwhile
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                (int) Math.min(Integer.MAX_VALUE, settings.worstCase().plusMinutes(1).toMillis()));
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, groupId + "-dead-letters");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.thread = new Thread(this::run, "irg-webhooks");
        this.thread.setDaemon(true);
        if (registry != null) {
            delivered = Counter.builder("irg.webhook.deliveries").tag("outcome", "delivered")
                    .description("callbacks answered 2xx").register(registry);
            deadLettered = Counter.builder("irg.webhook.deliveries").tag("outcome", "dead_lettered")
                    .description("callbacks written to the dead-letter topic").register(registry);
            failedTries = Counter.builder("irg.webhook.failed.attempts")
                    .description("callback tries that failed (not 2xx, refused, timed out)").register(registry);
        } else {
            delivered = null;
            deadLettered = null;
            failedTries = null;
        }
    }

    /** Starts following the topic on a thread of its own. */
    public WebhookDispatcher start() {
        consumer.subscribe(List.of(topic));
        started = true;
        thread.start();
        return this;
    }

    /**
     * The event id of a trajectory's callback for one end status: a name-based UUID of (id, status), the same on
     * every try, instance and restart.
     */
    public static String eventId(String trajectoryId, String status) {
        return UUID.nameUUIDFromBytes(("irg-webhook\u0000" + trajectoryId + "\u0000" + status)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * The signature header's value: {@code sha256=} and the hex HMAC-SHA256, keyed with {@code secret}, of
     * {@code "<timestamp>.<body>"}.
     */
    public static String signature(String secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /**
     * The JSON summary POSTed for an ended trajectory.
     *
     * @param t       the ended trajectory
     * @param eventId its {@link #eventId}
     * @param baseUrl base URL of the API for the links
     */
    public static byte[] payload(Trajectory t, String eventId, String baseUrl) {
        ObjectNode n = TrajectoryJson.MAPPER.createObjectNode();
        n.put("eventId", eventId);
        n.put("type", "trajectory.ended");
        n.put("trajectoryId", t.getId());
        n.put("status", t.getStatus().name());
        n.put("tenant", t.getTenant());
        n.put("prompt", t.getPrompt());
        n.put("rounds", t.getRounds());
        n.put("currentRound", t.getCurrentRound());
        n.put("failureReason", t.getFailureReason());
        n.put("url", baseUrl + "/api/trajectories/" + t.getId());
        ImageRef image = t.getFinalImage();
        if (image == null) {
            n.putNull("finalImage");
        } else {
            n.putObject("finalImage").put("sha256", image.getSha256()).put("mediaType", image.getMediaType())
                    .put("width", image.getWidth()).put("height", image.getHeight())
                    .put("url", baseUrl + TrajectoryJson.imageUrl(image.getSha256()));
        }
        ObjectNode timings = n.putObject("timings");
        timings.put("submittedAt", t.getSubmittedAt() == null ? null : t.getSubmittedAt().toString());
        timings.put("completedAt", t.getCompletedAt() == null ? null : t.getCompletedAt().toString());
        if (t.getSubmittedAt() != null && t.getCompletedAt() != null) {
            timings.put("endToEndMs", Duration.between(t.getSubmittedAt(), t.getCompletedAt()).toMillis());
        } else {
            timings.putNull("endToEndMs");
        }
        ArrayNode steps = timings.putArray("steps");
        for (TrajectoryStep s : t.getSteps()) {
            steps.addObject().put("step", s.getStep()).put("round", s.getRound())
                    .put("queueWaitMs", s.getQueueWaitMs()).put("computeMs", s.getComputeMs())
                    .put("endToEndMs", s.getEndToEndMs());
        }
        try {
            return TrajectoryJson.MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Wait before try {@code attempt + 1}, after {@code attempt} failed tries: backoff * 2^(attempt-1), capped. */
    static Duration backoff(Settings s, int attempt) {
        long ms = s.backoff().toMillis();
        for (int i = 1; i < attempt && ms < s.backoffMax().toMillis(); i++) {
            ms *= 2;
        }
        return Duration.ofMillis(Math.min(ms, s.backoffMax().toMillis()));
    }

    /** How one callback ended: delivered, or to be dead-lettered with the reason. */
    private record Outcome(boolean delivered, int attempts, String reason, String errorClass, Instant firstFailedAt,
                           Instant lastFailedAt) {
    }

    /** One callback under way: the record that asked for it and its outcome to come. */
    private record Pending(ConsumerRecord<byte[], byte[]> record, Trajectory trajectory, String eventId,
                           CompletableFuture<Outcome> outcome) {
    }

    private void run() {
        try {
            while (running) {
                try {
                    if (!step()) {
                        return;
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    // e.g. the broker unreachable or an ACL missing: keep trying, the log says why
                    LOG.error("webhooks: {}; trying again in 5 s", e.toString());
                    pause(Duration.ofSeconds(5));
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("webhook dispatcher stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * Polls once and calls back what the records ask for; commits their offsets when each was delivered or
     * dead-lettered.
     *
     * @return false when the dispatcher is closing
     */
    private boolean step() {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
        if (records.isEmpty()) {
            return true;
        }
        List<Pending> pending = new ArrayList<>();
        Map<String, Pending> byEvent = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            Pending p = due(r, byEvent);
            if (p != null) {
                pending.add(p);
                byEvent.put(p.eventId(), p);
            }
        }
        boolean finished;
        try {
            finished = finish(pending);
        } catch (KafkaException | IllegalStateException e) {
            // a dead letter could not be written: nothing is committed, the poll's records are read again
            // (those delivered meanwhile are remembered and not called again)
            LOG.error("webhooks: {}; reading the same records again in 5 s", e.toString());
            rewind(records);
            pause(Duration.ofSeconds(5));
            return true;
        }
        if (!finished) {
            return false; // closing: nothing committed, the next owner calls again
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
        }
        try {
            consumer.commitSync(offsets);
        } catch (WakeupException e) {
            throw e;
        } catch (KafkaException e) {
            // a rebalance, a timeout: the next commit covers these offsets too, or the partitions' new owner
            // calls again with the same event ids (this process remembers what it delivered)
            LOG.warn("webhook offsets not committed ({})", e.toString());
        }
        return true;
    }

    /** Seeks every partition of {@code records} back to its first record in them. */
    private void rewind(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            try {
                consumer.seek(tp, records.records(tp).get(0).offset());
            } catch (IllegalStateException e) {
                // no longer assigned: its new owner reads from the committed offset
            }
        }
    }

    private void pause(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (running && System.nanoTime() < until) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The callback a record asks for, started; null when it asks for none. */
    private Pending due(ConsumerRecord<byte[], byte[]> r, Map<String, Pending> byEvent) {
        if (r.value() == null) {
            return null;
        }
        Trajectory t;
        try {
            t = deserializer.deserialize(r.topic(), r.headers(), r.value());
        } catch (RuntimeException e) {
            LOG.warn("webhooks: skipped an unreadable trajectory record at {}-{}@{}: {}", r.topic(), r.partition(),
                    r.offset(), e.toString());
            return null;
        }
        if (t == null || t.getCallbackUrl() == null || !TrajectoryFold.isEnded(t.getStatus())) {
            return null;
        }
        String eventId = eventId(t.getId(), t.getStatus().name());
        synchronized (recent) {
            if (recent.containsKey(eventId) || byEvent.containsKey(eventId)) {
                return null;
            }
        }
        byte[] body = payload(t, eventId, settings.publicUrl());
        URI uri;
        try {
            uri = settings.policy().check(t.getCallbackUrl());
        } catch (IllegalArgumentException e) {
            Instant now = Instant.now();
            return new Pending(r, t, eventId, CompletableFuture.completedFuture(new Outcome(false, 0,
                    "callback not called: " + e.getMessage(), IllegalArgumentException.class.getName(), now, now)));
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        attempt(uri, eventId, body, 1, null, outcome);
        return new Pending(r, t, eventId, outcome);
    }

    /** Makes try {@code attempt}; on failure schedules the next after its backoff, or ends with a dead letter. */
    private void attempt(URI uri, String eventId, byte[] body, int attempt, Instant firstFailedAt,
            CompletableFuture<Outcome> outcome) {
        if (!running) {
            outcome.cancel(false);
            return;
        }
        String timestamp = Long.toString(Instant.now().getEpochSecond());
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(uri).timeout(settings.timeout())
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "irg-stream-webhooks")
                    .header(EVENT_ID_HEADER, eventId)
                    .header(TIMESTAMP_HEADER, timestamp)
                    .header(SIGNATURE_HEADER, signature(settings.secret(), timestamp, body))
                    .header(ATTEMPT_HEADER, Integer.toString(attempt))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        } catch (RuntimeException e) {
            Instant now = Instant.now();
            outcome.complete(new Outcome(false, attempt - 1, "callback to " + redacted(uri) + " cannot be made: "
                    + e.getMessage(), e.getClass().getName(), firstFailedAt == null ? now : firstFailedAt, now));
            return;
        }
        http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            if (error == null && response.statusCode() / 100 == 2) {
                outcome.complete(new Outcome(true, attempt, null, null, firstFailedAt, null));
                return;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            String reason = cause == null ? "HTTP " + response.statusCode()
                    : cause instanceof java.net.http.HttpTimeoutException ? "no answer within "
                    + settings.timeout().toMillis() + " ms" : cause.toString();
            Instant now = Instant.now();
            Instant first = firstFailedAt == null ? now : firstFailedAt;
            if (failedTries != null) {
                failedTries.increment();
            }
            if (attempt >= settings.maxAttempts()) {
                outcome.complete(new Outcome(false, attempt, "callback to " + redacted(uri) + " failed " + attempt
                        + " times; last: " + reason, cause == null ? "HTTP " + response.statusCode()
                        : cause.getClass().getName(), first, now));
                return;
            }
            Duration wait = backoff(settings, attempt);
            LOG.debug("callback {} try {} failed ({}); next in {} ms", eventId, attempt, reason, wait.toMillis());
            CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> attempt(uri, eventId, body, attempt + 1, first, outcome));
        });
    }

    /**
     * Waits for every callback of a poll, then writes the dead letters and waits for their acknowledgement.
     *
     * @return false when the dispatcher closed meanwhile (nothing is to be committed)
     */
    private boolean finish(List<Pending> pending) {
        List<Future<?>> acks = new ArrayList<>();
        List<DeadLetter> letters = new ArrayList<>();
        List<String> deadLettered = new ArrayList<>();
        for (Pending p : pending) {
            Outcome o;
            try {
                o = await(p.outcome());
            } catch (java.util.concurrent.CancellationException e) {
                return false;
            }
            if (o == null) {
                return false;
            }
            if (o.delivered()) {
                synchronized (recent) {
                    recent.put(p.eventId(), Boolean.TRUE);
                }
                if (delivered != null) {
                    delivered.increment();
                }
                LOG.info("callback {} of trajectory {} ({}) delivered after {} tr{}", p.eventId(),
                        p.trajectory().getId(), p.trajectory().getStatus(), o.attempts(), o.attempts() == 1 ? "y"
                                : "ies");
                continue;
            }
            LOG.warn("callback {} of trajectory {} dead-lettered: {}", p.eventId(), p.trajectory().getId(),
                    o.reason());
            deadLettered.add(p.eventId());
            ConsumerRecord<byte[], byte[]> r = p.record();
            DeadLetter d = DeadLetter.newBuilder().setStep(TrajectoryFold.WEBHOOK)
                    .setTrajectoryId(p.trajectory().getId()).setTopic(r.topic()).setPartition(r.partition())
                    .setOffset(r.offset()).setKey(r.key() == null ? null : java.nio.ByteBuffer.wrap(r.key()))
                    .setValue(java.nio.ByteBuffer.wrap(r.value())).setErrorClass(o.errorClass())
                    .setErrorMessage(o.reason()).setAttempts(o.attempts()).setFirstFailedAt(o.firstFailedAt())
                    .setLastFailedAt(o.lastFailedAt()).setWorkerId(workerId).build();
            letters.add(d);
            acks.add(sendDeadLetter(d));
        }
        producer.flush();
        for (int i = 0; i < acks.size(); i++) {
            try {
                try {
                    acks.get(i).get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.RecordTooLargeException)) {
                        throw e;
                    }
                    // the trajectory record (inline images) is over the dead-letter topic's limit: without it
                    DeadLetter d = letters.get(i);
                    int size = d.getValue().remaining();
                    d.setValue(null);
                    d.setErrorMessage(d.getErrorMessage() + " (the trajectory record, " + size + " bytes, is left "
                            + "out: over the limit of " + deadLetterTopic + ")");
                    sendDeadLetter(d).get(30, TimeUnit.SECONDS);
                }
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("cannot write a webhook dead letter to " + deadLetterTopic + ": "
                        + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        synchronized (recent) {
            deadLettered.forEach(id -> recent.put(id, Boolean.TRUE));
        }
        if (this.deadLettered != null) {
            this.deadLettered.increment(deadLettered.size());
        }
        return true;
    }

    private Future<?> sendDeadLetter(DeadLetter d) {
        return producer.send(new ProducerRecord<>(deadLetterTopic, null,
                d.getTrajectoryId().getBytes(StandardCharsets.UTF_8), deadLetterSerializer.serialize(deadLetterTopic, d)));
    }

    /** The outcome, or null when the dispatcher closed first. */
    private Outcome await(CompletableFuture<Outcome> outcome) {
        while (running) {
            try {
                return outcome.get(200, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // keep waiting
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (ExecutionException e) {
                throw new IllegalStateException("callback failed unexpectedly", e.getCause());
            }
        }
        return null;
    }

    /** The URL without its query and fragment, which may carry tokens, for logs and dead letters. */
    static String redacted(URI uri) {
        return uri.getScheme() + "://" + uri.getRawAuthority() + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    /** Stops calling; callbacks not finished are called again by the next owner of their partitions. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        if (!started) {
            consumer.close(Duration.ZERO);
        } else {
            consumer.wakeup();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close(Duration.ofSeconds(5));
    }
}
