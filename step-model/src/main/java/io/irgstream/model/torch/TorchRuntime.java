package io.irgstream.model.torch;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.bytedeco.openblas.global.openblas_full;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide libtorch runtime: loads the natives once, fixes the thread settings and picks the device.
 *
 * <p>On first use it sets libtorch's intra-op threads ({@code IRG_TORCH_THREADS}, default: the number of cores),
 * pins OpenBLAS to one thread (its own pool otherwise fights libtorch's), disables NNPACK (it produced NaN at
 * batch >= 16 on CPU), asks for deterministic algorithms, keeps oneDNN on unless {@code IRG_TORCH_ONEDNN=false} (off:
 * no intermittent NaN convolutions on AVX-512 CPUs, see docs/models.md, but draw 5-8x slower), and logs the device it uses: {@code cuda:0} when
 * {@code cuda_is_available()}, {@code cpu} otherwise. Thread-safe; all methods are cheap after the first call.
 *
 * <p><b>One model call at a time per process.</b> Every model call runs under {@link #exclusive}, a fair
 * process-wide lock. Several step models in one JVM (the embedded stack, a test, a benchmark) would otherwise run
 * their intra-op thread pools at once on the same cores: with 2 cores and 2 threads each, the pools' barriers
 * wait on descheduled threads and every call slows down. Serialized, each call gets all the cores, and the workers'
 * Kafka I/O, decoding and encoding still overlap with the running call. A GPU runs one model at a time anyway.
 * {@code IRG_TORCH_EXCLUSIVE=false} turns the lock off (e.g. several small models on a many-core host).
 */
public final class TorchRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(TorchRuntime.class);
    private static volatile TorchRuntime instance;

    private final String device;
    private final int threads;
    private final ReentrantLock exclusive = new ReentrantLock(true);
    private final boolean serialize = !"false".equalsIgnoreCase(System.getenv("IRG_TORCH_EXCLUSIVE"));

    private TorchRuntime(int threads) {
        long t0 = System.nanoTime();
        openblas_full.openblas_set_num_threads(1);
        torch.set_num_threads(threads);
        torch.globalContext().setUserEnabledNNPACK(false);
        torch.globalContext().setDeterministicAlgorithms(true, false);
        if ("false".equalsIgnoreCase(System.getenv("IRG_TORCH_ONEDNN"))) {
            torch.globalContext().setUserEnabledMkldnn(false);
        }
        this.threads = threads;
        this.device = torch.cuda_is_available() ? "cuda:0" : "cpu";
        LOG.info("libtorch ready in {} ms: device {}, {} intra-op threads, OpenBLAS 1 thread, NNPACK off, oneDNN {}",
                (System.nanoTime() - t0) / 1_000_000, device, threads,
                torch.globalContext().userEnabledMkldnn() ? "on" : "off");
    }

    /** The runtime, initialised on first call. */
    public static TorchRuntime get() {
        TorchRuntime r = instance;
        if (r == null) {
            synchronized (TorchRuntime.class) {
                r = instance;
                if (r == null) {
                    r = new TorchRuntime(defaultThreads());
                    instance = r;
                }
            }
        }
        return r;
    }

    private static int defaultThreads() {
        String env = System.getenv("IRG_TORCH_THREADS");
        if (env != null && !env.isBlank()) {
            try {
                int n = Integer.parseInt(env.trim());
                if (n >= 1) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through to the default, the log line shows what was used
            }
            LOG.warn("ignoring IRG_TORCH_THREADS='{}': expected a positive integer", env);
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /** {@code cuda:0} or {@code cpu}. */
    public String device() {
        return device;
    }

    /** Whether tensors and modules are moved to CUDA. */
    public boolean cuda() {
        return device.startsWith("cuda");
    }

    /** The libtorch device object for {@link #device()}; the caller owns (scopes) it. */
    public Device torchDevice() {
        return new Device(device);
    }

    /** libtorch's intra-op thread count. */
    public int threads() {
        return threads;
    }

    /** Whether libtorch's oneDNN (MKLDNN) kernels are on now. */
    public boolean oneDnn() {
        return torch.globalContext().userEnabledMkldnn();
    }

    /**
     * Runs one model call with oneDNN off, then turns it back on if it was on: the last resort when oneDNN keeps
     * returning NaN (TorchScriptStepModel). Runs under {@link #exclusive}, so no other call of this process sees the
     * switch; with {@code IRG_TORCH_EXCLUSIVE=false} a call running at the same time may run some of its kernels
     * without oneDNN too (slower, same results to float rounding).
     */
    public <T> T withoutOneDnn(Supplier<T> call) {
        return exclusive(() -> {
            if (!oneDnn()) {
                return call.get();
            }
            torch.globalContext().setUserEnabledMkldnn(false);
            try {
                return call.get();
            } finally {
                torch.globalContext().setUserEnabledMkldnn(true);
            }
        });
    }

    /**
     * Runs one model call while no other model call of this process runs (see the class comment); re-entrant.
     *
     * @param call the native work
     * @return its result
     */
    public <T> T exclusive(Supplier<T> call) {
        if (!serialize) {
            return call.get();
        }
        exclusive.lock();
        try {
            return call.get();
        } finally {
            exclusive.unlock();
        }
    }
}
