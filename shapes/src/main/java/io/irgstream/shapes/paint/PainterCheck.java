package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Seeds;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.ThoughtFormat;
import io.irgstream.shapes.train.TorchSetup;
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
 * Measures the painter: draws N random scenes from their plans and reports the fraction drawn exactly (every object
 * of the right shape and color with its center within 3 px, no extra objects), judged against the renderer-known
 * truth with a simple pixel comparison. A developer tool, not the project's evaluator.
 *
 * <p>Usage: {@code PainterCheck draw.pt [--n 240] [--steps 20] [--cfg 4.0] [--seed 99] [--threads 2]}.
 */
public final class PainterCheck {
    /** Result of a check. */
    public record Report(int scenes, int exact, int wrongShapeOrMissing, int extras, double seconds) {
        /** Fraction of scenes drawn exactly. */
        public double exactFraction() {
            return scenes == 0 ? 0 : exact / (double) scenes;
        }
    }

    private static final int BRIGHT = 60;

    private PainterCheck() {
    }

    /** Whether the image shows exactly the scene's objects (shape, color, center within 3 px) and nothing else. */
    public static boolean matches(RgbImage img, Scene truth) {
        return objectsOk(img, truth) && !hasExtras(img, truth);
    }

    /** Whether every object of the truth is found in the image with its shape and color, its center within 3 px. */
    public static boolean objectsOk(RgbImage img, Scene truth) {
        for (SceneObject o : truth.objects()) {
            if (!found(img, o)) {
                return false;
            }
        }
        return true;
    }

    /** Whether more than a few lit pixels lie outside every object's box grown by 3 px. */
    public static boolean hasExtras(RgbImage img, Scene truth) {
        int stray = 0;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                if (!lit(img, x, y)) {
                    continue;
                }
                boolean near = false;
                for (SceneObject o : truth.objects()) {
                    if (x >= o.x() - 3 && x < o.x() + o.size() + 3 && y >= o.y() - 3 && y < o.y() + o.size() + 3) {
                        near = true;
                        break;
                    }
                }
                if (!near) {
                    stray++;
                }
            }
        }
        return stray > 12;
    }

    private static boolean lit(RgbImage img, int x, int y) {
        return Math.max(img.get(x, y, 0), Math.max(img.get(x, y, 1), img.get(x, y, 2))) > BRIGHT;
    }

    private static boolean ofColor(RgbImage img, int x, int y, Color c) {
        if (x < 0 || y < 0 || x >= img.width() || y >= img.height() || !lit(img, x, y)) {
            return false;
        }
        return Color.nearest(img.get(x, y, 0), img.get(x, y, 1), img.get(x, y, 2)) == c;
    }

    /**
     * Finds the object: over shifts of up to 3 px, the best intersection-over-union between the pixels of the object's
     * color and each shape's mask at the object's size; the true shape must score best and above 0.6.
     */
    static boolean found(RgbImage img, SceneObject o) {
        double best = -1;
        Shape bestShape = null;
        for (Shape shape : Shape.values()) {
            for (int dy = -3; dy <= 3; dy++) {
                for (int dx = -3; dx <= 3; dx++) {
                    double iou = iou(img, shape, o.color(), o.x() + dx, o.y() + dy, o.size());
                    if (iou > best) {
                        best = iou;
                        bestShape = shape;
                    }
                }
            }
        }
        return bestShape == o.shape() && best > 0.6;
    }

    private static double iou(RgbImage img, Shape shape, Color c, int bx, int by, int s) {
        int inter = 0;
        int union = 0;
        for (int j = -2; j < s + 2; j++) {
            for (int i = -2; i < s + 2; i++) {
                boolean m = Renderer.covers(shape, s, i, j);
                boolean p = ofColor(img, bx + i, by + j, c);
                if (m && p) {
                    inter++;
                }
                if (m || p) {
                    union++;
                }
            }
        }
        return union == 0 ? 0 : inter / (double) union;
    }

    /** Draws {@code n} random scenes from their plans with the module and checks them. */
    public static Report run(JitModule draw, int n, int steps, double cfg, long seed, int batch) {
        Random rnd = new Random(seed);
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scenes.add(SceneSampler.random(rnd));
        }
        int exact = 0;
        int objectsWrong = 0;
        int extras = 0;
        long start = System.nanoTime();
        for (int from = 0; from < n; from += batch) {
            List<Scene> part = scenes.subList(from, Math.min(n, from + batch));
            List<RgbImage> images = drawPlans(draw, part, seed + from, steps, cfg);
            for (int i = 0; i < part.size(); i++) {
                boolean ok = objectsOk(images.get(i), part.get(i));
                boolean extra = hasExtras(images.get(i), part.get(i));
                exact += ok && !extra ? 1 : 0;
                objectsWrong += ok ? 0 : 1;
                extras += extra ? 1 : 0;
            }
        }
        return new Report(n, exact, objectsWrong, extras, (System.nanoTime() - start) / 1e9);
    }

    /** Draws the scenes from their plans (prompt: the plan's objects named), noise from {@link Seeds}. */
    public static List<RgbImage> drawPlans(JitModule draw, List<Scene> scenes, long seed, int steps, double cfg) {
        List<String> prompts = new ArrayList<>();
        List<String> thoughts = new ArrayList<>();
        int b = scenes.size();
        float[] noise = new float[b * 3 * 64 * 64];
        Random rnd = new Random(seed);
        for (int i = 0; i < b; i++) {
            prompts.add(PromptTemplates.describe(scenes.get(i), rnd));
            thoughts.add(ThoughtFormat.format(scenes.get(i)));
            System.arraycopy(Seeds.gaussian(seed * 7919 + i, 3 * 64 * 64), 0, noise, i * 3 * 64 * 64, 3 * 64 * 64);
        }
        try (PointerScope s = new PointerScope()) {
            Tensor out = Jit.call(draw, "draw", Jit.strings(prompts), Jit.strings(thoughts),
                    new IValue(Jit.floats(noise, b, 3, 64, 64)), new IValue((long) steps), new IValue(cfg)).toTensor();
            return Jit.bytesToImages(out);
        }
    }

    /** Writes a contact sheet: per scene, the renderer's truth (left) and the drawn image (right), scaled 3x. */
    public static void writeSheet(JitModule draw, Path file, int n, int steps, double cfg, long seed) {
        Random rnd = new Random(seed);
        List<Scene> scenes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            scenes.add(SceneSampler.random(rnd));
        }
        List<RgbImage> drawn = drawPlans(draw, scenes, seed, steps, cfg);
        List<RgbImage[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(new RgbImage[] {Renderer.render(scenes.get(i)), drawn.get(i)});
        }
        writeRows(rows, file);
    }

    /** Writes rows of images side by side, scaled 3x, as a PNG. */
    public static void writeRows(List<RgbImage[]> rows, Path file) {
        int k = 3;
        int cols = rows.get(0).length;
        java.awt.image.BufferedImage sheet = new java.awt.image.BufferedImage(cols * (64 * k + 8),
                rows.size() * (64 * k + 4), java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < rows.size(); i++) {
            for (int p = 0; p < cols; p++) {
                RgbImage im = rows.get(i)[p];
                for (int y = 0; y < 64 * k; y++) {
                    for (int x = 0; x < 64 * k; x++) {
                        int rgb = (im.get(x / k, y / k, 0) << 16) | (im.get(x / k, y / k, 1) << 8) | im.get(x / k, y / k, 2);
                        sheet.setRGB(p * (64 * k + 8) + x, i * (64 * k + 4) + y, rgb);
                    }
                }
            }
        }
        try {
            javax.imageio.ImageIO.write(sheet, "png", file.toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Command-line entry; prints one line with the exact-scene fraction. */
    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "models/shapes/draw.pt");
        int n = 240;
        int steps = 20;
        double cfg = 4.0;
        long seed = 99;
        int threads = 2;
        int batch = 16;
        Path png = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--n" -> n = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--cfg" -> cfg = Double.parseDouble(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--png" -> png = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TorchSetup.init(threads);
        JitModule draw = torch.load(model.toString());
        if (png != null) {
            writeSheet(draw, png, Math.min(n, 16), steps, cfg, seed);
        }
        Report r = run(draw, n, steps, cfg, seed, batch);
        System.out.println(String.format(Locale.ROOT,
                "PainterCheck %s: %d scenes, steps %d, cfg %.1f: exact %.3f (%d), objects wrong/missing %d, extras %d, %.1f img/s",
                model, r.scenes(), steps, cfg, r.exactFraction(), r.exact(), r.wrongShapeOrMissing(), r.extras(),
                r.scenes() / r.seconds()));
    }
}
