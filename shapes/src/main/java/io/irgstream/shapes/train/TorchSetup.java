package io.irgstream.shapes.train;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_full;
import org.bytedeco.pytorch.global.torch;

/**
 * Native settings every training JVM needs (docs/models.md, Train and Determinism): one OpenBLAS thread, an explicit libtorch thread count,
 * NNPACK off (it produced NaN at batch >= 16 on these machines), oneDNN on unless {@code IRG_TORCH_ONEDNN=false}.
 *
 * <p>Design note: oneDNN makes the painters' convolutions 3-8x faster on these CPUs, and on some hosts its float32
 * convolutions return NaN now and then (docs/models.md, Determinism). Training therefore keeps it on and relies on the
 * {@link FiniteLossGuard}: a non-finite step is skipped and the last good weights restored, and a run that meets
 * {@link FiniteLossGuard#ONEDNN_OFF_AFTER} non-finite steps in a row switches oneDNN off for the rest of the JVM
 * (finite, slower) and says so in its log.
 */
public final class TorchSetup {
    private static volatile int configuredThreads;

    private TorchSetup() {
    }

    /** Whether training starts with oneDNN on: unless {@code IRG_TORCH_ONEDNN=false} (see {@link #init}). */
    public static boolean oneDnn() {
        return !"false".equalsIgnoreCase(System.getenv("IRG_TORCH_ONEDNN"));
    }

    /** Loads the natives once and applies the settings; later calls only change the thread count. */
    public static synchronized void init(int threads) {
        if (configuredThreads == 0) {
            Loader.load(torch.class);
            try {
                Loader.load(openblas_full.class);
                openblas_full.openblas_set_num_threads(1);
            } catch (Throwable e) {
                // OPENBLAS_NUM_THREADS=1 in the environment does the same; the loader may not expose the call.
            }
            torch.globalContext().setUserEnabledNNPACK(false);
            torch.globalContext().setUserEnabledMkldnn(oneDnn());
        }
        if (configuredThreads != threads) {
            torch.set_num_threads(threads);
            configuredThreads = threads;
        }
    }
}
