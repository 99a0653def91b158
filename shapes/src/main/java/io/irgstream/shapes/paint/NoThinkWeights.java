package io.irgstream.shapes.paint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.train.Training;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.irgstream.shapes.train.TorchSetup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Brings no-think weights trained outside this JVM back into a module of the current source: {@code weights.bin}
 * (float32 little-endian, the parameters one after another) and {@code weights.json} ({@code {"params": [{"name",
 * "shape"}...]}}), as {@code scripts/nothink_gpu_train.py} writes them. Writes the standalone module (float16
 * weights) and, when a draw module is given, rewrites it as the combined draw module
 * ({@link NoThinkTrainer#combineInto}) and records {@code models.nothink} in the manifest of its folder.
 *
 * <p>Usage: {@code NoThinkWeights WEIGHTS_DIR NOTHINK_OUT.pt [DRAW.pt to rewrite as combined]}.
 */
public final class NoThinkWeights {
    private NoThinkWeights() {
    }

    /** A fresh full-size no-think module holding the weights of {@code dir}. */
    public static JitModule load(Path dir) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(dir.resolve("weights.json").toFile());
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("weights.bin"))).order(ByteOrder.LITTLE_ENDIAN);
        JitModule m = NoThinkModel.create(NoThinkModel.Config.FULL);
        ModuleParams p = ModuleParams.of(m);
        int done = 0;
        try (NoGradGuard g = new NoGradGuard()) {
            for (JsonNode e : meta.get("params")) {
                String name = e.get("name").asText();
                int i = p.names().indexOf(name);
                if (i < 0) {
                    throw new IllegalArgumentException("no parameter " + name + " in a no-think module");
                }
                Tensor t = p.tensors().get(i);
                int n = (int) t.numel();
                float[] v = new float[n];
                buf.asFloatBuffer().get(v);
                buf.position(buf.position() + 4 * n);
                Tensor src = Jit.floats(v, t.sizes().vec().get());
                t.detach().copy_(src);
                done++;
            }
        }
        if (done != p.names().size() || buf.hasRemaining()) {
            throw new IllegalArgumentException("weights of " + dir + " do not fill a no-think module: " + done + " of "
                    + p.names().size() + " tensors, " + buf.remaining() + " bytes left");
        }
        m.eval();
        return m;
    }

    /** The training record of weights trained outside (weights.json and train.log of {@code dir}). */
    static TrainResult result(Path dir, Path draw, String drawSha) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(dir.resolve("weights.json").toFile());
        List<Double> losses = new ArrayList<>();
        Path logFile = dir.resolve("train.log");
        if (Files.isRegularFile(logFile)) {
            for (String line : Files.readAllLines(logFile)) {
                String[] w = line.split(" ");
                if (w.length >= 4 && w[0].equals("step") && w[2].equals("loss")) {
                    losses.add(Double.parseDouble(w[3]));
                }
            }
        }
        NoThinkModel.Config c = NoThinkModel.Config.FULL;
        Map<String, Object> cfg = new LinkedHashMap<>();
        cfg.put("model", "no-think rectified-flow UNet: prompt tokens -> transformer encoder -> grid cross-attention map"
                + " (16 ch at 64 px) + bottleneck cross-attention + pooled FiLM");
        cfg.put("channels", List.of(c.c1(), c.c2(), c.c3()));
        cfg.put("text_dim", c.dim());
        cfg.put("encoder_layers", c.layers());
        cfg.put("query_grid", c.grid());
        cfg.put("timeShift", c.timeShift());
        cfg.put("rows", meta.get("rows").asInt() + " fixed rows (NoThinkDataset: " + NoThinkData.source()
                + "), 10% of each batch without the prompt");
        cfg.put("loss", "flow matching only (object pixels of the target weighted 5x), the module's own train_loss");
        cfg.put("init", "UNet and FiLM bias from draw module draw.pt, sha256 " + drawSha);
        cfg.put("trained_on", meta.get("device").asText() + ", PyTorch " + meta.get("torch").asText()
                + " (scripts/nothink_gpu_train.py: Adam, clip 1.0, warmup " + meta.get("warmup").asInt()
                + " steps); not on CPU libtorch: see NoThinkTrainer on oneDNN gradients");
        cfg.put("batch", meta.get("batch").asInt());
        cfg.put("lr", meta.get("lr").asDouble());
        cfg.put("ema", meta.get("ema").asDouble());
        cfg.put("seed", meta.get("seed").asLong());
        cfg.put("restores", meta.get("restores").asInt());
        cfg.put("weights", "float16 (computed in float32)");
        double first = losses.isEmpty() ? Double.NaN : losses.get(0);
        double last = losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1);
        return new TrainResult(draw, first, last, meta.get("steps").asLong(), meta.get("seconds").asDouble(), cfg);
    }

    /** Command-line entry. */
    public static void main(String[] args) throws IOException {
        TorchSetup.init(1);
        JitModule m = load(Path.of(args[0]));
        Path out = Path.of(args[1]);
        m.to(torch.ScalarType.Half);
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        m.save(tmp.toString());
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("wrote " + out + " (" + Files.size(out) + " bytes)");
        if (args.length > 2) {
            Path draw = Path.of(args[2]);
            String drawSha = io.irgstream.model.torch.TorchScriptStepModel.sha256(draw);
            NoThinkTrainer.combineInto(draw, out, true);
            System.out.println("rewrote " + draw + " as the combined draw module (" + Files.size(draw) + " bytes)");
            Training.updateNoThinkManifest(draw.toAbsolutePath().getParent(), result(Path.of(args[0]), draw, drawSha));
            System.out.println("recorded models.nothink in " + draw.toAbsolutePath().getParent().resolve("manifest.json"));
        }
    }
}
