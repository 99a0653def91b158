package io.irgstream.worker.testing;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test double of a step model: a cheap pure function of each request (so outputs are checkable and independent of
 * the batch), with an optional delay per batch to make batches observable and a kill window wide.
 * Reflect says NEEDS_CHANGES for even seeds and SATISFIED for odd ones, so both refine paths run.
 */
public final class DeterministicTestModel implements StepModel {
    private final Step step;
    private final long delayMsPerBatch;
    private final AtomicInteger calls = new AtomicInteger();
    private final List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());

    public DeterministicTestModel(Step step, long delayMsPerBatch) {
        this.step = step;
        this.delayMsPerBatch = delayMsPerBatch;
    }

    @Override
    public Step step() {
        return step;
    }

    @Override
    public ModelInfo info() {
        return new ModelInfo("test-" + step.id(), "0".repeat(63) + (step.ordinal() + 1), 1, "cpu");
    }

    public int calls() {
        return calls.get();
    }

    public List<Integer> batchSizes() {
        return batchSizes;
    }

    @Override
    public List<StepResult> run(List<StepRequest> batch) {
        calls.incrementAndGet();
        batchSizes.add(batch.size());
        if (delayMsPerBatch > 0) {
            try {
                Thread.sleep(delayMsPerBatch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        List<StepResult> out = new ArrayList<>(batch.size());
        for (StepRequest r : batch) {
            if (r.prompt().contains("FAIL-" + step.id())) {
                throw new IllegalStateException("test model refuses prompt '" + r.prompt() + "'");
            }
            out.add(switch (step) {
                case THINK -> StepResult.text("plan for: " + r.prompt() + " #" + Long.toHexString(r.stepSeed()));
                case DRAW -> StepResult.image(image(r.stepSeed() ^ r.thought().hashCode()));
                case REFLECT -> StepResult.text(reflection(r));
                case REFINE -> StepResult.image(edit(r.image(), r.stepSeed()));
            });
        }
        return out;
    }

    /** The draft this double draws for a request with this seed and thought. */
    public static RgbImage image(long seed) {
        float[] u = Seeds.uniform(seed, 16 * 16 * 3);
        byte[] px = new byte[u.length];
        for (int i = 0; i < u.length; i++) {
            px[i] = (byte) (u[i] * 256);
        }
        return new RgbImage(16, 16, px);
    }

    static RgbImage edit(RgbImage in, long seed) {
        byte[] px = in.pixels().clone();
        for (int i = 0; i < px.length; i += 7) {
            px[i] = (byte) (px[i] ^ (seed >>> (i % 56)));
        }
        return new RgbImage(in.width(), in.height(), px);
    }

    static String reflection(StepRequest r) {
        int sum = 0;
        for (byte b : r.image().pixels()) {
            sum += b & 0xff;
        }
        boolean ok = (sum & 1) == 1;
        return "Detailed Explanation of Required Improvements:\n"
                + (ok ? "The image matches the prompt." : "Pixel checksum " + sum + " is even.") + "\n"
                + "Step-by-Step Modification Guidance:\n1. " + (ok ? "Keep the image as it is." : "Flip some pixels.") + "\n"
                + "Final Comprehensive Prompt for the Improved Image:\n" + r.thought() + "\n"
                + "Verdict: " + (ok ? "SATISFIED" : "NEEDS_CHANGES") + "\n";
    }

    @Override
    public void close() {
    }

    /** UTF-8 helper for tests. */
    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
