package io.irgstream.model.torch;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Same seed, same bytes: a float-heavy draw module run in two fresh JVMs gives identical images. */
class CrossJvmDeterminismTest {
    @TempDir
    Path dir;

    /** Child JVM: loads the module, draws a batch of 4 with fixed seeds, prints the sha256 of all pixels. */
    public static void main(String[] args) throws Exception {
        try (StepModel m = StepModels.load(Step.DRAW, Path.of(args[0]))) {
            List<StepRequest> batch = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                batch.add(new StepRequest("j" + i, 1000 + i, "a photo of a circle", "", null, null,
                        new Sampling(0.3, 8, 4.0, 2.0)));
            }
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (var r : m.run(batch)) {
                RgbImage img = r.image();
                md.update(img.pixels());
            }
            System.out.println("DIGEST " + HexFormat.of().formatHex(md.digest()));
        }
    }

    @Test
    void shouldProduceIdenticalBytesInTwoFreshJvmsWhenSeedIsSame() throws Exception {
        Path file = dir.resolve("draw.pt");
        try (PointerScope scope = new PointerScope()) {
            TorchRuntime.get();
            Random rnd = new Random(1);
            float[] w1 = new float[16 * 3 * 9];
            float[] w2 = new float[3 * 16 * 9];
            for (int i = 0; i < w1.length; i++) {
                w1[i] = (float) rnd.nextGaussian() * 0.3f;
                w2[i] = (float) rnd.nextGaussian() * 0.3f;
            }
            JitModule m = new JitModule(new QualifiedName("irgtest.det"));
            m.register_parameter("w1", Tensors.floats(w1, 16, 3, 3, 3), false);
            m.register_parameter("w2", Tensors.floats(w2, 3, 16, 3, 3), false);
            m.define("""
                    def contract_version(self) -> int:
                        return 1
                    def step_name(self) -> str:
                        return "draw"
                    def image_shape(self) -> List[int]:
                        return [3, 64, 64]
                    def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                        x = noise
                        for i in range(steps):
                            h = torch.tanh(torch.conv2d(x, self.w1, None, [1, 1], [1, 1]))
                            x = x + 0.1 * torch.conv2d(h, self.w2, None, [1, 1], [1, 1])
                        return (torch.sigmoid(x) * 255.0).floor().clamp(0.0, 255.0).byte()
                    """);
            m.save(file.toString());
        }
        String a = child(file);
        String b = child(file);
        assertThat(a).startsWith("DIGEST ").isEqualTo(b);
    }

    private static String child(Path model) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrossJvmDeterminismTest.class.getName(), model.toString());
        pb.redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().filter(l -> l.startsWith("DIGEST ")).findFirst().orElse(out);
    }
}
