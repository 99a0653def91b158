package io.irgstream.shapes.train;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_full;
import org.bytedeco.pytorch.global.torch;

/**
 * Native settings every training JVM needs (docs/models.md, Train and Determinism): one OpenBLAS thread, an explicit libtorch thread count,
 * NNPACK off (it produced NaN at batch >= 16 on these machines), oneDNN off unless {@code IRG_TORCH_ONEDNN=true}.
 */
public final class TorchSetup {
    private static volatile int configuredThreads;

    private TorchSetup() {
    }

    /** Whether training keeps oneDNN on: only with {@code IRG_TORCH_ONEDNN=true} (see {@link #init}). */
    public static boolean oneDnn() {
        return "true".equalsIgnoreCase(System.getenv("IRG_TORCH_ONEDNN"));
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
            // oneDNN's float32 convolutions return NaN now and then on these CPUs (AVX-512); training a fresh module
            // with it on met NaN at nearly every step (quick draw and refine runs, 2026-12-04), so training takes
            // libtorch's own kernels: finite, 5-8x slower for the painters. IRG_TORCH_ONEDNN=true keeps oneDNN on
            // (e.g. fine-tuning a trained painter; the finite-loss guard restores the last good weights after NaN).
            torch.globalContext().setUserEnabledMkldnn(oneDnn());
        }
        if (configuredThreads != threads) {
            torch.set_num_threads(threads);
            configuredThreads = threads;
        }
    }
}
