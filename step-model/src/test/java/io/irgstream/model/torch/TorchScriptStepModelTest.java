package io.irgstream.model.torch;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Contract tests of the TorchScript runtime against tiny modules defined from source in the test. */
class TorchScriptStepModelTest {
    private static final String HEADER = """
            def contract_version(self) -> int:
                return 1
            def step_name(self) -> str:
                return "%s"
            """;
    private static final String IMAGE_SHAPE = """
            def image_shape(self) -> List[int]:
                return [3, 64, 64]
            """;
    private static final String THINK = """
            def think(self, prompts: List[str], uniforms: Tensor, temperature: float) -> List[str]:
                out: List[str] = []
                for i in range(len(prompts)):
                    u = int(uniforms[i, 0].item() * 1000000.0)
                    n = uniforms.size(1)
                    out.append(prompts[i] + " | u " + str(u) + " n " + str(n) + " t " + str(temperature))
                return out
            """;
    private static final String DRAW = """
            def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                x = noise * self.scale + 128.0 + float(steps) + cfg_text
                return x.clamp(0.0, 255.0).byte()
            """;
    private static final String REFLECT = """
            def reflect(self, prompts: List[str], thoughts: List[str], images: Tensor, uniforms: Tensor, temperature: float) -> List[str]:
                out: List[str] = []
                for i in range(len(prompts)):
                    s = int(images[i].long().sum().item())
                    v = "SATISFIED" if s % 2 == 0 else "NEEDS_CHANGES"
                    out.append("sum " + str(s) + " thought " + thoughts[i] + "\\nVerdict: " + v)
                return out
            """;
    private static final String REFINE = """
            def refine(self, prompts: List[str], thoughts: List[str], images: Tensor, reflections: List[str], noise: Tensor, steps: int, cfg_text: float, cfg_image: float) -> Tensor:
                outs: List[Tensor] = []
                for i in range(len(prompts)):
                    if reflections[i].endswith("SATISFIED"):
                        outs.append(images[i])
                    else:
                        outs.append(255 - images[i])
                return torch.stack(outs)
            """;

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeModules() {
        save("think", HEADER.formatted("think") + THINK, 1);
        save("draw", HEADER.formatted("draw") + IMAGE_SHAPE + DRAW, 1);
        save("reflect", HEADER.formatted("reflect") + REFLECT, 1);
        save("refine", HEADER.formatted("refine") + IMAGE_SHAPE + REFINE, 1);
        save("nodraw", HEADER.formatted("draw") + IMAGE_SHAPE, 1);
        save("v2", HEADER.replace("return 1", "return 2").formatted("think") + THINK, 1);
    }

    private static void save(String name, String source, int unused) {
        try (PointerScope scope = new PointerScope()) {
            TorchRuntime.get();
            JitModule m = new JitModule(new QualifiedName("irgtest." + name));
            m.register_parameter("scale", Tensors.floats(new float[]{40f}), false);
            m.define(source);
            m.save(dir.resolve(name + ".pt").toString());
        }
    }

    private static StepRequest req(String id, long seed, String prompt, String thought, RgbImage img, String refl) {
        return new StepRequest(id, seed, prompt, thought, img, refl, Sampling.DEFAULTS);
    }

    private static RgbImage randomImage(long seed) {
        byte[] px = new byte[64 * 64 * 3];
        new Random(seed).nextBytes(px);
        return new RgbImage(64, 64, px);
    }

    @Test
    void shouldReturnOneThoughtPerRequestInOrderWhenThinking() {
        try (StepModel m = StepModels.load(Step.THINK, dir.resolve("think.pt"))) {
            List<StepResult> out = m.run(List.of(req("a", 1, "p0", null, null, null),
                    req("b", 2, "p1", null, null, null), req("c", 3, "p2", null, null, null)));
            assertThat(out).hasSize(3);
            for (int i = 0; i < 3; i++) {
                assertThat(out.get(i).text()).startsWith("p" + i + " | u ").contains(" n 96 ").contains(" t 0.");
                assertThat(out.get(i).image()).isNull();
            }
        }
    }

    @Test
    void shouldRecordSha256AndContractVersionWhenLoaded() {
        Path f = dir.resolve("draw.pt");
        try (StepModel m = StepModels.load(Step.DRAW, f)) {
            ModelInfo info = m.info();
            assertThat(info.sha256()).isEqualTo(TorchScriptStepModel.sha256(f)).hasSize(64);
            assertThat(info.contractVersion()).isEqualTo(1);
            assertThat(info.device()).isIn("cpu", "cuda:0");
            assertThat(info.name()).endsWith("-draw");
            assertThat(m.step()).isEqualTo(Step.DRAW);
        }
    }

    @Test
    void shouldGiveSameImageForSameSeedAndSameRowInAnyBatchWhenDrawing() {
        try (StepModel m = StepModels.load(Step.DRAW, dir.resolve("draw.pt"))) {
            StepRequest r = req("x", 42, "a photo of a circle", "red circle at x 10 y 10 size 12", null, null);
            RgbImage alone = m.run(List.of(r)).get(0).image();
            RgbImage again = m.run(List.of(r)).get(0).image();
            List<StepRequest> batch = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                batch.add(req("o" + i, 100 + i, "other", "", null, null));
            }
            batch.add(3, r);
            List<StepResult> out = m.run(batch);
            assertThat(alone.width()).isEqualTo(64);
            assertThat(alone.height()).isEqualTo(64);
            assertThat(again).isEqualTo(alone);
            assertThat(out).hasSize(7);
            assertThat(out.get(3).image()).isEqualTo(alone);
            assertThat(out.get(2).image()).isNotEqualTo(alone);
        }
    }

    @Test
    void shouldComputeTheSameBatchAgainWhenARowComesBackFlat() {
        // a draw whose first call returns row 1 flat (as oneDNN's NaN did) and whose pixels depend on the batch size,
        // so a re-run of the row alone would give other bytes than the batch
        Path f = dir.resolve("flaky.pt");
        try (PointerScope scope = new PointerScope()) {
            JitModule m = new JitModule(new QualifiedName("irgtest.flaky"));
            m.register_parameter("scale", Tensors.floats(new float[]{40f}), false);
            m.register_buffer("calls", Tensors.floats(new float[]{0f}));
            m.define(HEADER.formatted("draw") + IMAGE_SHAPE + """
                    def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                        self.calls.add_(1.0)
                        x = (noise * self.scale + 100.0 + float(noise.size(0))).clamp(0.0, 255.0)
                        if float(self.calls.item()) == 1.0:
                            x[1] = 0.0
                        return x.byte()
                    """);
            m.save(f.toString());
        }
        List<StepRequest> batch = List.of(req("r0", 1, "p", "t", null, null), req("r1", 2, "p", "t", null, null),
                req("r2", 3, "p", "t", null, null));
        try (StepModel m = StepModels.load(Step.DRAW, f)) {
            List<StepResult> first = m.run(batch);
            List<StepResult> clean = m.run(batch);
            assertThat(TorchScriptStepModel.flat(first.get(1).image())).isFalse();
            for (int i = 0; i < 3; i++) {
                assertThat(first.get(i).image()).as("row " + i).isEqualTo(clean.get(i).image());
            }
            assertThat(m.run(List.of(batch.get(1))).get(0).image()).isNotEqualTo(clean.get(1).image());
        }
    }

    @Test
    void shouldComputeTheBatchOnceWithoutOneDnnWhenARowStaysFlatAfterTheRedraws() {
        // a draw whose first MAX_REDRAWS + 1 calls return row 0 flat (oneDNN's NaN repeating on a fresh module)
        Path f = dir.resolve("stubborn.pt");
        try (PointerScope scope = new PointerScope()) {
            JitModule m = new JitModule(new QualifiedName("irgtest.stubborn"));
            m.register_buffer("calls", Tensors.floats(new float[]{0f}));
            m.define(HEADER.formatted("draw") + IMAGE_SHAPE + """
                    def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                        self.calls.add_(1.0)
                        x = (noise * 40.0 + 100.0).clamp(0.0, 255.0)
                        if float(self.calls.item()) <= %d.0:
                            x[0] = 0.0
                        return x.byte()
                    """.formatted(TorchScriptStepModel.MAX_REDRAWS + 1));
            m.save(f.toString());
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(TorchRuntime.get().oneDnn(), "oneDNN is off in this JVM");
        try (StepModel m = StepModels.load(Step.DRAW, f)) {
            List<StepResult> out = m.run(List.of(req("r0", 1, "p", "t", null, null), req("r1", 2, "p", "t", null, null)));
            assertThat(TorchScriptStepModel.flat(out.get(0).image())).as("the oneDNN-off try's image").isFalse();
            assertThat(TorchScriptStepModel.flat(out.get(1).image())).isFalse();
            assertThat(TorchRuntime.get().oneDnn()).as("oneDNN back on after the one call").isTrue();
        }
    }

    @Test
    void shouldRoundTripPixelsExactlyWhenRefineReturnsItsInput() {
        try (StepModel m = StepModels.load(Step.REFINE, dir.resolve("refine.pt"))) {
            RgbImage a = randomImage(1);
            RgbImage b = randomImage(2);
            List<StepResult> out = m.run(List.of(req("a", 1, "p", "t", a, "ok\nVerdict: SATISFIED"),
                    req("b", 2, "p", "t", b, "fix\nVerdict: NEEDS_CHANGES")));
            assertThat(out.get(0).image()).isEqualTo(a);
            RgbImage inv = out.get(1).image();
            for (int i = 0; i < 64 * 64 * 3; i++) {
                assertThat(inv.pixels()[i] & 0xff).isEqualTo(255 - (b.pixels()[i] & 0xff));
            }
        }
    }

    @Test
    void shouldSeeExactPixelsAndThoughtWhenReflecting() {
        try (StepModel m = StepModels.load(Step.REFLECT, dir.resolve("reflect.pt"))) {
            RgbImage a = randomImage(3);
            long sum = 0;
            for (byte v : a.pixels()) {
                sum += v & 0xff;
            }
            String text = m.run(List.of(req("a", 5, "p", "my plan", a, null))).get(0).text();
            assertThat(text).startsWith("sum " + sum + " thought my plan");
            assertThat(Verdict.of(text)).isEqualTo(sum % 2 == 0 ? Verdict.SATISFIED : Verdict.NEEDS_CHANGES);
        }
    }

    @Test
    void shouldRunMixedSamplingAsSubBatchesInRequestOrderWhenBatchMixesSettings() {
        try (StepModel m = StepModels.load(Step.THINK, dir.resolve("think.pt"))) {
            Sampling hot = new Sampling(1.0, 20, 4.0, 2.0);
            List<StepResult> out = m.run(List.of(req("a", 1, "p0", null, null, null),
                    new StepRequest("b", 2, "p1", null, null, null, hot), req("c", 3, "p2", null, null, null)));
            assertThat(out.get(0).text()).startsWith("p0").contains("t 0.");
            assertThat(out.get(1).text()).startsWith("p1").endsWith("t 1.");
            assertThat(out.get(2).text()).startsWith("p2").contains("t 0.");
        }
    }

    @Test
    void shouldFailAtLoadWithClearMessageWhenMethodIsMissing() {
        Path f = dir.resolve("nodraw.pt");
        assertThatThrownBy(() -> StepModels.load(Step.DRAW, f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model " + f + " does not implement contract v1: no method draw");
    }

    @Test
    void shouldFailAtLoadWhenContractVersionIsWrong() {
        Path f = dir.resolve("v2.pt");
        assertThatThrownBy(() -> StepModels.load(Step.THINK, f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model " + f + " does not implement contract v1: contract_version() returned 2");
    }

    @Test
    void shouldFailClearlyWhenFileIsMissingOrImageIsAbsent() {
        assertThatThrownBy(() -> StepModels.load(Step.THINK, dir.resolve("none.pt")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
        try (StepModel m = StepModels.load(Step.REFLECT, dir.resolve("reflect.pt"))) {
            assertThatThrownBy(() -> m.run(List.of(req("t1", 1, "p", "t", null, null))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs an image");
        }
    }
}
