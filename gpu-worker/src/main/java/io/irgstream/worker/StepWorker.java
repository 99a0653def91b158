package io.irgstream.worker;

import io.irgstream.model.StepModel;
import io.irgstream.schemas.IrgAvroSerializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One instance of one IRG step: a transactional consume -> model -> produce loop with dynamic micro-batching. Its
 * loop reads in five lines: the {@link BatchAccumulator} polls until a batch closes, the
 * {@link BatchExecutor} runs it through the step's {@link StepHandler} and model and says what became of each record
 * ({@link Outcome}), the {@link FailureRouter} turns that into output events, retries and dead letters, and the
 * {@link TransactionalCommitter} writes them and commits the input offsets in one transaction. The
 * {@link Supervisor} re-creates the Kafka clients ({@link WorkerClients}) after a fatal error.
 *
 * <p>Design notes:
 * <ul>
 *   <li><b>Exactly once within Kafka.</b> Each batch's output events, its retries and dead letters and its input
 *       offsets are committed in one Kafka transaction, fenced by the consumer group's metadata (KIP-447). A worker
 *       that dies mid-batch leaves an open transaction that its successor aborts (same {@code worker.id}) or that
 *       times out; read_committed readers never see its output, and the input is read again.</li>
 *   <li><b>Micro-batching.</b> A batch closes when it holds {@code max.batch.size} records or
 *       {@code max.batch.wait.ms} after its first record arrived; with the default wait of 0 a batch is whatever is
 *       ready when the model is free (as Triton's dynamic batcher with no queue delay).</li>
 *   <li><b>Long batches.</b> The batch runs on the worker's compute thread; meanwhile the poll thread keeps polling
 *       with every partition paused, so a batch may take longer than {@code max.poll.interval.ms} without a rebalance,
 *       up to {@code batch.timeout.ms}.</li>
 *   <li><b>Failures</b> are routed on their type ({@link FailureKind}).</li>
 *   <li><b>Threading.</b> {@link #run()} runs the loop on the calling thread and the model on one compute thread of its
 *       own (the model is never called from two threads); {@link #stop} may be called from any thread (e.g. a SIGTERM
 *       hook): the open batch finishes and commits, then the clients close.</li>
 * </ul>
 */
public final class StepWorker implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StepWorker.class);

    /** Longest prompt a worker accepts (the same limit as submit's). */
    static final int MAX_PROMPT_CHARS = io.irgstream.schemas.client.Submission.MAX_PROMPT_CHARS;

    private final WorkerConfig config;
    private final StepModel model;
    private final WorkerClients clients;
    private final StepTopics topics;
    private final List<String> retryTopics = new ArrayList<>();
    private final MeterRegistry metrics;
    private final Tags tags;
    private final WorkerStats stats = new WorkerStats();
    private final BatchAccumulator accumulator;
    private final BatchExecutor executor;
    private final FailureRouter router;
    private final TransactionalCommitter committer;
    private final Supervisor supervisor;
    /** The one thread that calls the model (its thread is started at the first batch). */
    private final ExecutorService compute;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile Consumer<byte[], byte[]> consumer;

    /**
     * @param config   validated worker configuration
     * @param model    the step model; owned by the caller (not closed by the worker)
     * @param registry schema registry client shared by the serdes
     * @param images   image store for reading inputs and writing outputs
     * @param cancellations cancelled trajectories to skip, or null to skip none
     */
    public StepWorker(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                      Cancellations cancellations) {
        this(config, model, registry, images, cancellations, null);
    }

    /**
     * As {@link #StepWorker(WorkerConfig, StepModel, SchemaRegistryClient, ImageStore, Cancellations)}, publishing
     * the worker's meters ({@code irg.worker.*} and its Kafka clients' metrics) to {@code metrics} when not null.
     */
    public StepWorker(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                      Cancellations cancellations, MeterRegistry metrics) {
        this(config, model, registry, images, cancellations, metrics, WorkerClients.kafka());
    }

    /**
     * As {@link #StepWorker(WorkerConfig, StepModel, SchemaRegistryClient, ImageStore, Cancellations, MeterRegistry)},
     * with its Kafka clients from {@code clients}.
     */
    public StepWorker(WorkerConfig config, StepModel model, SchemaRegistryClient registry, ImageStore images,
                      Cancellations cancellations, MeterRegistry metrics, WorkerClients clients) {
        if (model.step() != config.step()) {
            throw new IllegalArgumentException("worker for step " + config.step().id() + " was given a "
                    + model.step().id() + " model (" + model.info().name() + ")");
        }
        this.config = config;
        this.model = model;
        this.clients = clients;
        Topics all = Topics.withPrefix(config.topicPrefix());
        for (int tier = 1; tier <= Topics.RETRY_TIERS; tier++) {
            retryTopics.add(all.retry(config.step().id(), tier).name());
        }
        this.metrics = metrics != null ? metrics : new SimpleMeterRegistry();
        this.tags = Tags.of("step", config.step().id(), "worker", config.workerId());
        stats.bindTo(this.metrics, tags);
        this.executor = BatchExecutor.of(config, model, registry, images, cancellations, stats, this.metrics, tags);
        this.topics = new StepTopics(executor.inputTopics(), executor.outputTopic(), all.deadLetters().name());
        this.accumulator = new BatchAccumulator(config.maxBatchSize(), config.maxBatchWaitMs(), config.pollTimeoutMs(),
                retryTopics);
        this.router = new FailureRouter(config.step().id(), config.workerId(), retryTopics, config.retryBackoffMs(),
                topics.deadLetters(), new IrgAvroSerializer<>(registry), stats);
        this.committer = new TransactionalCommitter(config.step().id(), topics.output(), stats);
        this.supervisor = new Supervisor(config, clients, stats, () -> running, stopRequested);
        this.compute = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "irg-" + config.step().id() + "-" + config.workerId() + "-compute");
            t.setDaemon(true);
            return t;
        });
    }

    /** The worker's counters. */
    public WorkerStats stats() {
        return stats;
    }

    /** The topics the worker reads and writes. */
    public StepTopics topics() {
        return topics;
    }

    @Override
    public void run() {
        try {
            supervisor.supervise(this::runLife);
        } finally {
            compute.shutdown();
            consumer = null;
            log.info("{} worker {} stopped ({})", config.step().id(), config.workerId(), stats);
            stopped.countDown(); // last: a SIGTERM hook waiting on this lets the JVM halt right after
        }
    }

    /**
     * One life of the worker's Kafka clients: creates the consumer and the transactional producer, runs the loop
     * until a stop or an error, and closes both. On an error, an open transaction is aborted where the producer still
     * can and the buffer is dropped (nothing in it was committed, so the partitions' next reader, this worker's next
     * life or another instance, reads it again); then the error is thrown to the {@link Supervisor}.
     */
    private void runLife(Supervisor.Life life) {
        Consumer<byte[], byte[]> c = null;
        Producer<byte[], byte[]> producer = null;
        List<KafkaClientMetrics> clientMetrics = new ArrayList<>();
        boolean failed = true;
        try {
            c = clients.consumer(config.consumerConfig());
            producer = clients.producer(config.producerConfig());
            consumer = c;
            clientMetrics.add(new KafkaClientMetrics(c, tags));
            clientMetrics.add(new KafkaClientMetrics(producer, tags));
            clientMetrics.forEach(m -> m.bindTo(metrics));
            if (!running) {
                failed = false;
                return;
            }
            producer.initTransactions();
            executor.topicMaxMessageBytes(outputTopicMaxMessageBytes());
            List<String> subscription = new ArrayList<>(topics.inputs());
            subscription.addAll(retryTopics);
            c.subscribe(subscription, new Rebalances(c, life));
            log.info("{} worker {} consuming {} -> {} (group {}, batch <= {} or {} ms, model {} sha256 {} on {})",
                    config.step().id(), config.workerId(), topics.inputs(), topics.output(), config.groupId(),
                    config.maxBatchSize(), config.maxBatchWaitMs(), model.info().name(),
                    shortSha(model.info().sha256()), model.info().device());
            loop(c, producer, life);
            failed = false;
        } finally {
            if (failed) {
                life.dropped = accumulator.clear();
                if (producer != null) {
                    try {
                        producer.abortTransaction();
                    } catch (RuntimeException notOpenOrFatal) {
                        log.debug("abort after a failure: {}", oneLine(notOpenOrFatal));
                    }
                }
            }
            consumer = null;
            clientMetrics.forEach(StepWorker::closeQuietly);
            close(producer, c, Duration.ofSeconds(failed ? 5 : 30));
        }
    }

    /** The worker's loop: poll until a batch closes, run it, route its outcomes, commit. */
    private void loop(Consumer<byte[], byte[]> c, Producer<byte[], byte[]> producer, Supervisor.Life life) {
        while (running) {
            accumulator.fill(c);
            List<ConsumerRecord<byte[], byte[]>> batch = accumulator.take(!running);
            if (batch.isEmpty()) {
                continue;
            }
            ConsumerGroupMetadata group = c.groupMetadata(); // the generation the batch was read in (KIP-447)
            List<Outcome> outcomes = executeWhilePolling(c, batch);
            committer.commit(producer, group, batch, router.route(outcomes));
            life.committed = true;
        }
    }

    /**
     * Runs {@code batch} on the compute thread while this thread keeps polling the consumer with its partitions
     * paused, so the group does not take them away however long the batch runs, up to {@code batch.timeout.ms}; after
     * that the worker stops polling and the group reassigns the partitions after {@code max.poll.interval.ms} (the
     * batch's commit is then refused, and its records are processed by their new owner). A stop request during the
     * batch lets it finish.
     */
    private List<Outcome> executeWhilePolling(Consumer<byte[], byte[]> c, List<ConsumerRecord<byte[], byte[]>> batch) {
        Future<List<Outcome>> result = compute.submit(() -> executor.execute(batch));
        long keepAliveMs = Math.max(1, Math.min(1000, config.maxPollIntervalMs() / 4));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.batchTimeoutMs());
        boolean paused = false;
        try {
            while (true) {
                try {
                    return result.get(keepAliveMs, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillRunning) {
                    if (System.nanoTime() - deadline > 0) {
                        log.error("{} worker {}: a batch of {} has run longer than {} = {} ms; no longer polling, so"
                                        + " the group hands its partitions to another instance", config.step().id(),
                                config.workerId(), batch.size(), WorkerConfig.BATCH_TIMEOUT_MS, config.batchTimeoutMs());
                        return result.get();
                    }
                    if (!paused) {
                        accumulator.pauseAll(c);
                        paused = true;
                    }
                    try {
                        accumulator.poll(c, Duration.ZERO);
                    } catch (WakeupException stopRequestedDuringTheBatch) {
                        // stop(): the batch finishes and commits first
                    }
                }
            }
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.cancel(true);
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } finally {
            if (paused) {
                accumulator.resumeAll(c);
            }
        }
    }

    /**
     * The output topic's {@code max.message.bytes}, so that an output the broker would refuse is dead-lettered rather
     * than failing its batch's transaction again and again; 0 when it cannot be read (then only
     * {@code max.request.size} is checked).
     */
    private long outputTopicMaxMessageBytes() {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, topics.output());
        try (Admin admin = clients.admin(config.adminConfig())) {
            ConfigEntry e = admin.describeConfigs(List.of(topic)).all().get(10, TimeUnit.SECONDS).get(topic)
                    .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            return e == null || e.value() == null ? 0 : Long.parseLong(e.value());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (Exception unknown) {
            log.warn("{} worker {} could not read the max.message.bytes of {} (outputs are checked against"
                            + " max.request.size only): {}", config.step().id(), config.workerId(), topics.output(),
                    oneLine(unknown));
            return 0;
        }
    }

    /** Drops the buffered records of revoked or lost partitions; notes the member id at each assignment. */
    private final class Rebalances implements ConsumerRebalanceListener {
        private final Consumer<byte[], byte[]> c;
        private final Supervisor.Life life;

        Rebalances(Consumer<byte[], byte[]> c, Supervisor.Life life) {
            this.c = c;
            this.life = life;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            taken(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            taken(partitions);
        }

        private void taken(Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                stats.rebalances.incrementAndGet();
                accumulator.drop(partitions);
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            log.debug("{} worker {} assigned {}", config.step().id(), config.workerId(), partitions);
            life.memberId = c.groupMetadata().memberId();
        }
    }

    private static void close(Producer<byte[], byte[]> producer, Consumer<byte[], byte[]> c, Duration timeout) {
        if (producer != null) {
            try {
                producer.close(timeout);
            } catch (RuntimeException e) {
                log.debug("producer close: {}", oneLine(e));
            }
        }
        if (c != null) {
            try {
                c.close(CloseOptions.timeout(timeout));
            } catch (RuntimeException e) {
                log.debug("consumer close: {}", oneLine(e));
            }
        }
    }

    private static void closeQuietly(KafkaClientMetrics m) {
        try {
            m.close();
        } catch (RuntimeException e) {
            log.debug("metrics close: {}", oneLine(e));
        }
    }

    /**
     * Stops the loop: the batch being processed finishes and commits, buffered records that were not started are left
     * uncommitted for the next owner, then the Kafka clients close. Waits up to {@code timeout} for that.
     *
     * @return true when the worker stopped within the timeout
     */
    public boolean stop(Duration timeout) {
        running = false;
        stopRequested.countDown();
        Consumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }

    /** The messages of {@code e} and its causes on one line (at most about 500 characters), for logs and dead letters. */
    static String oneLine(Throwable e) {
        StringBuilder sb = new StringBuilder();
        Throwable t = e;
        while (t != null && sb.length() < 500) {
            if (sb.length() > 0) {
                sb.append(": ");
            }
            String m = t.getMessage();
            sb.append(m == null ? t.getClass().getSimpleName() : m.replace('\n', ' '));
            if (t.getCause() == t) {
                break;
            }
            t = t.getCause();
            if (t != null && m != null && t.getMessage() != null && m.contains(t.getMessage())) {
                break;
            }
        }
        return sb.toString();
    }

    private static String shortSha(String sha) {
        return sha == null || sha.length() < 12 ? String.valueOf(sha) : sha.substring(0, 12);
    }
}
