package io.irgstream.worker;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of one worker, readable from any thread (for tests, the CLI and metrics). */
public final class WorkerStats {
    final AtomicLong recordsIn = new AtomicLong();
    final AtomicLong recordsOut = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong deadLetters = new AtomicLong();
    final AtomicLong abortedBatches = new AtomicLong();
    final AtomicLong lastBatchSize = new AtomicLong();
    final AtomicLong cancelledSkips = new AtomicLong();

    /** Input records skipped because their trajectory was cancelled. */
    public long cancelledSkips() {
        return cancelledSkips.get();
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

    @Override
    public String toString() {
        return "in=" + recordsIn() + " out=" + recordsOut() + " batches=" + batches() + " deadLetters="
                + deadLetters() + " aborted=" + abortedBatches();
    }
}
