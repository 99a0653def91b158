package io.irgstream.shapes.train;

/**
 * Guards a training loop against the occasional NaN of CPU libtorch (docs/models.md, Determinism): keeps a weight copy every
 * {@code every} good steps and, on a non-finite loss or gradient norm, restores it. The caller then restarts its
 * optimizer (its moment estimates may hold NaN) and skips the batch.
 */
public final class FiniteLossGuard {
    private final ModuleParams params;
    private final WeightCopy lastGood;
    private final int every;
    private int goodSteps;
    private int restores;

    /** Takes the first copy at once. Call outside any PointerScope. */
    public FiniteLossGuard(ModuleParams params, int every) {
        if (every < 1) {
            throw new IllegalArgumentException("snapshot interval must be >= 1, got " + every);
        }
        this.params = params;
        this.every = every;
        this.lastGood = new WeightCopy(params);
    }

    /**
     * Reports the loss and gradient norm of a step before the optimizer applies it.
     *
     * @return true when the values are finite and the step may be applied; false when the weights were restored
     *         and the caller must skip the step and restart its optimizer
     */
    public boolean check(double loss, double gradNorm) {
        if (Double.isFinite(loss) && Double.isFinite(gradNorm)) {
            return true;
        }
        lastGood.restoreInto(params);
        restores++;
        return false;
    }

    /**
     * Reports a step that was applied; every {@code every} such steps the weights are checked and copied.
     *
     * @return false when the weights were found non-finite and restored (the caller restarts its optimizer)
     */
    public boolean applied() {
        if (++goodSteps % every != 0) {
            return true;
        }
        for (org.bytedeco.pytorch.Tensor t : params.tensors()) {
            if (!t.isfinite().all().item_bool()) {
                lastGood.restoreInto(params);
                restores++;
                return false;
            }
        }
        lastGood.capture(params);
        return true;
    }

    /** How many times the weights were restored. */
    public int restores() {
        return restores;
    }
}
