package io.irgstream.shapes.train;

/**
 * Guards a training loop against the occasional NaN of CPU libtorch (docs/models.md, Determinism): keeps a weight copy every
 * {@code every} good steps and, on a non-finite loss or gradient norm, restores it. The caller then restarts its
 * optimizer (its moment estimates may hold NaN) and skips the batch. After {@value #ONEDNN_OFF_AFTER} restores in a
 * row with oneDNN on, it switches oneDNN off for the rest of the JVM (libtorch's own kernels: finite, slower) and
 * logs that once: on a host where oneDNN's convolutions keep returning NaN the run goes on instead of skipping
 * every step.
 */
public final class FiniteLossGuard {
    /** Non-finite steps in a row after which oneDNN is switched off. */
    public static final int ONEDNN_OFF_AFTER = 8;
    private final ModuleParams params;
    private final WeightCopy lastGood;
    private final int every;
    private final java.util.function.Consumer<String> log;
    private int goodSteps;
    private int restores;
    private int inARow;
    private boolean switchedOff;

    /** Takes the first copy at once. Call outside any PointerScope. */
    public FiniteLossGuard(ModuleParams params, int every) {
        this(params, every, line -> { });
    }

    /** As {@link #FiniteLossGuard(ModuleParams, int)}, with a log for the line that says oneDNN was switched off. */
    public FiniteLossGuard(ModuleParams params, int every, java.util.function.Consumer<String> log) {
        if (every < 1) {
            throw new IllegalArgumentException("snapshot interval must be >= 1, got " + every);
        }
        this.params = params;
        this.every = every;
        this.log = log;
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
            inARow = 0;
            return true;
        }
        restore();
        return false;
    }

    private void restore() {
        lastGood.restoreInto(params);
        restores++;
        if (++inARow >= ONEDNN_OFF_AFTER && org.bytedeco.pytorch.global.torch.globalContext().userEnabledMkldnn()) {
            org.bytedeco.pytorch.global.torch.globalContext().setUserEnabledMkldnn(false);
            switchedOff = true;
            log.accept("training: " + inARow + " non-finite steps in a row with oneDNN on: oneDNN switched off for the"
                    + " rest of this run (libtorch's own kernels: finite, slower; docs/models.md, Determinism)");
        }
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
                restore();
                return false;
            }
        }
        lastGood.capture(params);
        return true;
    }

    /** Whether this guard switched oneDNN off. */
    public boolean switchedOneDnnOff() {
        return switchedOff;
    }

    /** How many times the weights were restored. */
    public int restores() {
        return restores;
    }
}
