package io.irgstream.shapes.think;

import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.ScriptTrainer;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.world.ThoughtFormat;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains the think model ({@link ThinkModule}): teacher-forced next-token loss on (prompt, plan) pairs generated
 * procedurally ({@link PromptSpec#sample}, {@link PlanSampler}), Adam with warm-up and a linear decay, gradient
 * clipping, a finite-loss guard, checkpoints in {@code workDir/think} (resumed when present; the loop is
 * {@link ScriptTrainer}'s), and a final check of the fraction of thoughts sampled at temperature 0.3 that are valid
 * plans satisfying their prompt.
 */
public final class ThinkTrainer extends ScriptTrainer {
    private static final int BATCH = 48;
    private static final int FULL_STEPS = 12_000;
    private static final int QUICK_STEPS = 60;
    private static final double LR = 1e-3;
    private static final double QUICK_LR = 3e-3;

    /** The last measured validity (fraction of good thoughts at T=0.3), NaN before training. */
    private double lastValidity = Double.NaN;
    private ThinkModule.Config cfg;

    public ThinkTrainer() {
        super(QUICK_STEPS, FULL_STEPS, 300.0, 1_000_003L, 1000);
    }

    @Override
    public Step step() {
        return Step.THINK;
    }

    /** Fraction of thoughts sampled at T=0.3 that were valid and satisfied their prompt, at the end of training. */
    public double lastValidity() {
        return lastValidity;
    }

    @Override
    protected double peakLr(boolean quick) {
        return quick ? QUICK_LR : LR;
    }

    @Override
    protected JitModule create(TrainOptions opts) {
        cfg = opts.quick() ? ThinkModule.Config.QUICK : ThinkModule.Config.FULL;
        return ThinkModule.create(cfg, opts.seed());
    }

    @Override
    protected String describe(ModuleParams params, long done, int maxSteps) {
        return params.count() + " parameters, config " + cfg + ", batch " + BATCH + ", steps " + done + " -> "
                + maxSteps;
    }

    @Override
    protected IValueVector batch(Random rnd) {
        return batch(rnd, BATCH);
    }

    @Override
    protected String checkpointNote(JitModule m) {
        return String.format("validity at T=0.3 %.3f (first sample %.3f)", validity(m, 120, 0.3, 99, ThinkModule.TRIES),
                validity(m, 120, 0.3, 99, 1));
    }

    /** Full runs write the weights in float16 ({@link ThinkModule#storeHalf}); quick runs in float32. */
    @Override
    protected JitModule forExport(JitModule trained, TrainOptions opts) {
        if (opts.quick()) {
            return trained;
        }
        JitModule fresh = ThinkModule.create(cfg, opts.seed());
        io.irgstream.shapes.reflect.Weights.copy(trained, fresh);
        ThinkModule.storeHalf(fresh);
        return fresh;
    }

    /** Measures the file as written (float16 weights in full runs), not the module in training. */
    @Override
    protected TrainResult finish(TrainOptions opts, Trained run) {
        JitModule saved = org.bytedeco.pytorch.global.torch.load(run.modelPath().toString());
        lastValidity = validity(saved, opts.quick() ? 12 : 500, 0.3, 12345, ThinkModule.TRIES);
        double firstSample = validity(saved, opts.quick() ? 12 : 500, 0.3, 12345, 1);
        double secs = run.seconds();
        opts.log().accept(String.format("think: wrote %s after %d steps (%.0f s), loss %.4f -> %.4f, validity at"
                + " T=0.3 %.3f (first sample %.3f)", run.modelPath(), run.steps(), secs, run.firstLoss(), run.lastLoss(),
                lastValidity, firstSample));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("dim", cfg.dim());
        config.put("heads", cfg.heads());
        config.put("layers", cfg.layers());
        config.put("ffn", cfg.ffn());
        config.put("parameters", run.params().count());
        config.put("batch", BATCH);
        config.put("lr", LR);
        config.put("seed", opts.seed());
        config.put("validity_t0.3", lastValidity);
        config.put("validity_first_sample_t0.3", firstSample);
        config.put("weights", opts.quick() ? "float32" : "float16 (computed in float32)");
        return run.result(secs, config);
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
            seq.addAll(ThinkVocab.encodePrompt(rnd.nextInt(4) == 0 ? p.surface(rnd) : p.text()));
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

    /**
     * Fraction of {@code n} random prompts (the ten categories in turn, as users might type them) whose thought is a
     * valid plan satisfying the prompt, with up to {@code tries} plans sampled per prompt (1 = the first sample).
     */
    public static double validity(JitModule m, int n, double temperature, long seed, int tries) {
        Random rnd = new Random(seed);
        List<PromptSpec> prompts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Category[] cats = Category.values();
            prompts.add(PromptSpec.sample(cats[i % cats.length], rnd));
        }
        int good = 0;
        for (int start = 0; start < n; start += 16) {
            List<PromptSpec> chunk = prompts.subList(start, Math.min(n, start + 16));
            try (PointerScope scope = new PointerScope(); org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
                List<String> texts = new ArrayList<>();
                float[] u = new float[chunk.size() * 96];
                for (int i = 0; i < chunk.size(); i++) {
                    texts.add(chunk.get(i).surface(new Random(seed + start + i)));
                    System.arraycopy(Seeds.uniform(seed + start + i, 96), 0, u, i * 96, 96);
                }
                IValueVector in = new IValueVector();
                in.push_back(Tensors.strings(texts));
                in.push_back(new IValue(Tensors.floats(u, chunk.size(), 96)));
                in.push_back(new IValue(temperature));
                in.push_back(new IValue(tries));
                List<String> thoughts = Tensors.toStrings(m.get_method("think_tries").apply(in));
                for (int i = 0; i < chunk.size(); i++) {
                    if (ThinkQuality.good(chunk.get(i), thoughts.get(i))) {
                        good++;
                    }
                }
            }
        }
        return good / (double) n;
    }
}
