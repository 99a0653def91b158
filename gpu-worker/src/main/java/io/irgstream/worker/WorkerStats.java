package io.irgstream.worker;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/** Counters of one worker, readable from any thread (for tests, the CLI and metrics). */
public final class WorkerStats {
    final AtomicLong recordsIn = new AtomicLong();
    final AtomicLong recordsOut = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong deadLetters = new AtomicLong();
    final AtomicLong abortedBatches = new AtomicLong();
    final AtomicLong lastBatchSize = new AtomicLong();
    final AtomicLong cancelledSkips = new AtomicLong();
    final AtomicLong expiredSkips = new AtomicLong();
    final AtomicLong repeatedPromptSkips = new AtomicLong();
    final AtomicLong retries = new AtomicLong();
    final AtomicLong restarts = new AtomicLong();
    final AtomicLong rebalances = new AtomicLong();

    /** Times the worker's group took partitions from it (revoked or lost in a rebalance). */
    public long rebalances() {
        return rebalances.get();
    }

    /** Times the worker re-created its Kafka clients after a fatal client or transaction error. */
    public long restarts() {
        return restarts.get();
    }

    /** Records sent to a retry tier after a failed attempt. */
    public long retries() {
        return retries.get();
    }

    /** Input records skipped because their trajectory was cancelled. */
    public long cancelledSkips() {
        return cancelledSkips.get();
    }

    /** Input records skipped because their trajectory's deadline had passed. */
    public long expiredSkips() {
        return expiredSkips.get();
    }

    /** Prompt records skipped by think because they repeat an idempotent submission already taken. */
    public long repeatedPromptSkips() {
        return repeatedPromptSkips.get();
    }

    /** Input records taken into committed batches. */
    public long recordsIn() {
        return recordsIn.get();
    }

    /** Output events committed. */
    public long recordsOut() {
        return recordsOut.get();
    }

    /** Committed batches (one model call each, at most). */
    public long batches() {
        return batches.get();
    }

    /** Input records sent to the dead-letter topic. */
    public long deadLetters() {
        return deadLetters.get();
    }

    /** Batches whose transaction was aborted and whose records were re-read. */
    public long abortedBatches() {
        return abortedBatches.get();
    }

    /** Size of the last committed batch. */
    public long lastBatchSize() {
        return lastBatchSize.get();
    }

    /** Publishes the counters as {@code irg.worker.*} meters tagged with the step and worker id. */
    void bindTo(MeterRegistry registry, Tags tags) {
        counter(registry, tags, "irg.worker.records.in", "input records taken into committed batches", WorkerStats::recordsIn);
        counter(registry, tags, "irg.worker.records.out", "output events committed", WorkerStats::recordsOut);
        counter(registry, tags, "irg.worker.batches", "committed batches", WorkerStats::batches);
        counter(registry, tags, "irg.worker.dead.letters", "input records sent to the dead-letter topic", WorkerStats::deadLetters);
        counter(registry, tags, "irg.worker.aborted.batches", "batches whose transaction was aborted and re-read", WorkerStats::abortedBatches);
        counter(registry, tags, "irg.worker.retries", "records sent to a retry tier after a failed attempt", WorkerStats::retries);
        counter(registry, tags, "irg.worker.restarts", "re-creations of the worker's Kafka clients after a fatal error", WorkerStats::restarts);
        counter(registry, tags, "irg.worker.rebalances", "times the group took partitions from the worker (revoked or lost)", WorkerStats::rebalances);
        counter(registry, tags, "irg.worker.cancelled.skips", "input records skipped because the trajectory was cancelled", WorkerStats::cancelledSkips);
        counter(registry, tags, "irg.worker.expired.skips", "input records skipped because the trajectory's deadline had passed", WorkerStats::expiredSkips);
        counter(registry, tags, "irg.worker.repeated.prompt.skips", "prompts skipped because they repeat an idempotent submission", WorkerStats::repeatedPromptSkips);
    }

    private void counter(MeterRegistry registry, Tags tags, String name, String help, ToDoubleFunction<WorkerStats> f) {
        FunctionCounter.builder(name, this, f).description(help).tags(tags).register(registry);
    }

    @Override
    public String toString() {
        return "in=" + recordsIn() + " out=" + recordsOut() + " batches=" + batches() + " deadLetters="
                + deadLetters() + " aborted=" + abortedBatches() + " restarts=" + restarts() + " rebalances=" + rebalances();
    }
}
