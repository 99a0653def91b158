package io.irgstream.app.bench;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A step model on a simulated device, for {@code ./irg bench --simulated-device}: it answers each request with the
 * output the real model gave for that very request when it was recorded ({@link RecordedTraces}), and takes the time
 * the device of its {@link DeviceProfile} takes for a batch of that size, waiting without using a core. So a pipeline
 * of replay models is bound by the (simulated) device and by itself, not by this machine's CPU running the models.
 *
 * <p>It computes nothing and makes nothing up: a request the recording does not answer (another prompt, seed or
 * input) fails with an {@link IllegalStateException} that names it. Its {@link #info()} names it "replay of
 * &lt;model&gt; on simulated &lt;device&gt;" with backend {@value #BACKEND}, so no event it produced can be taken for
 * a fresh output. One instance per worker, as a device per worker; not thread-safe (no model need be), except for
 * its counters ({@link #calls()}, {@link #items()}, {@link #deviceNanos()}), which any thread may read.
 */
public final class ReplayStepModel implements StepModel {
    /** The backend named in the provenance of replayed outputs. */
    public static final String BACKEND = "replay";

    private final Step step;
    private final RecordedTraces traces;
    private final DeviceProfile device;
    private final ModelInfo info;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private final AtomicLong deviceNanos = new AtomicLong();
    private volatile boolean closed;

    public ReplayStepModel(Step step, RecordedTraces traces, DeviceProfile device) {
        this.step = step;
        this.traces = traces;
        this.device = device;
        ModelInfo recorded = traces.model(step);
        if (recorded == null) {
            throw new IllegalArgumentException("the recording has no " + step.id() + " model");
        }
        this.info = new ModelInfo("replay of " + recorded.name() + " on simulated " + device.device(), recorded.sha256(),
                recorded.contractVersion(), "simulated:" + device.device(), BACKEND);
    }

    @Override
    public Step step() {
        return step;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** The device time of one call on {@code batch} items, in nanoseconds. */
    public long deviceNanos(int batch) {
        return device.nanos(step, batch);
    }

    @Override
    public List<String> rejections(List<String> prompts) {
        return traces.rejections(prompts);
    }

    /**
     * The recorded results of the batch, in request order, returned after the device time of a batch of this size.
     *
     * @throws IllegalStateException for a request the recording does not answer (before any waiting)
     */
    @Override
    public List<StepResult> run(List<StepRequest> batch) {
        if (closed) {
            throw new IllegalStateException(info.name() + " is closed");
        }
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty batch");
        }
        long device = deviceNanos(batch.size());
        long deadline = System.nanoTime() + device;
        List<StepResult> out = new ArrayList<>(batch.size());
        for (StepRequest r : batch) {
            out.add(traces.find(step, r).result());
        }
        for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while " + info.name() + " ran a batch of " + batch.size());
            }
        }
        calls.incrementAndGet();
        items.addAndGet(batch.size());
        deviceNanos.addAndGet(device);
        return out;
    }

    /** Model calls answered so far. */
    public long calls() {
        return calls.get();
    }

    /** Requests answered so far, over all calls. */
    public long items() {
        return items.get();
    }

    /** Device time taken so far, over all calls, in nanoseconds. */
    public long deviceNanos() {
        return deviceNanos.get();
    }

    @Override
    public void close() {
        closed = true;
    }
}
