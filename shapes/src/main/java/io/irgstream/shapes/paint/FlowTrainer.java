package io.irgstream.shapes.paint;

import io.irgstream.shapes.train.Checkpoint;
import io.irgstream.shapes.train.FiniteLossGuard;
import io.irgstream.shapes.train.LossWindow;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.StepTrainer;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.train.WeightCopy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * The training loop shared by the draw and refine trainers: Adam, gradient clipping (the 4-argument
 * {@code clip_grad_norm_}), weight EMA for sampling, the finite-loss guard, periodic checkpoints with resume, progress
 * lines, and export of the EMA weights into a fresh module of the served source.
 */
abstract class FlowTrainer implements StepTrainer {
    /** Hyper-parameters of one mode (quick or full). */
    record Hyper(int batch, double lr, double emaDecay, int defaultSteps, int logEvery, int checkpointSeconds) {
    }

    private boolean halfExport = true;

    /**
     * Whether the exported module stores its weights in half precision (default true for full runs; the network reads
     * them through {@code .float()}, so it computes in float32 either way). Quick runs always export float32.
     */
    public FlowTrainer withHalfExport(boolean half) {
        this.halfExport = half;
        return this;
    }

    /** The step's id: the name of the module file, of the checkpoint and of the progress lines. */
    String name() {
        return step().id();
    }

    /** The hyper-parameters of a mode; draw and refine train with the same ones. */
    Hyper hyper(boolean quick) {
        return quick ? new Hyper(8, 2e-3, 0.9, 30, 5, 0) : new Hyper(32, 5e-4, 0.995, 1_000_000, 25, 180);
    }

    /** A fresh module of the served source (random weights from the current libtorch seed). */
    abstract JitModule create(boolean quick);

    /** The loss of one training batch; runs inside the step's PointerScope. */
    abstract Tensor batchLoss(JitModule module, Random rnd, int batch);

    /** Configuration recorded in the checkpoint and the manifest. */
    abstract Map<String, Object> config(boolean quick);

    /** Makes what the batches need beyond the procedural data, before the first step (nothing by default). */
    void prepare(TrainOptions opts) {
    }

    /** Sets the starting weights of a fresh module (not of a resumed one); keeps the random ones by default. */
    void initialise(JitModule module, TrainOptions opts) {
    }

    /** Called with the checkpoint's state when a run resumes (nothing by default). */
    void resumedFrom(Map<String, Object> state) {
    }

    /** Where the EMA weights are exported: {@code <out>/<name>.pt} by default. */
    Path exportFile(TrainOptions opts) {
        return opts.outDir().resolve(name() + ".pt");
    }

    /**
     * The module saved at export, given a fresh module of the served source holding the EMA weights (float32) and
     * the file it is about to replace; the fresh module by default.
     */
    JitModule served(JitModule fresh, Path file, boolean quick) {
        return fresh;
    }

    /** Called after the export; returns the file the result names (the exported file by default). */
    Path published(Path exported, TrainOptions opts) {
        return exported;
    }

    /** The start of {@link #config}: the model's description, its UNet channels and its schedule shift. */
    static Map<String, Object> unetConfig(String model, int c1, int c2, int c3, double timeShift) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("channels", List.of(c1, c2, c3));
        m.put("timeShift", timeShift);
        return m;
    }

    @Override
    public TrainResult train(TrainOptions opts) {
        TorchSetup.init(opts.effectiveThreads());
        Hyper hp = hyper(opts.quick());
        int maxSteps = opts.maxSteps() > 0 ? opts.maxSteps() : hp.defaultSteps();
        Checkpoint ckpt = new Checkpoint(opts.workDir(), name() + (opts.quick() ? "-quick" : ""));
        long start = System.nanoTime();
        long deadline = start + opts.budget().toNanos();

        torch.manual_seed(opts.seed());
        JitModule module;
        WeightCopy ema;
        long step = 0;
        double priorSeconds = 0;
        if (ckpt.exists()) {
            Map<String, Object> state = ckpt.readState();
            step = ((Number) state.get("step")).longValue();
            priorSeconds = ((Number) state.getOrDefault("seconds", 0)).doubleValue();
            module = create(opts.quick());
            ModuleParams saved = ModuleParams.of(torch.load(ckpt.trainFile().toString()));
            ModuleParams fresh = ModuleParams.of(module);
            if (!saved.names().equals(fresh.names())) {
                throw new IllegalStateException("checkpoint " + ckpt.trainFile() + " does not match the " + name()
                        + " architecture: delete " + opts.workDir() + " to start over");
            }
            new WeightCopy(saved).restoreInto(fresh);
            resumedFrom(state);
            ema = new WeightCopy(ModuleParams.of(torch.load(ckpt.emaFile().toString())));
            opts.log().accept(String.format(Locale.ROOT, "%s: resuming from %s at step %d (%.0f s trained)", name(),
                    ckpt.stateFile(), step, priorSeconds));
        } else {
            module = create(opts.quick());
            initialise(module, opts);
            ema = null;
        }
        prepare(opts);
        module.train(true);
        ModuleParams params = ModuleParams.of(module);
        for (Tensor t : params.tensors()) {
            t.requires_grad_(true);
        }
        if (ema == null) {
            ema = new WeightCopy(params);
        }
        opts.log().accept(String.format(Locale.ROOT, "%s: %d parameters, batch %d, lr %.1e, up to %d steps, budget %d s, %d threads",
                name(), params.count(), hp.batch(), hp.lr(), maxSteps, opts.budget().toSeconds(), opts.effectiveThreads()));
        TensorVector pv = params.vector();
        Adam adam = new Adam(pv, new AdamOptions(hp.lr()));
        FiniteLossGuard guard = new FiniteLossGuard(params, 50, opts.log());
        LossWindow window = new LossWindow();
        long lastCkpt = System.nanoTime();
        long windowStart = System.nanoTime();
        int windowSteps = 0;
        long runSteps = 0;
        int retries = 0;
        while (step < maxSteps && System.nanoTime() < deadline) {
            // a batch that met a NaN is not drawn again: the retry takes other rows (and the guard's weights)
            Random rnd = new Random(opts.seed() * 1_000_003L + step + 7_919L * retries);
            boolean ok;
            double lossValue;
            try (PointerScope scope = new PointerScope()) {
                Tensor loss = batchLoss(module, rnd, hp.batch());
                adam.zero_grad();
                loss.backward();
                double norm = torch.clip_grad_norm_(pv, 1.0, 2.0, false);
                lossValue = loss.item_double();
                ok = guard.check(lossValue, norm);
                if (ok) {
                    adam.step();
                    ok = guard.applied();
                }
                if (ok) {
                    double decay = Math.min(hp.emaDecay(), (1.0 + step) / (10.0 + step));
                    ema.blendTowards(params, decay);
                }
            }
            if (!ok) {
                opts.log().accept(name() + ": non-finite loss or weights at step " + step
                        + ": restored the last good weights and restarted the optimizer");
                adam = new Adam(pv, new AdamOptions(hp.lr()));
                retries++;
                continue;
            }
            window.add(lossValue);
            step++;
            runSteps++;
            windowSteps++;
            if (step % hp.logEvery() == 0 || step == maxSteps) {
                double secs = (System.nanoTime() - windowStart) / 1e9;
                double elapsed = (System.nanoTime() - start) / 1e9;
                opts.log().accept(String.format(Locale.ROOT, "%s step %d loss %.5f img/s %.1f elapsed %.0f s",
                        name(), step, window.close(), windowSteps * hp.batch() / secs, elapsed + priorSeconds));
                windowStart = System.nanoTime();
                windowSteps = 0;
            }
            if (hp.checkpointSeconds() > 0 && System.nanoTime() - lastCkpt > hp.checkpointSeconds() * 1_000_000_000L) {
                saveCheckpoint(ckpt, module, ema, step, priorSeconds + (System.nanoTime() - start) / 1e9, opts.quick());
                lastCkpt = System.nanoTime();
                opts.log().accept(name() + ": checkpoint at step " + step + " in " + ckpt.stateFile().getParent());
            }
        }
        if (windowSteps > 0) {
            window.close();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (runSteps > 0) {
            saveCheckpoint(ckpt, module, ema, step, priorSeconds + seconds, opts.quick());
        }
        Path out = published(export(ema, exportFile(opts), opts.quick()), opts);
        opts.log().accept(String.format(Locale.ROOT, "%s: done at step %d (%d this run, %.0f s), guard restores %d, wrote %s",
                name(), step, runSteps, seconds, guard.restores(), out));
        Map<String, Object> cfg = new LinkedHashMap<>(config(opts.quick()));
        cfg.put("batch", hp.batch());
        cfg.put("lr", hp.lr());
        cfg.put("ema", hp.emaDecay());
        cfg.put("steps", step);
        cfg.put("seed", opts.seed());
        cfg.put("trainSeconds", Math.round(priorSeconds + seconds));
        cfg.put("weights", halfExport && !opts.quick() ? "float16 (computed in float32)" : "float32");
        cfg.put("onednn", guard.switchedOneDnnOff() ? "on, switched off after " + FiniteLossGuard.ONEDNN_OFF_AFTER
                + " non-finite steps in a row" : org.bytedeco.pytorch.global.torch.globalContext().userEnabledMkldnn() ? "on" : "off");
        cfg.put("guard_restores", guard.restores());
        return new TrainResult(out, window.first(), window.last(), step, seconds, cfg);
    }

    private void saveCheckpoint(Checkpoint ckpt, JitModule module, WeightCopy ema, long step, double seconds, boolean quick) {
        JitModule emaModule = freshWith(ema, quick);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step", step);
        state.put("seconds", seconds);
        state.put("config", config(quick));
        ckpt.write(module, emaModule, state);
    }

    /** A fresh module of the served source holding the given weights. */
    JitModule freshWith(WeightCopy weights, boolean quick) {
        JitModule fresh = create(quick);
        weights.restoreInto(ModuleParams.of(fresh));
        fresh.eval();
        return fresh;
    }

    private Path export(WeightCopy ema, Path file, boolean quick) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            JitModule fresh = served(freshWith(ema, quick), file, quick);
            if (halfExport && !quick) {
                fresh.to(torch.ScalarType.Half);
            }
            fresh.save(tmp.toString());
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
