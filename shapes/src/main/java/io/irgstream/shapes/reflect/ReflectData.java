package io.irgstream.shapes.reflect;

import io.irgstream.model.RgbImage;
import io.irgstream.model.torch.Tensors;
import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Training data of the reflect detector: rendered scenes, imperfect versions of them (noise, blur, color shifts,
 * partly erased or smeared shapes, stray blobs) and painter drafts when available, each labelled with what the
 * pixels-only {@link Evaluator} sees in it, so that the detector learns to see what the judge sees.
 */
public final class ReflectData {
    private static final Evaluator EVALUATOR = new Evaluator();

    /** One labelled image. */
    public record Sample(RgbImage image, List<DetectedObject> labels) {
    }

    private ReflectData() {
    }

    /** A random training sample; {@code drafts} may be empty. */
    public static Sample sample(Random rnd, List<RgbImage> drafts) {
        RgbImage img;
        double r = rnd.nextDouble();
        if (!drafts.isEmpty() && r < 0.4) {
            img = drafts.get(rnd.nextInt(drafts.size()));
            if (rnd.nextBoolean()) {
                img = mirror(img);
            }
        } else {
            Scene scene = rnd.nextBoolean() ? SceneSampler.random(rnd) : PlanSampler.sample(PromptSpec.sample(rnd), rnd);
            img = Renderer.render(scene);
            if (rnd.nextDouble() < 0.6) {
                img = corrupt(img, scene, rnd);
            }
        }
        return new Sample(img, EVALUATOR.detect(img));
    }

    /** Applies random imperfections of the kinds a generative painter makes. */
    public static RgbImage corrupt(RgbImage img, Scene scene, Random rnd) {
        int w = img.width();
        int h = img.height();
        float[] px = new float[w * h * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = img.pixels()[i] & 0xff;
        }
        if (rnd.nextDouble() < 0.3) {
            SceneObject o = scene.objects().get(rnd.nextInt(scene.objects().size()));
            int ex = o.x() + rnd.nextInt(o.size());
            int ey = o.y() + rnd.nextInt(o.size());
            int ew = 2 + rnd.nextInt(Math.max(1, o.size() / 2));
            int eh = 2 + rnd.nextInt(Math.max(1, o.size() / 2));
            fillRect(px, w, h, ex - ew / 2, ey - eh / 2, ew, eh, 0, 0, 0);
        }
        if (rnd.nextDouble() < 0.2) {
            SceneObject o = scene.objects().get(rnd.nextInt(scene.objects().size()));
            int ex = o.x() - 2 + rnd.nextInt(o.size() + 4);
            int ey = o.y() - 2 + rnd.nextInt(o.size() + 4);
            int ew = 2 + rnd.nextInt(5);
            int eh = 2 + rnd.nextInt(5);
            fillRect(px, w, h, ex, ey, ew, eh, o.color().r(), o.color().g(), o.color().b());
        }
        if (rnd.nextDouble() < 0.15) {
            Color c = Color.values()[rnd.nextInt(Color.values().length)];
            int bx = rnd.nextInt(w - 8);
            int by = rnd.nextInt(h - 8);
            int rx = 2 + rnd.nextInt(6);
            int ry = 2 + rnd.nextInt(6);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double dx = (x - bx) / (double) rx;
                    double dy = (y - by) / (double) ry;
                    if (dx * dx + dy * dy <= 1 + 0.3 * Math.sin(3 * x + y)) {
                        set(px, w, x, y, c.r(), c.g(), c.b());
                    }
                }
            }
        }
        if (rnd.nextDouble() < 0.5) {
            float[] shift = {(float) rnd.nextGaussian() * 10, (float) rnd.nextGaussian() * 10,
                    (float) rnd.nextGaussian() * 10};
            for (int i = 0; i < w * h; i++) {
                if (px[i * 3] + px[i * 3 + 1] + px[i * 3 + 2] > 90) {
                    for (int c = 0; c < 3; c++) {
                        px[i * 3 + c] += shift[c];
                    }
                }
            }
        }
        if (rnd.nextDouble() < 0.3) {
            px = blur(px, w, h);
        }
        if (rnd.nextDouble() < 0.5) {
            double std = rnd.nextDouble() * 14;
            for (int i = 0; i < px.length; i++) {
                px[i] += (float) (rnd.nextGaussian() * std);
            }
        }
        byte[] out = new byte[px.length];
        for (int i = 0; i < px.length; i++) {
            out[i] = (byte) Math.max(0, Math.min(255, Math.round(px[i])));
        }
        return new RgbImage(w, h, out);
    }

    private static void fillRect(float[] px, int w, int h, int x0, int y0, int rw, int rh, int r, int g, int b) {
        for (int y = Math.max(0, y0); y < Math.min(h, y0 + rh); y++) {
            for (int x = Math.max(0, x0); x < Math.min(w, x0 + rw); x++) {
                set(px, w, x, y, r, g, b);
            }
        }
    }

    private static void set(float[] px, int w, int x, int y, int r, int g, int b) {
        int i = (y * w + x) * 3;
        px[i] = r;
        px[i + 1] = g;
        px[i + 2] = b;
    }

    private static float[] blur(float[] px, int w, int h) {
        float[] out = new float[px.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    float s = 0;
                    int n = 0;
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dx = -1; dx <= 1; dx++) {
                            int xx = x + dx;
                            int yy = y + dy;
                            if (xx >= 0 && yy >= 0 && xx < w && yy < h) {
                                s += px[(yy * w + xx) * 3 + c] * (dx == 0 && dy == 0 ? 4 : 1);
                                n += dx == 0 && dy == 0 ? 4 : 1;
                            }
                        }
                    }
                    out[(y * w + x) * 3 + c] = s / n;
                }
            }
        }
        return out;
    }

    /** The image mirrored left-right (every shape of the world is symmetric about its vertical axis). */
    public static RgbImage mirror(RgbImage img) {
        byte[] out = new byte[img.pixels().length];
        int w = img.width();
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < w; x++) {
                System.arraycopy(img.pixels(), (y * w + x) * 3, out, (y * w + (w - 1 - x)) * 3, 3);
            }
        }
        return new RgbImage(w, img.height(), out);
    }

    /** Detector targets for a batch: images, objectness and the per-cell class targets. */
    public static IValueVector batch(List<Sample> samples) {
        int n = samples.size();
        int g = ReflectModule.GRID;
        float[] obj = new float[n * g * g];
        long[] shape = new long[n * g * g];
        long[] color = new long[n * g * g];
        long[] ox = new long[n * g * g];
        long[] oy = new long[n * g * g];
        long[] size = new long[n * g * g];
        List<RgbImage> images = new ArrayList<>();
        for (int b = 0; b < n; b++) {
            Sample s = samples.get(b);
            images.add(s.image());
            for (DetectedObject d : s.labels()) {
                int cx = Math.max(0, Math.min(63, d.cx()));
                int cy = Math.max(0, Math.min(63, d.cy()));
                int cell = b * g * g + (cy / 8) * g + cx / 8;
                if (obj[cell] > 0) {
                    continue;
                }
                obj[cell] = 1;
                shape[cell] = d.shape() == null ? 5 : d.shape().ordinal();
                color[cell] = d.color().ordinal();
                ox[cell] = cx % 8;
                oy[cell] = cy % 8;
                size[cell] = Math.max(10, Math.min(20, d.size())) - 10;
            }
        }
        IValueVector v = new IValueVector();
        v.push_back(new IValue(Tensors.images(images)));
        v.push_back(new IValue(Tensors.floats(obj, n, g, g)));
        v.push_back(new IValue(Tensors.longs(shape, n, g, g)));
        v.push_back(new IValue(Tensors.longs(color, n, g, g)));
        v.push_back(new IValue(Tensors.longs(ox, n, g, g)));
        v.push_back(new IValue(Tensors.longs(oy, n, g, g)));
        v.push_back(new IValue(Tensors.longs(size, n, g, g)));
        return v;
    }

    /** Shapes by detector class index (5 = malformed, null). */
    static Shape shapeOf(int cls) {
        return cls >= 0 && cls < 5 ? Shape.values()[cls] : null;
    }
}
