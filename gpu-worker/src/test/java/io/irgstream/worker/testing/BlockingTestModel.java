package io.irgstream.worker.testing;

import io.irgstream.model.Step;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Test double that answers as {@link DeterministicTestModel}, except that its {@code blockOnCall}-th call first tells
 * {@code onBlocked} the trajectory ids of its batch and then blocks until {@link #release()}: a test acts while a batch
 * is provably running (e.g. kills the worker's JVM), not after a sleep it hopes is long enough.
 */
public final class BlockingTestModel extends DelegatingTestModel {
    private final int blockOnCall;
    private final Consumer<List<String>> onBlocked;
    private final AtomicInteger calls = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);

    /**
     * @param step        the step it performs
     * @param blockOnCall the call (1 = the first) that blocks
     * @param onBlocked   told the trajectory ids of the blocked batch, from the model's thread, before it blocks
     */
    public BlockingTestModel(Step step, int blockOnCall, Consumer<List<String>> onBlocked) {
        super(new DeterministicTestModel(step, 0));
        this.blockOnCall = blockOnCall;
        this.onBlocked = onBlocked;
    }

    /** Lets the blocked call (and any later one) go on. */
    public void release() {
        release.countDown();
    }

    @Override
    public List<StepResult> run(List<StepRequest> batch) {
        if (calls.incrementAndGet() == blockOnCall) {
            onBlocked.accept(batch.stream().map(StepRequest::trajectoryId).toList());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while blocked", e);
            }
        }
        return super.run(batch);
    }

    @Override
    public void close() {
        release();
        super.close();
    }
}
