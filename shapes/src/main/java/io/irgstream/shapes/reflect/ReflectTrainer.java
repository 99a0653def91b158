package io.irgstream.shapes.reflect;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.paint.RealDrafts;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.ScriptTrainer;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.ThoughtFormat;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Trains the reflect model ({@link ReflectModule}): the detector learns, from {@link ReflectData}, to see what the
 * pixels-only evaluator sees; the reasoning on top is the module's TorchScript code. When a draw model exists
 * ({@code draw.pt} in the output folder) a pool of its real drafts joins the training images. Checkpoints in
 * {@code workDir/reflect}, resumed when present. At the end it measures the detector's accuracy (all objects of an
 * image found with the evaluator's shape, color and center within 1 px) and the verdict's agreement with the
 * evaluator on synthetic drafts with injected mistakes (and on real drafts when there are any).
 */
public final class ReflectTrainer extends ScriptTrainer {
    private static final Evaluator EVALUATOR = new Evaluator();
    private static final int BATCH = 32;
    private static final int FULL_STEPS = 8000;
    private static final int QUICK_STEPS = 40;
    private static final double LR = 2e-3;

    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private ReflectModule.Config cfg;
    /** The draw model whose drafts join the data, null when none. */
    private Path drawFile;
    private long drawStamp;
    private List<RgbImage> drafts;

    public ReflectTrainer() {
        super(QUICK_STEPS, FULL_STEPS, 200.0, 7_919L, 500);
    }

    @Override
    public Step step() {
        return Step.REFLECT;
    }

    /** Metrics of the last run (detector accuracy, verdict agreement). */
    public Map<String, Object> metrics() {
        return metrics;
    }

    @Override
    protected double peakLr(boolean quick) {
        return quick ? 3e-3 : LR;
    }

    @Override
    protected void prepare(TrainOptions opts, boolean training) {
        cfg = opts.quick() ? ReflectModule.Config.QUICK : ReflectModule.Config.FULL;
        drawFile = opts.quick() ? null : RealDrafts.drawModel(opts, "IRG_REFLECT_DRAW", "reflect");
        drafts = new ArrayList<>(drawFile == null || !training ? List.of()
                : drafts(opts, drawFile, 160, opts.seed()));
        drawStamp = drawFile == null ? 0 : modified(drawFile);
    }

    @Override
    protected JitModule create(TrainOptions opts) {
        return ReflectModule.create(cfg, opts.seed());
    }

    @Override
    protected String describe(ModuleParams params, long done, int maxSteps) {
        return "detector of " + params.count() + " parameters, batch " + BATCH + ", steps " + done + " -> " + maxSteps
                + ", " + drafts.size() + " real drafts in the data";
    }

    @Override
    protected IValueVector batch(Random rnd) {
        List<ReflectData.Sample> samples = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            samples.add(ReflectData.sample(rnd, drafts));
        }
        return ReflectData.batch(samples);
    }

    /** Every 1500 steps of a full run, new drafts join the pool (at most 640) when the draw model has changed. */
    @Override
    protected void afterStep(TrainOptions opts, JitModule m, long step) {
        if (!opts.quick() && drawFile != null && step % 1500 == 0 && modified(drawFile) != drawStamp) {
            drawStamp = modified(drawFile);
            drafts.addAll(drafts(opts, drawFile, 96, step));
            while (drafts.size() > 640) {
                drafts.remove(0);
            }
        }
    }

    @Override
    protected String checkpointNote(JitModule m) {
        return String.format("detector accuracy %.3f", detectorAccuracy(m, 96, 4242, drafts));
    }

    @Override
    protected String rateFormat() {
        return "%.2f";
    }

    @Override
    protected TrainResult finish(TrainOptions opts, Trained run) {
        Path out = run.modelPath();
        int n = opts.quick() ? 16 : 300;
        double acc = detectorAccuracy(run.module(), n, 777, drafts);
        double agree = verdictAgreement(out, n, 31337);
        metrics.put("detector_accuracy", acc);
        metrics.put("verdict_agreement_synthetic", agree);
        double secs = run.seconds();
        opts.log().accept(String.format("reflect: wrote %s after %d steps (%.0f s), loss %.4f -> %.4f, detector"
                + " accuracy %.3f, verdict agreement with the evaluator on synthetic drafts %.3f", out, run.steps(),
                secs, run.firstLoss(), run.lastLoss(), acc, agree));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("channels", java.util.Arrays.toString(cfg.channels()));
        config.put("parameters", run.params().count());
        config.put("batch", BATCH);
        config.put("lr", peakLr(opts.quick()));
        config.put("seed", opts.seed());
        config.put("real_drafts", drafts.size());
        config.putAll(metrics);
        return run.result(secs, config);
    }

    private static long modified(Path f) {
        try {
            return Files.getLastModifiedTime(f).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** Real drafts of the draw model: plans and no-think prompts, at 4, 8 and 20 Euler steps. */
    private static List<RgbImage> drafts(TrainOptions opts, Path draw, int n, long seed) {
        Random rnd = new Random(seed + 99);
        List<StepRequest> requests = new ArrayList<>();
        int total = (n + 15) / 16 * 16; // whole draw batches, as before
        for (int i = 0; i < total; i++) {
            PromptSpec p = PromptSpec.sample(rnd);
            String thought = rnd.nextDouble() < 0.25 ? "" : ThoughtFormat.format(PlanSampler.sample(p, rnd));
            requests.add(new StepRequest("d" + i, rnd.nextLong(), p.text(), thought, null, null, RealDrafts.sampling(i)));
        }
        List<RgbImage> out;
        try {
            out = RealDrafts.paint(draw, requests);
        } catch (RuntimeException e) {
            opts.log().accept("reflect: could not make drafts with " + draw + ": " + e.getMessage());
            return List.of();
        }
        opts.log().accept("reflect: made " + out.size() + " real drafts with " + draw);
        return out;
    }

    /** Runs the module's detector on images; objects as [shape, color, cx, cy, size]. */
    static List<List<long[]>> detect(JitModule m, List<RgbImage> images) {
        List<List<long[]>> out = new ArrayList<>();
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            IValueVector in = new IValueVector();
            in.push_back(new IValue(Tensors.images(images)));
            GenericList all = m.get_method("detect").apply(in).toList();
            for (long b = 0; b < all.size(); b++) {
                GenericList objs = all.get(b).toList();
                List<long[]> row = new ArrayList<>();
                for (long k = 0; k < objs.size(); k++) {
                    row.add(objs.get(k).toIntVector().get());
                }
                out.add(row);
            }
        }
        return out;
    }

    /** Fraction of images whose detections equal the evaluator's (shape, color, center within 1 px, count). */
    public static double detectorAccuracy(JitModule m, int n, long seed, List<RgbImage> drafts) {
        Random rnd = new Random(seed);
        int good = 0;
        for (int start = 0; start < n; start += 32) {
            List<ReflectData.Sample> samples = new ArrayList<>();
            for (int i = start; i < Math.min(n, start + 32); i++) {
                samples.add(ReflectData.sample(rnd, drafts));
            }
            List<RgbImage> images = samples.stream().map(ReflectData.Sample::image).toList();
            List<List<long[]>> found = detect(m, images);
            for (int i = 0; i < samples.size(); i++) {
                if (same(samples.get(i).labels(), found.get(i))) {
                    good++;
                }
            }
        }
        return good / (double) n;
    }

    private static boolean same(List<DetectedObject> truth, List<long[]> found) {
        if (truth.size() != found.size()) {
            return false;
        }
        List<long[]> left = new ArrayList<>(found);
        for (DetectedObject d : truth) {
            long[] best = left.stream().min(Comparator.comparingLong(f -> Math.abs(f[2] - d.cx()) + Math.abs(f[3] - d.cy())))
                    .orElseThrow();
            int shape = d.shape() == null ? 5 : d.shape().ordinal();
            if (best[0] != shape || best[1] != d.color().ordinal() || Math.abs(best[2] - d.cx()) > 1
                    || Math.abs(best[3] - d.cy()) > 1) {
                return false;
            }
            left.remove(best);
        }
        return true;
    }

    /**
     * Verdict agreement with the evaluator on synthetic drafts: plans for random prompts, half of them with an
     * injected mistake (wrong color or shape, a missing, moved or extra object), rendered with light imperfections.
     */
    public static double verdictAgreement(Path reflectFile, int n, long seed) {
        Random rnd = new Random(seed);
        int agree = 0;
        try (StepModel m = StepModels.load(Step.REFLECT, reflectFile)) {
            for (int start = 0; start < n; start += 16) {
                List<StepRequest> batch = new ArrayList<>();
                List<Boolean> truth = new ArrayList<>();
                for (int i = start; i < Math.min(n, start + 16); i++) {
                    PromptSpec p = PromptSpec.sample(io.irgstream.shapes.prompts.Category.values()[i % 6], rnd);
                    Scene plan = PlanSampler.sample(p, rnd);
                    Scene drawn = rnd.nextBoolean() ? mutate(plan, rnd) : plan;
                    RgbImage img = Renderer.render(drawn);
                    if (rnd.nextDouble() < 0.5) {
                        img = ReflectData.corrupt(img, drawn, rnd);
                    }
                    truth.add(EVALUATOR.passes(p, img));
                    batch.add(new StepRequest("v" + i, Seeds.stepSeed(seed, Step.REFLECT, i), p.text(),
                            ThoughtFormat.format(plan), img, null, Sampling.DEFAULTS));
                }
                List<StepResult> res = m.run(batch);
                for (int i = 0; i < res.size(); i++) {
                    boolean sat = Verdict.of(res.get(i).text()) == Verdict.SATISFIED;
                    if (sat == truth.get(i)) {
                        agree++;
                    }
                }
            }
        }
        return agree / (double) n;
    }

    /** A plan with one injected mistake (falls back to the plan when the mistake cannot be placed). */
    static Scene mutate(Scene plan, Random rnd) {
        List<SceneObject> objs = new ArrayList<>(plan.objects());
        int i = rnd.nextInt(objs.size());
        SceneObject o = objs.get(i);
        switch (rnd.nextInt(5)) {
            case 0 -> objs.set(i, o.withColor(Color.values()[(o.color().ordinal() + 1 + rnd.nextInt(7)) % 8]));
            case 1 -> objs.set(i, o.withShape(Shape.values()[(o.shape().ordinal() + 1 + rnd.nextInt(4)) % 5]));
            case 2 -> {
                if (objs.size() > 1) {
                    objs.remove(i);
                }
            }
            case 3 -> {
                objs.remove(i);
                SceneObject moved = PlanSampler.placeOne(o.shape(), o.color(), objs, rnd);
                objs.add(i, moved == null ? o : moved);
            }
            default -> {
                if (objs.size() < 4) {
                    SceneObject extra = PlanSampler.placeOne(Shape.values()[rnd.nextInt(5)],
                            Color.values()[rnd.nextInt(8)], objs, rnd);
                    if (extra != null) {
                        objs.add(extra);
                    }
                }
            }
        }
        return Scene.isValid(objs) ? new Scene(objs) : plan;
    }
}
