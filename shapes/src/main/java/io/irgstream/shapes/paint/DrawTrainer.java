package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.ThoughtFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Trains the draw module ({@link DrawModel}) by flow matching on procedurally rendered scenes.
 *
 * <p>Each batch row is one of: a plan row (70%: a random 1-4 object scene, its thought, a prompt it satisfies),
 * a prompt-only row (20%: a GenEval-style prompt with a scene made to satisfy it and an empty thought; this trains the
 * no-think path), or an unconditional row (10%: no prompt, no thought; needed for classifier-free guidance).
 * Conditioning goes through the module's own {@code layout} and {@code prompt_ids} methods, the ones {@code draw} uses.
 */
public final class DrawTrainer extends FlowTrainer {
    private double timeShift = 1.0;

    /** Sets the sampling schedule shift written into the exported module (1 = uniform). */
    public DrawTrainer withTimeShift(double shift) {
        this.timeShift = shift;
        return this;
    }

    @Override
    public Step step() {
        return Step.DRAW;
    }

    private DrawModel.Config cfg(boolean quick) {
        return (quick ? DrawModel.Config.QUICK : DrawModel.Config.FULL).withShift(timeShift);
    }

    @Override
    JitModule create(boolean quick) {
        return DrawModel.create(cfg(quick));
    }

    @Override
    Map<String, Object> config(boolean quick) {
        DrawModel.Config c = cfg(quick);
        Map<String, Object> m = unetConfig("rectified-flow UNet, layout + prompt conditioning", c.c1(), c.c2(), c.c3(),
                c.timeShift());
        m.put("rows", "70% plan, 20% prompt-only, 10% unconditional");
        return m;
    }

    /**
     * Keeps the no-think painter: when the draw.pt about to be replaced holds one ({@link DrawModel#combine}), the new
     * module holds it too, so retraining draw alone does not drop the no-think baseline.
     */
    @Override
    JitModule served(JitModule fresh, java.nio.file.Path file, boolean quick) {
        if (!java.nio.file.Files.isRegularFile(file)) {
            return fresh;
        }
        JitModule old = torch.load(file.toString());
        if (!DrawModel.hasNoThink(old)) {
            return fresh;
        }
        return DrawModel.combine(fresh, old, timeShift, Jit.call(old, "no_think_shift").toDouble());
    }

    @Override
    Tensor batchLoss(JitModule module, Random rnd, int batch) {
        List<RgbImage> images = new ArrayList<>(batch);
        List<String> prompts = new ArrayList<>(batch);
        List<String> thoughts = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            double r = rnd.nextDouble();
            if (r < 0.7) {
                Scene s = SceneSampler.random(rnd);
                images.add(Renderer.render(s));
                prompts.add(PromptTemplates.describe(s, rnd));
                thoughts.add(ThoughtFormat.format(s));
            } else if (r < 0.9) {
                PromptTemplates.Example ex = PromptTemplates.sample(rnd);
                images.add(Renderer.render(ex.scene()));
                prompts.add(ex.prompt());
                thoughts.add("");
            } else {
                images.add(Renderer.render(SceneSampler.random(rnd)));
                prompts.add("");
                thoughts.add("");
            }
        }
        Tensor x0 = Jit.imagesToUnit(images);
        Tensor layout = Jit.call(module, "layout", Jit.strings(thoughts)).toTensor();
        Tensor pids = Jit.call(module, "prompt_ids", Jit.strings(prompts)).toTensor();
        Tensor noise = torch.randn(batch, 3, 64, 64);
        Tensor t = torch.rand(batch);
        return Jit.call(module, "train_loss", new IValue(x0), new IValue(layout), new IValue(pids), new IValue(noise),
                new IValue(t)).toTensor();
    }
}
