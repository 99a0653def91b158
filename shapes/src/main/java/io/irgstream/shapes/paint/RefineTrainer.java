package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the refine module ({@link RefineModel}) by flow matching on (draft, reflection, corrected image) triples.
 *
 * <p>Each row: a correct scene, a draft made from it with one injected mistake (two mistakes in 20% of rows, none in
 * 10%), the reflection written for that pair in the fixed format ({@link ReflectionText}), and the prompt. The
 * corrected plan reaches the network through the module's own reflection parser and layout map. Classifier-free
 * guidance: the text (plan + prompt) is dropped in 10% of rows and the draft image in 10%, independently.
 */
public final class RefineTrainer extends FlowTrainer {
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
        m.put("rows", "1 mistake 70%, 2 mistakes 20%, none 10%; text dropped 10%, image dropped 10%");
        return m;
    }

    @Override
    Tensor batchLoss(JitModule module, Random rnd, int batch) {
        List<RgbImage> targets = new ArrayList<>(batch);
        List<RgbImage> drafts = new ArrayList<>(batch);
        List<String> prompts = new ArrayList<>(batch);
        List<String> plans = new ArrayList<>(batch);
        float[] keep = new float[batch];
        Mistakes.Kind[] kinds = Mistakes.Kind.values();
        for (int i = 0; i < batch; i++) {
            Scene target = SceneSampler.random(rnd);
            double r = rnd.nextDouble();
            List<SceneObject> draft = target.objects();
            if (r >= 0.1) {
                draft = Mistakes.inject(target, kinds[rnd.nextInt(kinds.length)], rnd);
                if (r >= 0.8 && Scene.isValid(draft)) {
                    draft = Mistakes.inject(new Scene(draft), kinds[rnd.nextInt(kinds.length)], rnd);
                }
            }
            targets.add(Renderer.render(target));
            drafts.add(Renderer.renderObjects(draft));
            boolean dropText = rnd.nextDouble() < 0.1;
            keep[i] = rnd.nextDouble() < 0.1 ? 0f : 1f;
            String reflection = ReflectionText.between(draft, target.objects());
            prompts.add(dropText ? "" : PromptTemplates.describe(target, rnd));
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
