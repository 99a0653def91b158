package io.irgstream.shapes.train;

import io.irgstream.shapes.reflect.Weights;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * The training loop shared by the think and reflect trainers, whose modules compute their own training loss in a
 * TorchScript {@code loss} method: Adam with a linear warm-up and a linear decay over the last 40% of the run (of its
 * steps or of its budget, whichever is further), gradient clipping, the {@link FiniteLossGuard}, a progress line every
 * 10 (quick) or 100 steps, checkpoints in {@code workDir/<step>} for full runs ({@code <step>-ckpt.pt} and the step
 * count in {@code <step>-steps.txt}, resumed when present) and the export of the trained module to
 * {@code outDir/<step>.pt}. A subclass supplies the module, the batches and what is measured at the end.
 */
public abstract class ScriptTrainer implements StepTrainer {
    private final int quickSteps;
    private final int fullSteps;
    private final double maxWarmup;
    private final long seedFactor;
    private final int checkpointEvery;

    /**
     * @param quickSteps      default steps of a quick run
     * @param fullSteps       default steps of a full run
     * @param maxWarmup       warm-up steps (at most a quarter of the run)
     * @param seedFactor      the data stream's seed is {@code seed * seedFactor + steps already done}
     * @param checkpointEvery steps between checkpoints of a full run
     */
    protected ScriptTrainer(int quickSteps, int fullSteps, double maxWarmup, long seedFactor, int checkpointEvery) {
        this.quickSteps = quickSteps;
        this.fullSteps = fullSteps;
        this.maxWarmup = maxWarmup;
        this.seedFactor = seedFactor;
        this.checkpointEvery = checkpointEvery;
    }

    /** The peak learning rate of a run. */
    protected abstract double peakLr(boolean quick);

    /** A freshly initialised module of the current source (a checkpoint's weights are copied into it). */
    protected abstract JitModule create(TrainOptions opts);

    /**
     * Called before the module is created.
     *
     * @param training false when a checkpoint already holds all the steps (the run only exports and measures it)
     */
    protected void prepare(TrainOptions opts, boolean training) {
    }

    /** What the first progress line says after {@code "<step>: "}. */
    protected abstract String describe(ModuleParams params, long done, int maxSteps);

    /** The arguments of the module's {@code loss} method for one batch; called inside the step's PointerScope. */
    protected abstract IValueVector batch(Random rnd);

    /** Called after each applied step (after its progress line, before its checkpoint). */
    protected void afterStep(TrainOptions opts, JitModule module, long step) {
    }

    /** What a checkpoint's progress line says after {@code "checkpoint at step N, "}. */
    protected abstract String checkpointNote(JitModule module);

    /** The module to write as the step's file (the trained one unless a trainer stores it differently). */
    protected JitModule forExport(JitModule trained, TrainOptions opts) {
        return trained;
    }

    /** The {@code String.format} pattern of the training speed in progress lines. */
    protected String rateFormat() {
        return "%.1f";
    }

    /** Measures and reports the exported module. */
    protected abstract TrainResult finish(TrainOptions opts, Trained run);

    /**
     * The outcome of the loop, handed to {@link #finish}.
     *
     * @param module     the trained module (already written to {@code modelPath})
     * @param startNanos {@link System#nanoTime()} at the start of the run
     */
    protected record Trained(JitModule module, ModuleParams params, Path modelPath, long steps, double firstLoss,
                             double lastLoss, long startNanos) {
        /** Seconds since the start of the run. */
        public double seconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        /** The result of the run with the given duration and configuration. */
        public TrainResult result(double seconds, Map<String, Object> config) {
            return new TrainResult(modelPath, firstLoss, lastLoss, steps, seconds, config);
        }
    }

    @Override
    public final TrainResult train(TrainOptions opts) {
        TorchSetup.init(opts.effectiveThreads());
        String name = step().id();
        int maxSteps = opts.maxSteps() > 0 ? opts.maxSteps() : (opts.quick() ? quickSteps : fullSteps);
        Path work = opts.workDir().resolve(name);
        Path ckpt = work.resolve(name + "-ckpt.pt");
        Path stateFile = work.resolve(name + "-steps.txt");
        long t0 = System.nanoTime();
        long deadline = t0 + opts.budget().toNanos();
        try {
            Files.createDirectories(work);
            Files.createDirectories(opts.outDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        boolean resume = !opts.quick() && Files.exists(ckpt) && Files.exists(stateFile);
        long done = resume ? readSteps(stateFile) : 0;
        prepare(opts, done < maxSteps);
        JitModule m = create(opts);
        if (resume) {
            JitModule old = torch.load(ckpt.toString());
            Weights.copy(old, m);
            old.close();
            opts.log().accept(name + ": resuming from " + ckpt + " at step " + done);
        }
        ModuleParams params = ModuleParams.of(m);
        double peak = peakLr(opts.quick());
        opts.log().accept(name + ": " + describe(params, done, maxSteps));
        Adam opt = new Adam(params.vector(), new AdamOptions(peak));
        FiniteLossGuard guard = new FiniteLossGuard(params, 100, opts.log());
        Random rnd = new Random(opts.seed() * seedFactor + done);
        LossWindow window = new LossWindow();
        int logEvery = opts.quick() ? 10 : 100;
        long step = done;
        while (step < maxSteps && System.nanoTime() < deadline) {
            double frac = Math.max(step / (double) maxSteps,
                    (System.nanoTime() - t0) / (double) opts.budget().toNanos());
            double warm = Math.min(maxWarmup, maxSteps / 4.0);
            double lr = peak * Math.min(1.0, (step + 1) / warm) * (frac < 0.6 ? 1.0 : Math.max(0.05, (1 - frac) / 0.4));
            opt.param_groups().get(0).options().set_lr(lr);
            double lossValue;
            boolean restored = false;
            try (PointerScope scope = new PointerScope()) {
                IValueVector in = batch(rnd);
                Tensor loss = m.get_method("loss").apply(in).toTensor();
                opt.zero_grad();
                loss.backward();
                lossValue = loss.item_double();
                double gn = torch.clip_grad_norm_(params.vector(), 1.0, 2.0, false);
                if (!guard.check(lossValue, gn)) {
                    opts.log().accept(name + ": non-finite loss at step " + step + ", restored weights");
                    restored = true;
                } else {
                    opt.step();
                }
            }
            if (restored) {
                // a fresh optimizer, made outside the step's PointerScope so that closing the scope does not free it
                opt = new Adam(params.vector(), new AdamOptions(lr));
                continue;
            }
            if (!guard.applied()) {
                opt = new Adam(params.vector(), new AdamOptions(lr));
            }
            step++;
            window.add(lossValue);
            if (window.size() == logEvery) {
                double mean = window.close();
                opts.log().accept(String.format("%s: step %d loss %.4f lr %.2e " + rateFormat() + " steps/s", name,
                        step, mean, lr, (step - done) / ((System.nanoTime() - t0) / 1e9)));
            }
            afterStep(opts, m, step);
            if (!opts.quick() && step % checkpointEvery == 0) {
                saveCheckpoint(m, ckpt, stateFile, step);
                opts.log().accept(name + ": checkpoint at step " + step + ", " + checkpointNote(m));
            }
        }
        window.close();
        if (!opts.quick()) {
            saveCheckpoint(m, ckpt, stateFile, step);
        }
        Path out = opts.outDir().resolve(name + ".pt");
        forExport(m, opts).save(out.toString());
        return finish(opts, new Trained(m, params, out, step, window.first(), window.last(), t0));
    }

    private static void saveCheckpoint(JitModule m, Path ckpt, Path stateFile, long step) {
        m.save(ckpt.toString());
        try {
            Files.writeString(stateFile, Long.toString(step));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long readSteps(Path stateFile) {
        try {
            return Long.parseLong(Files.readString(stateFile).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
