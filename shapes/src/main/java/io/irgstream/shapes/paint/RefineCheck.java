package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Seeds;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Measures the refine module on drafts with one injected mistake each: the fraction of edited images that show the
 * corrected scene exactly ({@link PainterCheck#matches}), and the fraction of pixels that the edit did not need to
 * touch (equal in draft and target) that kept their draft value bit-exactly. A developer tool.
 *
 * <p>Usage: {@code RefineCheck refine.pt [--n 48] [--steps 20] [--cfg-text 4] [--cfg-image 2] [--seed 77] [--threads 2] [--png FILE]} (sheet rows: draft, edited, target).
 */
public final class RefineCheck {
    private RefineCheck() {
    }

    /** Command-line entry; prints one line. */
    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "models/shapes/refine.pt");
        int n = 48;
        int steps = 20;
        double cfgText = 4.0;
        double cfgImage = 2.0;
        long seed = 77;
        int threads = 2;
        Path png = null;
        List<RgbImage[]> sheet = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> n = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--cfg-text" -> cfgText = Double.parseDouble(args[++i]);
                case "--cfg-image" -> cfgImage = Double.parseDouble(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--png" -> png = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TorchSetup.init(threads);
        JitModule refine = torch.load(model.toString());
        Random rnd = new Random(seed);
        int fixed = 0;
        int draftsOk = 0;
        long keepTotal = 0;
        long keptExact = 0;
        long start = System.nanoTime();
        int batch = 8;
        for (int from = 0; from < n; from += batch) {
            int b = Math.min(batch, n - from);
            List<Scene> targets = new ArrayList<>();
            List<RgbImage> drafts = new ArrayList<>();
            List<String> prompts = new ArrayList<>();
            List<String> reflections = new ArrayList<>();
            float[] noise = new float[b * 3 * 64 * 64];
            for (int i = 0; i < b; i++) {
                Scene t = SceneSampler.random(rnd);
                List<SceneObject> d = Mistakes.inject(t, Mistakes.Kind.values()[(from + i) % Mistakes.Kind.values().length], rnd);
                targets.add(t);
                drafts.add(Renderer.renderObjects(d));
                prompts.add(PromptTemplates.describe(t, rnd));
                reflections.add(ReflectionText.between(d, t.objects()));
                System.arraycopy(Seeds.gaussian(seed * 31 + from + i, 3 * 64 * 64), 0, noise, i * 3 * 64 * 64, 3 * 64 * 64);
            }
            List<RgbImage> edited;
            try (PointerScope s = new PointerScope()) {
                Tensor out = Jit.call(refine, "refine", Jit.strings(prompts), Jit.strings(prompts),
                        new IValue(Jit.imagesToBytes(drafts)), Jit.strings(reflections),
                        new IValue(Jit.floats(noise, b, 3, 64, 64)), new IValue((long) steps), new IValue(cfgText),
                        new IValue(cfgImage)).toTensor();
                edited = Jit.bytesToImages(out);
            }
            for (int i = 0; i < b; i++) {
                RgbImage target = Renderer.render(targets.get(i));
                if (sheet.size() < 12) {
                    sheet.add(new RgbImage[] {drafts.get(i), edited.get(i), target});
                }
                fixed += PainterCheck.matches(edited.get(i), targets.get(i)) ? 1 : 0;
                draftsOk += PainterCheck.matches(drafts.get(i), targets.get(i)) ? 1 : 0;
                byte[] d = drafts.get(i).pixels();
                byte[] t = target.pixels();
                byte[] e = edited.get(i).pixels();
                for (int p = 0; p < d.length; p += 3) {
                    if (d[p] == t[p] && d[p + 1] == t[p + 1] && d[p + 2] == t[p + 2]) {
                        keepTotal++;
                        keptExact += d[p] == e[p] && d[p + 1] == e[p + 1] && d[p + 2] == e[p + 2] ? 1 : 0;
                    }
                }
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        if (png != null) {
            PainterCheck.writeRows(sheet, png);
        }
        System.out.println(String.format(Locale.ROOT,
                "RefineCheck %s: %d drafts with one injected mistake (%d already passing), steps %d, cfg text %.1f image %.1f:"
                        + " fixed exactly %.3f (%d), untouched pixels kept bit-exact %.4f, %.2f img/s",
                model, n, draftsOk, steps, cfgText, cfgImage, fixed / (double) n, fixed,
                keptExact / (double) Math.max(1, keepTotal), n / secs));
    }
}
