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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Serving does not leak native memory: in a fresh JVM with a fixed, pre-touched heap, resident memory after 2,000
 * batches stays within 10% of what it was after 500.
 */
class ServingMemoryTest {
    @TempDir
    Path dir;

    /** Child JVM: serves 2,000 refine batches of 4 and prints RSS after 500 and after 2,000. */
    public static void main(String[] args) throws Exception {
        try (StepModel m = StepModels.load(Step.REFINE, Path.of(args[0]))) {
            List<StepRequest> batch = new ArrayList<>();
            Random rnd = new Random(1);
            for (int i = 0; i < 4; i++) {
                byte[] px = new byte[64 * 64 * 3];
                rnd.nextBytes(px);
                batch.add(new StepRequest("m" + i, i, "p", "t", new RgbImage(64, 64, px), "fix\nVerdict: NEEDS_CHANGES",
                        Sampling.DEFAULTS));
            }
            long warm = 0;
            for (int i = 1; i <= 2000; i++) {
                m.run(batch);
                if (i == 500) {
                    warm = rssKb();
                }
            }
            System.out.println("RSS " + warm + " " + rssKb());
        }
    }

    private static long rssKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void shouldKeepResidentMemoryFlatWhenServingManyBatches() throws Exception {
        Path file = dir.resolve("refine.pt");
        try (PointerScope scope = new PointerScope()) {
            TorchRuntime.get();
            JitModule m = new JitModule(new QualifiedName("irgtest.mem"));
            m.define("""
                    def contract_version(self) -> int:
                        return 1
                    def step_name(self) -> str:
                        return "refine"
                    def image_shape(self) -> List[int]:
                        return [3, 64, 64]
                    def refine(self, prompts: List[str], thoughts: List[str], images: Tensor, reflections: List[str], noise: Tensor, steps: int, cfg_text: float, cfg_image: float) -> Tensor:
                        x = images.float() / 255.0 + 0.1 * noise
                        return (x.clamp(0.0, 1.0) * 255.0).byte()
                    """);
            m.save(file.toString());
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-cp",
                System.getProperty("java.class.path"), ServingMemoryTest.class.getName(), file.toString());
        pb.redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("RSS ")).findFirst().orElseThrow();
        long warm = Long.parseLong(line.split(" ")[1]);
        long end = Long.parseLong(line.split(" ")[2]);
        System.out.printf("serving RSS after 500 batches %d MB, after 2000 %d MB%n", warm / 1024, end / 1024);
        assertThat((double) end).isLessThanOrEqualTo(warm * 1.10);
    }
}
