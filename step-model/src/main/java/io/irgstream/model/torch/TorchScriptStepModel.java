package io.irgstream.model.torch;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.MethodOptional;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link StepModel} backed by one TorchScript module file that implements step contract v1
 * (see docs/models.md).
 *
 * <p>The constructor loads the file, records its sha256, and checks the contract: {@code contract_version()} must
 * return {@value #CONTRACT_VERSION}, and the step's method (and, for draw/refine, {@code image_shape()}) must exist.
 * {@link #run} converts the batch into the method's inputs, makes every random tensor from each request's
 * {@link StepRequest#stepSeed()} with {@link Seeds} (so a row does not depend on its batch), and converts the
 * outputs back. Requests of one batch with different {@link Sampling} are run as separate sub-batches.
 * Every native allocation of a call lives in a {@link PointerScope}. Not thread-safe beyond {@code run} being
 * synchronized; {@link #close()} frees the module.
 */
public final class TorchScriptStepModel implements StepModel {
    /** The step contract version this runtime speaks. */
    public static final int CONTRACT_VERSION = 1;
    /** Length of a think/reflect uniforms row. */
    public static final int UNIFORMS = 96;
    /** Times a batch with a flat (single-valued) draw or refine image is computed again before the image is accepted. */
    public static final int MAX_REDRAWS = 4;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TorchScriptStepModel.class);

    private final Step step;
    private final Path file;
    private final ModelInfo info;
    private final JitModule module;
    private final int[] imageShape;
    private final boolean checksPrompts;
    private boolean closed;

    /**
     * Loads and checks a module.
     *
     * @param step the step the module performs
     * @param file the TorchScript file
     * @param name the model name recorded in {@link ModelInfo}
     * @throws IllegalArgumentException when the file is missing, unreadable as TorchScript, or does not implement
     *                                  the contract
     */
    public TorchScriptStepModel(Step step, Path file, String name) {
        this.step = step;
        this.file = file;
        TorchRuntime rt = TorchRuntime.get();
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file " + file + " for step " + step.id() + " does not exist");
        }
        String sha = sha256(file);
        JitModule m;
        try {
            m = torch.load(file.toAbsolutePath().toString());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model " + file + " is not a loadable TorchScript module: "
                    + firstLine(e.getMessage()), e);
        }
        try {
            m.eval();
            if (rt.cuda()) {
                m.to(rt.torchDevice());
            }
            for (String method : List.of("contract_version", "step_name", methodName(step))) {
                requireMethod(m, file, method);
            }
            int version;
            try (PointerScope scope = new PointerScope()) {
                version = (int) m.get_method("contract_version").apply(new IValueVector()).toInt();
            }
            if (version != CONTRACT_VERSION) {
                throw new IllegalArgumentException("model " + file + " does not implement contract v"
                        + CONTRACT_VERSION + ": contract_version() returned " + version);
            }
            if (step == Step.DRAW || step == Step.REFINE) {
                requireMethod(m, file, "image_shape");
                try (PointerScope scope = new PointerScope()) {
                    long[] s = m.get_method("image_shape").apply(new IValueVector()).toIntVector().get();
                    if (s.length != 3 || s[0] != 3 || s[1] < 1 || s[2] < 1) {
                        throw new IllegalArgumentException("model " + file + " does not implement contract v"
                                + CONTRACT_VERSION + ": image_shape() must be [3, H, W], got " + Arrays.toString(s));
                    }
                    imageShape = new int[]{3, (int) s[1], (int) s[2]};
                }
            } else {
                imageShape = null;
            }
        } catch (RuntimeException e) {
            m.close();
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("model " + file + " does not implement contract v" + CONTRACT_VERSION
                    + ": " + firstLine(e.getMessage()), e);
        }
        this.checksPrompts = hasMethod(m, CHECK_PROMPTS);
        this.module = m;
        this.info = new ModelInfo(name, sha, CONTRACT_VERSION, rt.device());
    }

    /** The optional contract v1 method that says which prompts a module does not understand. */
    public static final String CHECK_PROMPTS = "check_prompts";

    private static boolean hasMethod(JitModule m, String method) {
        try (PointerScope scope = new PointerScope()) {
            return m.find_method(method).has_value();
        }
    }

    /** Whether the module has the optional {@code check_prompts} method. */
    public boolean checksPrompts() {
        return checksPrompts;
    }

    /**
     * The module's {@code check_prompts(prompts) -> List[str]} when it has one (optional in contract v1): {@code ""}
     * for an understood prompt, else the module's reason; every prompt is understood when it has none.
     */
    @Override
    public synchronized List<String> rejections(List<String> prompts) {
        if (closed) {
            throw new IllegalStateException("model " + info.name() + " is closed");
        }
        if (!checksPrompts || prompts.isEmpty()) {
            return StepModel.super.rejections(prompts);
        }
        return TorchRuntime.get().exclusive(() -> {
            try (PointerScope scope = new PointerScope()) {
                IValueVector in = new IValueVector();
                in.push_back(Tensors.strings(prompts));
                List<String> out;
                try {
                    out = Tensors.toStrings(module.get_method(CHECK_PROMPTS).apply(in));
                } catch (RuntimeException e) {
                    throw new IllegalStateException("model " + info.name() + " failed in " + CHECK_PROMPTS + " on "
                            + prompts.size() + " prompts: " + firstLine(e.getMessage()), e);
                }
                if (out.size() != prompts.size()) {
                    throw new IllegalStateException("model " + info.name() + " returned " + out.size() + " answers"
                            + " from " + CHECK_PROMPTS + " for " + prompts.size() + " prompts");
                }
                return out;
            }
        });
    }

    private static void requireMethod(JitModule m, Path file, String method) {
        try (PointerScope scope = new PointerScope()) {
            MethodOptional found = m.find_method(method);
            if (!found.has_value()) {
                throw new IllegalArgumentException("model " + file + " does not implement contract v"
                        + CONTRACT_VERSION + ": no method " + method);
            }
        }
    }

    /** The contract method name of a step ({@code think}, {@code draw}, {@code reflect}, {@code refine}). */
    public static String methodName(Step step) {
        return step.id();
    }

    @Override
    public Step step() {
        return step;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    /** The file this model was loaded from. */
    public Path file() {
        return file;
    }

    @Override
    public synchronized List<StepResult> run(List<StepRequest> batch) {
        if (closed) {
            throw new IllegalStateException("model " + info.name() + " is closed");
        }
        if (batch == null || batch.isEmpty()) {
            throw new IllegalArgumentException("batch must not be empty");
        }
        for (StepRequest r : batch) {
            validate(r);
        }
        Map<Sampling, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            groups.computeIfAbsent(batch.get(i).sampling(), k -> new ArrayList<>()).add(i);
        }
        StepResult[] out = new StepResult[batch.size()];
        for (Map.Entry<Sampling, List<Integer>> g : groups.entrySet()) {
            List<StepRequest> sub = new ArrayList<>();
            for (int i : g.getValue()) {
                sub.add(batch.get(i));
            }
            List<StepResult> res = TorchRuntime.get().exclusive(() -> runGroup(sub, g.getKey()));
            if (imageShape != null) {
                res = redrawFlat(sub, g.getKey(), res);
            }
            for (int k = 0; k < res.size(); k++) {
                out[g.getValue().get(k)] = res.get(k);
            }
        }
        return List.of(out);
    }

    /*
     * Design note: on some CPUs libtorch's float32 oneDNN convolutions now and then return NaN for a whole call or some
     * rows of it, which the module's uint8 conversion turns into all-black images (docs/models.md, Determinism;
     * RuntimeDeterminismTest). It is not reproducible: the same call again gives the model's real output. So when an
     * image has one value in every channel, the same batch is computed again, up to MAX_REDRAWS times, and each flat
     * row takes its value from the first re-run where it is not flat; a model that really paints a flat image gets it
     * back after those tries. The re-run is the same batch, not the row alone, so the bytes are the ones the first call
     * should have given: a result does not depend on whether NaN happened (two runs of one seed stay byte-identical).
     * A row still flat after those tries is computed once more with oneDNN off (TorchRuntime#withoutOneDnn): its bytes
     * then differ from oneDNN's by float rounding, and a model that really paints a flat image still gets it back.
     */
    private List<StepResult> redrawFlat(List<StepRequest> sub, Sampling s, List<StepResult> res) {
        List<StepResult> out = new ArrayList<>(res);
        // tries 1..MAX_REDRAWS as configured; one more with oneDNN off when it is on: on some CPUs (seen on an AVX-512
        // AMD EPYC) oneDNN's NaN repeats for the first several calls of a freshly loaded module
        int tries = MAX_REDRAWS + (TorchRuntime.get().oneDnn() ? 1 : 0);
        for (int t = 1; t <= tries; t++) {
            List<Integer> flatRows = flatRows(out);
            if (flatRows.isEmpty()) {
                break;
            }
            boolean lastResort = t > MAX_REDRAWS;
            LOG.warn("model {} returned a flat image for trajectories {} (NaN inside the network?); computing the batch"
                    + " of {} again ({} of {}{})", info.name(), flatRows.stream().map(i -> sub.get(i).trajectoryId()).toList(),
                    sub.size(), t, tries, lastResort ? ", with oneDNN off; IRG_TORCH_ONEDNN=false keeps it off" : "");
            List<StepResult> again = lastResort ? TorchRuntime.get().withoutOneDnn(() -> runGroup(sub, s))
                    : TorchRuntime.get().exclusive(() -> runGroup(sub, s));
            for (int i : flatRows) {
                out.set(i, again.get(i));
            }
        }
        return out;
    }

    private static List<Integer> flatRows(List<StepResult> results) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < results.size(); i++) {
            if (flat(results.get(i).image())) {
                rows.add(i);
            }
        }
        return rows;
    }

    /** Whether every byte of the image has the same value. */
    static boolean flat(RgbImage img) {
        byte[] p = img.pixels();
        for (int i = 1; i < p.length; i++) {
            if (p[i] != p[0]) {
                return false;
            }
        }
        return true;
    }

    private void validate(StepRequest r) {
        if ((step == Step.REFLECT || step == Step.REFINE) && r.image() == null) {
            throw new IllegalArgumentException("step " + step.id() + " needs an image, request of trajectory "
                    + r.trajectoryId() + " has none");
        }
        if ((step == Step.REFLECT || step == Step.REFINE) && r.thought() == null) {
            throw new IllegalArgumentException("step " + step.id() + " needs a thought (\"\" for none), request of"
                    + " trajectory " + r.trajectoryId() + " has null");
        }
        if (imageShape != null && r.image() != null
                && (r.image().width() != imageShape[2] || r.image().height() != imageShape[1])) {
            throw new IllegalArgumentException("model " + info.name() + " takes " + imageShape[2] + "x"
                    + imageShape[1] + " images, request of trajectory " + r.trajectoryId() + " has "
                    + r.image().width() + "x" + r.image().height());
        }
    }

    private List<StepResult> runGroup(List<StepRequest> batch, Sampling s) {
        int b = batch.size();
        List<String> prompts = new ArrayList<>(b);
        List<String> thoughts = new ArrayList<>(b);
        List<String> reflections = new ArrayList<>(b);
        List<RgbImage> images = new ArrayList<>(b);
        for (StepRequest r : batch) {
            prompts.add(r.prompt());
            thoughts.add(r.thought() == null ? "" : r.thought());
            reflections.add(r.reflection() == null ? "" : r.reflection());
            images.add(r.image());
        }
        TorchRuntime rt = TorchRuntime.get();
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            IValueVector in = new IValueVector();
            in.push_back(Tensors.strings(prompts));
            switch (step) {
                case THINK -> {
                    in.push_back(new IValue(device(uniforms(batch), rt)));
                    in.push_back(new IValue(s.temperature()));
                }
                case DRAW -> {
                    in.push_back(Tensors.strings(thoughts));
                    in.push_back(new IValue(device(noise(batch), rt)));
                    in.push_back(new IValue((long) s.steps()));
                    in.push_back(new IValue(s.cfgText()));
                }
                case REFLECT -> {
                    in.push_back(Tensors.strings(thoughts));
                    in.push_back(new IValue(device(Tensors.images(images), rt)));
                    in.push_back(new IValue(device(uniforms(batch), rt)));
                    in.push_back(new IValue(s.temperature()));
                }
                case REFINE -> {
                    in.push_back(Tensors.strings(thoughts));
                    in.push_back(new IValue(device(Tensors.images(images), rt)));
                    in.push_back(Tensors.strings(reflections));
                    in.push_back(new IValue(device(noise(batch), rt)));
                    in.push_back(new IValue((long) s.steps()));
                    in.push_back(new IValue(s.cfgText()));
                    in.push_back(new IValue(s.cfgImage()));
                }
                default -> throw new IllegalStateException("unknown step " + step);
            }
            IValue result;
            try {
                result = module.get_method(methodName(step)).apply(in);
            } catch (RuntimeException e) {
                throw new IllegalStateException("model " + info.name() + " failed in " + methodName(step) + " on a"
                        + " batch of " + b + ": " + firstLine(e.getMessage()), e);
            }
            List<StepResult> out = new ArrayList<>(b);
            if (step == Step.THINK || step == Step.REFLECT) {
                List<String> texts = Tensors.toStrings(result);
                if (texts.size() != b) {
                    throw new IllegalStateException("model " + info.name() + " returned " + texts.size()
                            + " texts for a batch of " + b);
                }
                texts.forEach(t -> out.add(StepResult.text(t)));
            } else {
                if (!result.isTensor()) {
                    throw new IllegalStateException("model " + info.name() + " returned " + result.tagKind().getString()
                            + " instead of a uint8 tensor");
                }
                Tensor t = result.toTensor();
                if (t.dim() != 4 || t.size(0) != b || t.size(1) != 3 || t.size(2) != imageShape[1]
                        || t.size(3) != imageShape[2] || t.scalar_type().value != torch.ScalarType.Byte.value) {
                    throw new IllegalStateException("model " + info.name() + " returned a " + t.scalar_type()
                            + " tensor " + Tensors.shape(t) + ", expected uint8 [" + b + ", 3, " + imageShape[1]
                            + ", " + imageShape[2] + "]");
                }
                Tensors.toImages(t).forEach(img -> out.add(StepResult.image(img)));
            }
            return out;
        }
    }

    private static Tensor device(Tensor t, TorchRuntime rt) {
        return rt.cuda() ? t.to(rt.torchDevice(), t.scalar_type()) : t;
    }

    private static Tensor uniforms(List<StepRequest> batch) {
        float[] all = new float[batch.size() * UNIFORMS];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(Seeds.uniform(batch.get(i).stepSeed(), UNIFORMS), 0, all, i * UNIFORMS, UNIFORMS);
        }
        return Tensors.floats(all, batch.size(), UNIFORMS);
    }

    private Tensor noise(List<StepRequest> batch) {
        int n = imageShape[0] * imageShape[1] * imageShape[2];
        float[] all = new float[batch.size() * n];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(Seeds.gaussian(batch.get(i).stepSeed(), n), 0, all, i * n, n);
        }
        return Tensors.floats(all, batch.size(), imageShape[0], imageShape[1], imageShape[2]);
    }

    /** Hex sha256 of a file. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read model file " + file, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "(no message)";
        }
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            module.close();
        }
    }
}
