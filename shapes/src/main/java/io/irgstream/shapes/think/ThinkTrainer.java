package io.irgstream.shapes.think;

import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.train.FiniteLossGuard;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.StepTrainer;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.world.ThoughtFormat;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains the think model ({@link ThinkModule}): teacher-forced next-token loss on (prompt, plan) pairs generated
 * procedurally ({@link PromptSpec#sample}, {@link PlanSampler}), Adam with warm-up and a linear decay, gradient
 * clipping, a finite-loss guard, checkpoints in {@code workDir/think} (resumed when present), and a final check of
 * the fraction of thoughts sampled at temperature 0.3 that are valid plans satisfying their prompt.
 */
public final class ThinkTrainer implements StepTrainer {
    private static final int BATCH = 48;
    private static final int FULL_STEPS = 12_000;
    private static final int QUICK_STEPS = 60;
    private static final double LR = 1e-3;
    private static final double QUICK_LR = 3e-3;

    /** The last measured validity (fraction of good thoughts at T=0.3), NaN before training. */
    private double lastValidity = Double.NaN;

    @Override
    public Step step() {
        return Step.THINK;
    }

    /** Fraction of thoughts sampled at T=0.3 that were valid and satisfied their prompt, at the end of training. */
    public double lastValidity() {
        return lastValidity;
    }

    @Override
    public TrainResult train(TrainOptions opts) {
        TorchSetup.init(opts.effectiveThreads());
        ThinkModule.Config cfg = opts.quick() ? ThinkModule.Config.QUICK : ThinkModule.Config.FULL;
        int maxSteps = opts.maxSteps() > 0 ? opts.maxSteps() : (opts.quick() ? QUICK_STEPS : FULL_STEPS);
        Path work = opts.workDir().resolve("think");
        Path ckpt = work.resolve("think-ckpt.pt");
        Path stateFile = work.resolve("think-steps.txt");
        long t0 = System.nanoTime();
        long deadline = t0 + opts.budget().toNanos();
        try {
            Files.createDirectories(work);
            Files.createDirectories(opts.outDir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        JitModule m;
        long done = 0;
        if (!opts.quick() && Files.exists(ckpt) && Files.exists(stateFile)) {
            m = ThinkModule.create(cfg, opts.seed());
            JitModule old = torch.load(ckpt.toString());
            io.irgstream.shapes.reflect.Weights.copy(old, m);
            old.close();
            done = Long.parseLong(readString(stateFile).trim());
            opts.log().accept("think: resuming from " + ckpt + " at step " + done);
        } else {
            m = ThinkModule.create(cfg, opts.seed());
        }
        ModuleParams params = ModuleParams.of(m);
        opts.log().accept("think: " + params.count() + " parameters, config " + cfg + ", batch " + BATCH
                + ", steps " + done + " -> " + maxSteps);
        Adam opt = new Adam(params.vector(), new AdamOptions(opts.quick() ? QUICK_LR : LR));
        FiniteLossGuard guard = new FiniteLossGuard(params, 100);
        Random rnd = new Random(opts.seed() * 1_000_003L + done);
        double firstLoss = Double.NaN;
        double window = 0;
        int inWindow = 0;
        double lastLoss = Double.NaN;
        int logEvery = opts.quick() ? 10 : 100;
        long step = done;
        while (step < maxSteps && System.nanoTime() < deadline) {
            double frac = Math.max(step / (double) maxSteps, (System.nanoTime() - t0) / (double) opts.budget().toNanos());
            double peak = opts.quick() ? QUICK_LR : LR;
            double warm = Math.min(300.0, maxSteps / 4.0);
            double lr = peak * Math.min(1.0, (step + 1) / warm) * (frac < 0.6 ? 1.0 : Math.max(0.05, (1 - frac) / 0.4));
            opt.param_groups().get(0).options().set_lr(lr);
            double lossValue;
            try (PointerScope scope = new PointerScope()) {
                IValueVector in = batch(rnd, BATCH);
                Tensor loss = m.get_method("loss").apply(in).toTensor();
                opt.zero_grad();
                loss.backward();
                lossValue = loss.item_double();
                double gn = torch.clip_grad_norm_(params.vector(), 1.0, 2.0, false);
                if (!guard.check(lossValue, gn)) {
                    opts.log().accept("think: non-finite loss at step " + step + ", restored weights");
                    opt = new Adam(params.vector(), new AdamOptions(lr));
                    continue;
                }
                opt.step();
            }
            if (!guard.applied()) {
                opt = new Adam(params.vector(), new AdamOptions(lr));
            }
            step++;
            window += lossValue;
            inWindow++;
            if (inWindow == logEvery) {
                double mean = window / inWindow;
                if (Double.isNaN(firstLoss)) {
                    firstLoss = mean;
                }
                lastLoss = mean;
                opts.log().accept(String.format("think: step %d loss %.4f lr %.2e %.1f steps/s", step, mean, lr,
                        (step - done) / ((System.nanoTime() - t0) / 1e9)));
                window = 0;
                inWindow = 0;
            }
            if (!opts.quick() && step % 1000 == 0) {
                m.save(ckpt.toString());
                writeString(stateFile, Long.toString(step));
                opts.log().accept("think: checkpoint at step " + step + ", validity at T=0.3 "
                        + String.format("%.3f", validity(m, 120, 0.3, 99)));
            }
        }
        if (inWindow > 0) {
            lastLoss = window / inWindow;
            if (Double.isNaN(firstLoss)) {
                firstLoss = lastLoss;
            }
        }
        if (!opts.quick()) {
            m.save(ckpt.toString());
            writeString(stateFile, Long.toString(step));
        }
        Path out = opts.outDir().resolve("think.pt");
        m.save(out.toString());
        lastValidity = validity(m, opts.quick() ? 12 : 300, 0.3, 12345);
        double secs = (System.nanoTime() - t0) / 1e9;
        opts.log().accept(String.format("think: wrote %s after %d steps (%.0f s), loss %.4f -> %.4f, validity at"
                + " T=0.3 %.3f", out, step, secs, firstLoss, lastLoss, lastValidity));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("dim", cfg.dim());
        config.put("heads", cfg.heads());
        config.put("layers", cfg.layers());
        config.put("ffn", cfg.ffn());
        config.put("parameters", params.count());
        config.put("batch", BATCH);
        config.put("lr", LR);
        config.put("seed", opts.seed());
        config.put("validity_t0.3", lastValidity);
        return new TrainResult(out, firstLoss, lastLoss, step, secs, config);
    }

    /** A training batch: inputs, next-token targets and loss weights (plan tokens and the end token only). */
    static IValueVector batch(Random rnd, int n) {
        int len = ThinkVocab.MAX_LEN - 1;
        long[] in = new long[n * len];
        long[] tg = new long[n * len];
        float[] w = new float[n * len];
        for (int b = 0; b < n; b++) {
            PromptSpec p = PromptSpec.sample(rnd);
            String plan = ThoughtFormat.format(PlanSampler.sample(p, rnd));
            List<Integer> seq = new ArrayList<>();
            seq.add(ThinkVocab.BOS);
            seq.addAll(ThinkVocab.encodePrompt(p.text()));
            seq.add(ThinkVocab.SEP);
            int planStart = seq.size();
            seq.addAll(ThinkVocab.encodePlan(plan));
            seq.add(ThinkVocab.EOS);
            for (int i = 0; i + 1 < seq.size(); i++) {
                in[b * len + i] = seq.get(i);
                tg[b * len + i] = seq.get(i + 1);
                w[b * len + i] = i + 1 >= planStart ? 1f : 0f;
            }
        }
        int used = 1;
        for (int b = 0; b < n; b++) {
            for (int i = len - 1; i >= used; i--) {
                if (w[b * len + i] > 0) {
                    used = i + 1;
                    break;
                }
            }
        }
        long[] in2 = new long[n * used];
        long[] tg2 = new long[n * used];
        float[] w2 = new float[n * used];
        for (int b = 0; b < n; b++) {
            System.arraycopy(in, b * len, in2, b * used, used);
            System.arraycopy(tg, b * len, tg2, b * used, used);
            System.arraycopy(w, b * len, w2, b * used, used);
        }
        IValueVector v = new IValueVector();
        v.push_back(new IValue(Tensors.longs(in2, n, used)));
        v.push_back(new IValue(Tensors.longs(tg2, n, used)));
        v.push_back(new IValue(Tensors.floats(w2, n, used)));
        return v;
    }

    /** Fraction of {@code n} random prompts whose sampled thought is a valid plan satisfying the prompt. */
    public static double validity(JitModule m, int n, double temperature, long seed) {
        Random rnd = new Random(seed);
        List<PromptSpec> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            prompts.add(PromptSpec.sample(io.irgstream.shapes.prompts.Category.values()[i % 6], rnd));
        }
        int good = 0;
        for (int start = 0; start < n; start += 16) {
            List<PromptSpec> chunk = prompts.subList(start, Math.min(n, start + 16));
            try (PointerScope scope = new PointerScope(); org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                List<String> texts = new ArrayList<>();
                float[] u = new float[chunk.size() * 96];
                for (int i = 0; i < chunk.size(); i++) {
                    texts.add(chunk.get(i).text());
                    System.arraycopy(Seeds.uniform(seed + start + i, 96), 0, u, i * 96, 96);
                }
                IValueVector in = new IValueVector();
                in.push_back(Tensors.strings(texts));
                in.push_back(new IValue(Tensors.floats(u, chunk.size(), 96)));
                in.push_back(new IValue(temperature));
                List<String> thoughts = Tensors.toStrings(m.get_method("think").apply(in));
                for (int i = 0; i < chunk.size(); i++) {
                    if (ThinkQuality.good(chunk.get(i), thoughts.get(i))) {
                        good++;
                    }
                }
            }
        }
        return good / (double) n;
    }

    private static String readString(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeString(Path p, String s) {
        try {
            Files.writeString(p, s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
