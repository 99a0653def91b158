package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Renderer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Writes the no-think painter's training data and starting module to a folder, for a training loop outside this JVM
 * (e.g. on a GPU: {@code scripts/nothink_gpu_train.py}, which calls the module's own {@code train_loss}); the data are
 * the rows {@link NoThinkTrainer} draws ({@link NoThinkData}: prompt-language prompts with rendered scenes that
 * satisfy them). Files: {@code prompts.txt} (one prompt a line), {@code ids.u8.gz} (the module's {@code token_ids}
 * of each prompt, {@value NoThinkModel#MAX_TOKENS} bytes a row), {@code images.u8.gz} (64x64 RGB, HWC bytes a row),
 * {@code init.pt} (a fresh full-size no-think module started from the draw module's UNet, float32). Weights trained
 * elsewhere come back through {@link NoThinkWeights}.
 *
 * <p>Usage: {@code NoThinkDataset OUT_DIR ROWS SEED DRAW.pt}.
 */
public final class NoThinkDataset {
    private NoThinkDataset() {
    }

    /** Command-line entry. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        int rows = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        Path draw = Path.of(args[3]);
        TorchSetup.init(1);
        Files.createDirectories(out);
        torch.manual_seed(seed);
        JitModule m = NoThinkModel.create(NoThinkModel.Config.FULL);
        List<String> set = NoThinkModel.startFromDraw(ModuleParams.of(torch.load(draw.toString())), ModuleParams.of(m));
        m.save(out.resolve("init.pt").toString());
        System.out.println("init.pt: " + set.size() + " tensors from " + draw);
        Random rnd = new Random(seed);
        try (OutputStream img = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(out.resolve("images.u8.gz"))));
             OutputStream ids = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(out.resolve("ids.u8.gz"))));
             OutputStream txt = new BufferedOutputStream(Files.newOutputStream(out.resolve("prompts.txt")))) {
            int chunk = 1000;
            for (int start = 0; start < rows; start += chunk) {
                List<String> prompts = new ArrayList<>();
                for (int i = start; i < Math.min(rows, start + chunk); i++) {
                    NoThinkData.Example ex = NoThinkData.sample(rnd);
                    RgbImage im = Renderer.render(ex.scene());
                    img.write(im.pixels());
                    prompts.add(ex.prompt());
                    txt.write((ex.prompt().replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
                }
                try (PointerScope s = new PointerScope()) {
                    Tensor t = Jit.call(m, "token_ids", Jit.strings(prompts)).toTensor().to(torch.ScalarType.Byte)
                            .contiguous();
                    byte[] b = new byte[(int) t.numel()];
                    t.data_ptr_byte().get(b);
                    ids.write(b);
                }
            }
        }
        System.out.println("wrote " + rows + " rows to " + out);
    }
}
