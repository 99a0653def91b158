package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.world.Renderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * Trains the no-think painter ({@link NoThinkModel}) by flow matching on (prompt, image) pairs: a prompt of the
 * shapes-world language ({@link NoThinkData}) and the rendered image of a scene that satisfies it (90% of rows), or no
 * prompt and such an image (10%, for classifier-free guidance). The renderer only makes training images; the module
 * never sees a plan, a layout or a scene.
 *
 * <p>A fresh run starts its UNet from a trained draw module's weights when one is at hand ({@code IRG_NOTHINK_INIT},
 * else {@code <out>/draw.pt}; the text pathway starts random), which the manifest records. The exported module is
 * written to {@code <work>/nothink.pt} (a complete draw-contract module that draws from the prompt alone); when
 * {@code <out>/draw.pt} exists it is then rewritten as the combined draw module ({@link DrawModel#combine}: its own
 * layout painter unchanged, this network for rows with an empty thought), else the module is copied to
 * {@code <out>/nothink.pt}.
 */
public final class NoThinkTrainer extends FlowTrainer {
    /** Checkpoint, module and manifest name. */
    public static final String NAME = "nothink";
    /** Environment variable naming the draw module whose UNet weights a fresh run starts from. */
    public static final String INIT_ENV = "IRG_NOTHINK_INIT";

    private String initFrom = "random";
    private Path initFile;

    @Override
    public Step step() {
        return Step.DRAW;
    }

    @Override
    String name() {
        return NAME;
    }

    /*
     * oneDNN: the no-think trainer follows TorchSetup like the others (on unless IRG_TORCH_ONEDNN=false, switched off by
     * the finite-loss guard after repeated NaN). On the host of 2026-12-04 its convolution backward gave NaN or
     * garbage gradients and fine-tuning made the loss rise, so this trainer used to force it off; on the host of
     * 2026-12-05 runs with it on and off gave the same losses to 5 digits for 75 steps, on 2.8x faster (36 vs 13 img/s
     * at 1 thread). IRG_TORCH_ONEDNN=false is the way out on a host like the first.
     */

    /** Starts a fresh run from this draw module's UNet weights (instead of {@code IRG_NOTHINK_INIT} or out/draw.pt). */
    public NoThinkTrainer withInit(Path drawModule) {
        this.initFile = drawModule;
        return this;
    }

    static NoThinkModel.Config cfg(boolean quick) {
        return quick ? NoThinkModel.Config.QUICK : NoThinkModel.Config.FULL;
    }

    /** Draw's settings, with batch 16 and a shorter EMA: more updates in the same time, on the shared 2 cores. */
    @Override
    Hyper hyper(boolean quick) {
        return quick ? super.hyper(true) : new Hyper(16, 5e-4, 0.99, 1_000_000, 25, 180);
    }

    @Override
    JitModule create(boolean quick) {
        return NoThinkModel.create(cfg(quick));
    }

    @Override
    Map<String, Object> config(boolean quick) {
        NoThinkModel.Config c = cfg(quick);
        Map<String, Object> m = unetConfig("no-think rectified-flow UNet: prompt tokens -> transformer encoder"
                + " -> grid cross-attention map (16 ch at 64 px) + bottleneck cross-attention + pooled FiLM",
                c.c1(), c.c2(), c.c3(), c.timeShift());
        m.put("text_dim", c.dim());
        m.put("encoder_layers", c.layers());
        m.put("query_grid", c.grid());
        m.put("rows", "90% prompt + rendered scene that satisfies it (" + NoThinkData.source() + "), 10% unconditional");
        m.put("loss", "flow matching only (object pixels of the target weighted 5x)");
        m.put("init", initFrom);
        return m;
    }

    @Override
    void initialise(JitModule module, TrainOptions opts) {
        Path from = initFile;
        if (from == null) {
            String env = System.getenv(INIT_ENV);
            from = env != null && !env.isBlank() ? Path.of(env) : opts.outDir().resolve("draw.pt");
        }
        if (!Files.isRegularFile(from)) {
            opts.log().accept(NAME + ": no draw module at " + from + ": the UNet starts from random weights");
            return;
        }
        ModuleParams target = ModuleParams.of(module);
        List<String> copied = NoThinkModel.startFromDraw(ModuleParams.of(torch.load(from.toString())), target);
        if (copied.isEmpty()) {
            opts.log().accept(NAME + ": " + from + " has no UNet weights of this size: the UNet starts from random weights");
            return;
        }
        initFrom = String.format(Locale.ROOT, "UNet and FiLM bias (%d of %d tensors) from draw module %s, sha256 %s", copied.size(),
                target.names().size(), from.getFileName(), TorchScriptStepModel.sha256(from));
        opts.log().accept(NAME + ": " + initFrom);
    }

    @Override
    @SuppressWarnings("unchecked")
    void resumedFrom(Map<String, Object> state) {
        Object c = state.get("config");
        if (c instanceof Map<?, ?> m && m.get("init") instanceof String s) {
            initFrom = s;
        }
    }

    @Override
    Path exportFile(TrainOptions opts) {
        return opts.workDir().resolve(NAME + (opts.quick() ? "-quick" : "") + ".pt");
    }

    @Override
    Path published(Path exported, TrainOptions opts) {
        Path draw = opts.outDir().resolve("draw.pt");
        try {
            Files.createDirectories(opts.outDir());
            if (!Files.isRegularFile(draw)) {
                Path out = opts.outDir().resolve(NAME + ".pt");
                Files.copy(exported, out, StandardCopyOption.REPLACE_EXISTING);
                opts.log().accept(NAME + ": no " + draw + " to combine with: wrote " + out);
                return out;
            }
            combineInto(draw, exported, !opts.quick());
            opts.log().accept(NAME + ": " + draw + " now sends rows with an empty thought to this network");
            return draw;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot publish " + exported + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rewrites {@code drawFile} as the combined draw module of its own layout painter and the no-think module in
     * {@code noThinkFile} (each a module file; either may already be a combined draw module).
     */
    public static void combineInto(Path drawFile, Path noThinkFile, boolean half) throws IOException {
        JitModule draw = torch.load(drawFile.toString());
        JitModule nt = torch.load(noThinkFile.toString());
        double ntShift = DrawModel.hasNoThink(nt) ? Jit.call(nt, "no_think_shift").toDouble()
                : DrawModel.timeShift(nt);
        JitModule combined = DrawModel.combine(draw, nt, DrawModel.timeShift(draw), ntShift);
        if (half) {
            combined.to(torch.ScalarType.Half);
        }
        Path tmp = drawFile.resolveSibling(drawFile.getFileName() + ".tmp");
        combined.save(tmp.toString());
        Files.move(tmp, drawFile, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    Tensor batchLoss(JitModule module, Random rnd, int batch) {
        List<RgbImage> images = new ArrayList<>(batch);
        List<String> prompts = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            NoThinkData.Example ex = NoThinkData.sample(rnd);
            images.add(Renderer.render(ex.scene()));
            prompts.add(rnd.nextDouble() < 0.1 ? "" : ex.prompt());
        }
        Tensor x0 = Jit.imagesToUnit(images);
        Tensor ids = Jit.call(module, "token_ids", Jit.strings(prompts)).toTensor();
        Tensor noise = torch.randn(batch, 3, 64, 64);
        Tensor t = torch.rand(batch);
        return Jit.call(module, "train_loss", new IValue(x0), new IValue(ids), new IValue(noise), new IValue(t))
                .toTensor();
    }
}
