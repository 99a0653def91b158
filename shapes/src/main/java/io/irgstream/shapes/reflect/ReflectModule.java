package io.irgstream.shapes.reflect;

import io.irgstream.model.torch.Tensors;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Tensor;

import io.irgstream.shapes.train.ModuleParams;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;

/**
 * Builds the reflect step's TorchScript module. It judges from pixels: a small convolutional detector
 * ({@code features}: 64x64 image -> an 8x8 grid of 8 px cells, each with objectness, shape (five shapes or
 * "malformed"), color, center offset within the cell and box size) finds the objects of the image; TorchScript code
 * in the same module ({@code reflect_logic.py}, with the prompt grammar shared with think:
 * {@link io.irgstream.shapes.world.PromptGrammar}) parses the prompt and the thought, checks the prompt's requirement
 * against the detected objects exactly as docs/shapes-world.md states it, and writes the reflection in IRG's three sections with
 * a corrected plan (objects that are right stay where they are; wrong ones are recolored, replaced, moved, added or
 * removed) and the verdict. No scene data reaches it: only the prompt, the thought and the pixels.
 */
public final class ReflectModule {
    /** Grid cells per side. */
    public static final int GRID = 8;
    /** Shape classes: the five shapes and "malformed". */
    public static final int SHAPES = 6;
    /** Output channels per cell: objectness, 6 shapes, 8 colors, 8 x offsets, 8 y offsets, 11 sizes. */
    public static final int OUT = 1 + SHAPES + 8 + 8 + 8 + 11;

    /** Detector size: channels of the seven 3x3 convolutions (strides 2,1,2,1,2,1,1). */
    public record Config(int[] channels) {
        /** The shipped size. */
        public static final Config FULL = new Config(new int[]{24, 32, 64, 64, 96, 96, 96});
        /** A tiny size for quick runs and tests. */
        public static final Config QUICK = new Config(new int[]{8, 8, 16, 16, 16, 16, 16});
    }

    private static final int[] STRIDES = {2, 1, 2, 1, 2, 1, 1};

    /** Box sides 1..21 have ideal masks: an object is judged up to 20 px, against its side and one more. */
    private static final int IDEAL_SIDES = 21;

    private ReflectModule() {
    }

    /** A freshly initialised module. */
    public static JitModule create(Config cfg, long seed) {
        Random rnd = new Random(seed);
        JitModule m = new JitModule(new QualifiedName("irg.shapes.Reflect"));
        int in = 3;
        StringBuilder feat = new StringBuilder("def features(self, images: Tensor) -> Tensor:\n"
                + "    x = images.float() / 255.0\n");
        // The same network in float64 for inference (detect): libtorch's float32 CPU convolutions (oneDNN) gave NaN
        // or wrong values now and then on the project's machine, varying between runs and thread counts; float64
        // convolutions take the plain path and give the same values every time (24 ms per batch of 16 against 35 ms
        // for im2col + matmul in float32 and 8 ms for the float32 convolutions).
        StringBuilder f64 = new StringBuilder("def features64(self, images: Tensor) -> Tensor:\n"
                + "    x = images.double() / 255.0\n");
        for (int i = 0; i < cfg.channels().length; i++) {
            int out = cfg.channels()[i];
            param(m, "c" + i + "_w", he(rnd, out * in * 9, in * 9), out, in, 3, 3);
            param(m, "c" + i + "_b", new float[out], out);
            param(m, "c" + i + "_gw", ones(out), out);
            param(m, "c" + i + "_gb", new float[out], out);
            int groups = out % 8 == 0 ? 8 : (out % 4 == 0 ? 4 : 1);
            feat.append("    x = torch.relu(torch.group_norm(torch.conv2d(x, self.c").append(i).append("_w, self.c")
                    .append(i).append("_b, [").append(STRIDES[i]).append(", ").append(STRIDES[i])
                    .append("], [1, 1]), ").append(groups).append(", self.c").append(i).append("_gw, self.c")
                    .append(i).append("_gb, 1e-5))\n");
            f64.append("    x = torch.relu(torch.group_norm(torch.conv2d(x, self.c").append(i).append("_w.double(), self.c")
                    .append(i).append("_b.double(), [").append(STRIDES[i]).append(", ").append(STRIDES[i])
                    .append("], [1, 1]), ").append(groups).append(", self.c").append(i).append("_gw.double(), self.c")
                    .append(i).append("_gb.double(), 1e-5))\n");
            in = out;
        }
        param(m, "head_w", he(rnd, OUT * in, in), OUT, in, 1, 1);
        float[] hb = new float[OUT];
        hb[0] = -3f;
        param(m, "head_b", hb, OUT);
        feat.append("    return torch.conv2d(x, self.head_w, self.head_b)\n");
        f64.append("    return torch.conv2d(x, self.head_w.double(), self.head_b.double()).float()\n");
        feat.append(f64);
        // the ideal shape masks measure() compares objects with, computed once by the module's own ideal_masks(),
        // and the same as the columns of a float matrix (ideal_columns()) for their intersections by one product
        String ideals = Weights.DERIVED_PREFIX + "ideals";
        String columns = Weights.DERIVED_PREFIX + "ideal_columns";
        m.register_buffer(ideals, torch.zeros(new long[]{5, IDEAL_SIDES, IDEAL_SIDES, IDEAL_SIDES},
                new TensorOptions(torch.ScalarType.Bool)));
        m.register_buffer(columns, torch.zeros(new long[]{IDEAL_SIDES * IDEAL_SIDES, 5 * IDEAL_SIDES},
                new TensorOptions(torch.ScalarType.Float)));
        m.define(feat + LOSS + logic() + io.irgstream.shapes.world.PromptGrammar.source());
        try (NoGradGuard g = new NoGradGuard()) {
            IValueVector args = new IValueVector();
            args.push_back(new IValue(torch.arange(new Scalar(1), new Scalar(IDEAL_SIDES + 1))));
            args.push_back(new IValue((long) IDEAL_SIDES));
            Tensor masks = m.get_method("ideal_masks").apply(args).toTensor();
            m.register_buffer(ideals, masks);
            IValueVector cols = new IValueVector();
            cols.push_back(new IValue(masks));
            m.register_buffer(columns, m.get_method("ideal_columns").apply(cols).toTensor());
        }
        return m;
    }

    /**
     * A module built from the current source (detector code, {@code reflect_logic.py}, the prompt grammar) holding the
     * detector weights of the saved module {@code from}: same parameter names and shapes, values copied exactly.
     * The detector size is read from the saved weights.
     *
     * @throws IllegalArgumentException when the saved module's parameters do not fit this detector
     */
    public static JitModule withWeightsOf(Path from) {
        JitModule old = torch.load(from.toString());
        try {
            ModuleParams p = ModuleParams.of(old);
            int layers = 0;
            while (p.names().contains("c" + layers + "_w")) {
                layers++;
            }
            if (layers != STRIDES.length) {
                throw new IllegalArgumentException(from + " has " + layers + " detector convolutions, expected "
                        + STRIDES.length + " (parameters " + p.names() + ")");
            }
            int[] channels = new int[layers];
            for (int i = 0; i < layers; i++) {
                channels[i] = (int) p.tensors().get(p.names().indexOf("c" + i + "_w")).size(0);
            }
            JitModule m = create(new Config(channels), 1);
            Weights.copy(old, m);
            return m;
        } finally {
            old.close();
        }
    }

    /**
     * Re-exports a reflect module: the current module source with the detector weights of {@code from}
     * ({@link #withWeightsOf}), saved to {@code to} (written to a temporary file next to it, then moved; {@code from}
     * and {@code to} may be the same file). Reads the saved file back and checks that every parameter equals the
     * source's bit for bit.
     *
     * @return the number of parameters copied (scalars)
     * @throws IllegalStateException when the saved weights differ from the source's
     */
    public static long reexport(Path from, Path to) {
        long count;
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        JitModule m = withWeightsOf(from);
        try {
            count = ModuleParams.of(m).count();
            m.save(tmp.toString());
        } finally {
            m.close();
        }
        JitModule a = torch.load(from.toString());
        JitModule b = torch.load(tmp.toString());
        try (NoGradGuard g = new NoGradGuard()) {
            ModuleParams pa = ModuleParams.of(a);
            ModuleParams pb = ModuleParams.of(b);
            if (!pa.names().equals(pb.names())) {
                throw new IllegalStateException("re-exported parameters " + pb.names() + " differ from " + pa.names());
            }
            List<Tensor> ta = pa.tensors();
            List<Tensor> tb = pb.tensors();
            for (int i = 0; i < ta.size(); i++) {
                if (!ta.get(i).equal(tb.get(i))) {
                    throw new IllegalStateException("parameter " + pa.names().get(i) + " changed in the re-export");
                }
            }
        } finally {
            a.close();
            b.close();
        }
        try {
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + tmp + " to " + to, e);
        }
        return count;
    }

    private static final String LOSS = """
            def cell_nll(self, logits: Tensor, target: Tensor) -> Tensor:
                return -torch.log_softmax(logits, 1).gather(1, target.unsqueeze(1)).squeeze(1)
            def loss(self, images: Tensor, obj: Tensor, tshape: Tensor, tcolor: Tensor, tox: Tensor, toy: Tensor, tsize: Tensor) -> Tensor:
                raw = self.features(images)
                lobj = torch.binary_cross_entropy_with_logits(raw[:, 0], obj, None, None, 1)
                n = obj.sum().clamp_min(1.0)
                l = self.cell_nll(raw[:, 1:7], tshape) + self.cell_nll(raw[:, 7:15], tcolor)
                l = l + self.cell_nll(raw[:, 15:23], tox) + self.cell_nll(raw[:, 23:31], toy) + self.cell_nll(raw[:, 31:42], tsize)
                return lobj * 4.0 + (l * obj).sum() / n
            """;

    private static String logic() {
        try (InputStream in = ReflectModule.class.getResourceAsStream("reflect_logic.py")) {
            if (in == null) {
                throw new IllegalStateException("resource reflect_logic.py is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void param(JitModule m, String name, float[] data, long... shape) {
        Tensor t = Tensors.floats(data, shape);
        t.requires_grad_(true);
        m.register_parameter(name, t, false);
    }

    private static float[] he(Random rnd, int n, int fanIn) {
        float[] a = new float[n];
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * std);
        }
        return a;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }
}
