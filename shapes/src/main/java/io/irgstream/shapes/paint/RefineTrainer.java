package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.model.StepRequest;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.WeightCopy;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.ThoughtFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the refine module ({@link RefineModel}) by flow matching on (draft, reflection, corrected image) triples.
 *
 * <p>Each row: a correct scene ({@value #V2_FRACTION} of the rendered ones the plan of a sampled v2 prompt, with the
 * prompt as a user types it; the rest random scenes with a v1 prompt), a draft made from it with one injected mistake (two mistakes in 20% of rows, none in
 * 10%), the reflection written for that pair in the fixed format ({@link ReflectionText}), and the prompt. The
 * corrected plan reaches the network through the module's own reflection parser and layout map. Classifier-free
 * guidance: the text (plan + prompt) is dropped in 10% of rows and the draft image in 10%, independently.
 *
 * <p>Real draft mistakes: when a draw model is at hand ({@code draw.pt} in the output folder, else
 * {@code IRG_REFINE_DRAW}), {@value #REAL_FRACTION} of the rows instead take a draft that model painted from a plan
 * with the same injected mistakes (4, 8 or 20 Euler steps), for a prompt of the held-out grammar with a correct plan
 * as the target: what refine meets when serving is the painter's image, with its soft edges and slips, not a render.
 */
public final class RefineTrainer extends FlowTrainer {
    /** Fraction of rows taken from the real drafts, when there are any. */
    static final double REAL_FRACTION = 0.3;
    /** Real drafts made before training (full runs; quick runs make a handful). */
    static final int REAL_DRAFTS = 320;
    static final int REAL_DRAFTS_QUICK = 16;
    /**
     * Fraction of the rendered rows whose target is a plan of a sampled v2 prompt (sizes, exact counts, colored
     * relations, up to four objects; the prompt as a user types it); the others are random scenes with a v1 prompt.
     */
    static final double V2_FRACTION = 0.6;
    /** Environment variable naming a refine module of the same size to start from (a fine-tune), instead of random weights. */
    static final String INIT_ENV = "IRG_REFINE_INIT";

    /** One real-draft row: the draw model's image of a mistaken plan, that plan's objects, the target, the prompt. */
    record RealRow(RgbImage draft, List<SceneObject> drawn, Scene target, String prompt) {
    }

    private List<RealRow> real = List.of();
    private String initFrom;
    private Path initFile;

    /**
     * Starts a fresh run from the weights of an existing refine module of the same size (a fine-tune) instead of
     * random ones; {@code null} (default) reads {@value #INIT_ENV}, and random weights when that is unset too.
     */
    public RefineTrainer withInitFrom(Path refineModule) {
        this.initFile = refineModule;
        return this;
    }

    @Override
    public Step step() {
        return Step.REFINE;
    }

    private RefineModel.Config cfg(boolean quick) {
        return quick ? RefineModel.Config.QUICK : RefineModel.Config.FULL;
    }

    @Override
    JitModule create(boolean quick) {
        return RefineModel.create(cfg(quick));
    }

    @Override
    Map<String, Object> config(boolean quick) {
        RefineModel.Config c = cfg(quick);
        Map<String, Object> m = unetConfig("rectified-flow UNet editing the draft (residual), corrected-plan layout"
                + " + prompt conditioning", c.c1(), c.c2(), c.c3(), c.timeShift());
        m.put("snapLevels", c.snapLevels());
        m.put("rows", "1 mistake 70%, 2 mistakes 20%, none 10%; text dropped 10%, image dropped 10%; with a draw model,"
                + " " + Math.round(REAL_FRACTION * 100) + "% of rows are its real drafts of mistaken plans");
        m.put("real_drafts", real.size());
        m.put("v2_fraction", V2_FRACTION);
        if (initFrom != null) {
            m.put("init", initFrom);
        }
        return m;
    }

    @Override
    void initialise(JitModule module, TrainOptions opts) {
        Path from = initFile;
        if (from == null) {
            String env = System.getenv(INIT_ENV);
            if (env == null || env.isBlank()) {
                return;
            }
            from = Path.of(env);
        }
        if (!Files.isRegularFile(from)) {
            throw new IllegalArgumentException("cannot start refine from " + from + " (" + INIT_ENV
                    + "): no such file");
        }
        ModuleParams source = ModuleParams.of(torch.load(from.toString()));
        ModuleParams target = ModuleParams.of(module);
        if (!source.names().equals(target.names())) {
            throw new IllegalArgumentException("cannot start refine from " + from + " (" + INIT_ENV
                    + "): not a refine module of this size (" + source.names().size() + " tensors, expected "
                    + target.names().size() + ")");
        }
        new WeightCopy(source).restoreInto(target);
        initFrom = String.format(Locale.ROOT, "all weights from %s, sha256 %s", from.getFileName(),
                TorchScriptStepModel.sha256(from));
        opts.log().accept(name() + ": starting from " + initFrom);
    }

    @Override
    void resumedFrom(Map<String, Object> state) {
        if (state.get("config") instanceof Map<?, ?> c && c.get("init") instanceof String s) {
            initFrom = s;
        }
    }

    @Override
    void prepare(TrainOptions opts) {
        Path draw = RealDrafts.drawModel(opts, "IRG_REFINE_DRAW", name());
        if (draw == null) {
            return;
        }
        int n = opts.quick() ? REAL_DRAFTS_QUICK : REAL_DRAFTS;
        Random rnd = new Random(opts.seed() * 31 + 4242);
        List<StepRequest> requests = new ArrayList<>(n);
        List<Scene> targets = new ArrayList<>(n);
        List<List<SceneObject>> plans = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            PromptSpec p = PromptSpec.sample(rnd);
            Scene target = PlanSampler.sample(p, rnd);
            List<SceneObject> drawn = mistaken(target, rnd, true);
            requests.add(new StepRequest("refine-real-" + i, rnd.nextLong(), p.text(),
                    ThoughtFormat.format(new Scene(drawn)), null, null, RealDrafts.sampling(i)));
            targets.add(target);
            plans.add(drawn);
        }
        long t0 = System.nanoTime();
        List<RgbImage> images;
        try {
            images = RealDrafts.paint(draw, requests);
        } catch (RuntimeException e) {
            opts.log().accept(name() + ": could not make real drafts with " + draw + ", training on rendered drafts only: "
                    + e.getMessage());
            return;
        }
        List<RealRow> made = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            made.add(new RealRow(images.get(i), plans.get(i), targets.get(i), requests.get(i).prompt()));
        }
        real = made;
        opts.log().accept(String.format(Locale.ROOT, "%s: made %d real drafts of mistaken plans with %s in %.0f s",
                name(), made.size(), draw, (System.nanoTime() - t0) / 1e9));
    }

    /**
     * The target's objects with one injected mistake (two in 20% of calls, none in 10%). With {@code valid}, a mistake
     * that would break the scene's rules is left out, so the result can be written as a plan.
     */
    private static List<SceneObject> mistaken(Scene target, Random rnd, boolean valid) {
        Mistakes.Kind[] kinds = Mistakes.Kind.values();
        double r = rnd.nextDouble();
        List<SceneObject> drawn = target.objects();
        if (r >= 0.1) {
            List<SceneObject> once = Mistakes.inject(target, kinds[rnd.nextInt(kinds.length)], rnd);
            drawn = !valid || Scene.isValid(once) ? once : drawn;
            if (r >= 0.8 && Scene.isValid(drawn)) {
                List<SceneObject> twice = Mistakes.inject(new Scene(drawn), kinds[rnd.nextInt(kinds.length)], rnd);
                drawn = !valid || Scene.isValid(twice) ? twice : drawn;
            }
        }
        return drawn;
    }

    @Override
    Tensor batchLoss(JitModule module, Random rnd, int batch) {
        List<RgbImage> targets = new ArrayList<>(batch);
        List<RgbImage> drafts = new ArrayList<>(batch);
        List<String> prompts = new ArrayList<>(batch);
        List<String> plans = new ArrayList<>(batch);
        float[] keep = new float[batch];
        for (int i = 0; i < batch; i++) {
            RealRow row = !real.isEmpty() && rnd.nextDouble() < REAL_FRACTION ? real.get(rnd.nextInt(real.size())) : null;
            PromptSpec spec = row == null && rnd.nextDouble() < V2_FRACTION ? PromptSpec.sample(rnd) : null;
            Scene target = row != null ? row.target() : spec != null ? PlanSampler.sample(spec, rnd) : SceneSampler.random(rnd);
            List<SceneObject> drawn = row != null ? row.drawn() : mistaken(target, rnd, false);
            targets.add(Renderer.render(target));
            drafts.add(row != null ? row.draft() : Renderer.renderObjects(drawn));
            boolean dropText = rnd.nextDouble() < 0.1;
            keep[i] = rnd.nextDouble() < 0.1 ? 0f : 1f;
            String reflection = ReflectionText.between(drawn, target.objects());
            prompts.add(dropText ? "" : row != null ? row.prompt() : spec != null ? spec.surface(rnd)
                    : PromptTemplates.describe(target, rnd));
            plans.add(dropText ? "" : Jit.call(module, "final_plan", new IValue(reflection)).toStringRef().getString());
        }
        Tensor target = Jit.imagesToUnit(targets);
        Tensor draft = Jit.imagesToUnit(drafts);
        Tensor layout = Jit.call(module, "layout", Jit.strings(plans)).toTensor();
        Tensor pids = Jit.call(module, "prompt_ids", Jit.strings(prompts)).toTensor();
        Tensor noise = torch.randn(batch, 3, 64, 64);
        Tensor t = torch.rand(batch);
        return Jit.call(module, "train_loss", new IValue(target), new IValue(draft), new IValue(Jit.floats(keep, batch)),
                new IValue(layout), new IValue(pids), new IValue(noise), new IValue(t)).toTensor();
    }
}
