package io.irgstream.shapes.train;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_full;
import org.bytedeco.pytorch.global.torch;

/**
 * Native settings every training JVM needs (docs/models.md, Train and Determinism): one OpenBLAS thread, an explicit libtorch thread count,
 * NNPACK off (it produced NaN at batch >= 16 on these machines), oneDNN off (NaN or wrong gradients now and then).
 */
public final class TorchSetup {
    private static volatile int configuredThreads;

    private TorchSetup() {
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
            // oneDNN's float32 convolutions gave NaN or wrong gradients now and then on these CPUs (AVX-512): training
            // takes libtorch's own kernels, slower but finite (inference keeps oneDNN and recomputes a NaN image)
            torch.globalContext().setUserEnabledMkldnn(false);
        }
        if (configuredThreads != threads) {
            torch.set_num_threads(threads);
            configuredThreads = threads;
        }
    }
}
