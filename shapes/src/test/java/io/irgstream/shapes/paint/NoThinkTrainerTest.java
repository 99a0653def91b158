package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.train.QuickTrain;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The no-think painter: a quick draw model, then a quick no-think model trained from it and combined into draw.pt;
 * rows with an empty thought go to the no-think network, the others to the layout painter exactly as before.
 */
class NoThinkTrainerTest {
    private static final String PLAN_A = "red circle at x 20 y 20 size 14";
    private static final String PLAN_B = "blue square at x 44 y 40 size 16 ; green cross at x 14 y 48 size 12";

    @TempDir
    static Path dir;
    static Path plainDraw;
    static TrainResult result;
    static final List<String> LOG = new ArrayList<>();

    private static boolean mkldnnBefore;

    /**
     * oneDNN (mkldnn) is off for this class, as NoThinkTrainer trains: on these CPUs its convolutions gave NaN (black
     * images) for some inputs at random, which would make the bit-exact comparisons below flaky.
     */
    @BeforeAll
    static void trainQuick() throws Exception {
        TorchSetup.init(2);
        mkldnnBefore = torch.globalContext().userEnabledMkldnn();
        torch.globalContext().setUserEnabledMkldnn(false);
        TrainOptions opts = QuickTrain.options(dir, 3, 2, LOG::add);
        new DrawTrainer().train(opts);
        plainDraw = dir.resolve("plain-draw.pt");
        Files.copy(opts.outDir().resolve("draw.pt"), plainDraw);
        result = QuickTrain.lowersLoss(new NoThinkTrainer(), opts.withMaxSteps(12));
        LOG.forEach(System.out::println);
    }

    @org.junit.jupiter.api.AfterAll
    static void restoreMkldnn() {
        torch.globalContext().setUserEnabledMkldnn(mkldnnBefore);
    }

    @Test
    void shouldStartFromDrawUnetAndCombineIntoDrawModule() {
        assertThat(result.steps()).isEqualTo(12);
        assertThat(result.modelPath()).isEqualTo(dir.resolve("out/draw.pt"));
        assertThat(String.valueOf(result.config().get("init"))).startsWith("UNet and FiLM bias (").contains("draw.pt");
        assertThat(Files.isRegularFile(dir.resolve("work/nothink-quick.pt"))).isTrue();
        assertThat(LOG).anyMatch(l -> l.contains("now sends rows with an empty thought"));
        try (PointerScope s = new PointerScope()) {
            assertThat(DrawModel.hasNoThink(torch.load(result.modelPath().toString()))).isTrue();
            assertThat(DrawModel.hasNoThink(torch.load(plainDraw.toString()))).isFalse();
        }
    }

    @Test
    void shouldDrawFromPromptAloneDeterministicallyThroughStepModels() {
        Sampling sampling = new Sampling(0.3, 3, 4.0, 2.0);
        try (StepModel draw = StepModels.load(Step.DRAW, result.modelPath())) {
            List<StepRequest> q = List.of(
                    new StepRequest("t1", 11, "a photo of a red circle", "", null, null, sampling),
                    new StepRequest("t2", 12, "two blue squares, and a large green cross", null, null, null, sampling));
            List<StepResult> a = draw.run(q);
            List<StepResult> b = draw.run(q);
            assertThat(a).hasSize(2);
            for (int i = 0; i < 2; i++) {
                RgbImage img = a.get(i).image();
                assertThat(img.width()).isEqualTo(64);
                assertThat(img.height()).isEqualTo(64);
                assertThat(img.pixels()).isEqualTo(b.get(i).image().pixels());
            }
            assertThat(a.get(0).image().pixels()).isNotEqualTo(a.get(1).image().pixels());
            // the same row alone gives the same image as in the batch (per-sample ops only, fixed token padding)
            RgbImage alone = draw.run(List.of(q.get(1))).get(0).image();
            assertThat(maxDiff(alone, a.get(1).image())).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void shouldPaintRowsWithThoughtsBitIdenticallyToTheLayoutPainterAlone() {
        TorchSetup.init(2);
        try (PointerScope s = new PointerScope()) {
            JitModule combined = torch.load(result.modelPath().toString());
            JitModule plain = torch.load(plainDraw.toString());
            JitModule alone = torch.load(dir.resolve("work/nothink-quick.pt").toString());
            torch.manual_seed(5);
            Tensor noise = torch.randn(3, 3, 64, 64);
            List<String> prompts = List.of("a photo of a red circle", "a photo of a cross", "a blue square and a green cross");
            Tensor mixed = draw(combined, prompts, List.of(PLAN_A, "", PLAN_B), noise);
            assertThat(mixed.sizes().vec().get()).containsExactly(3, 3, 64, 64);
            assertThat(mixed.scalar_type().value).isEqualTo(torch.ScalarType.Byte.value);

            Tensor rows02 = torch.cat(new org.bytedeco.pytorch.TensorVector(noise.narrow(0, 0, 1), noise.narrow(0, 2, 1)));
            Tensor before = draw(plain, List.of(prompts.get(0), prompts.get(2)), List.of(PLAN_A, PLAN_B), rows02);
            assertThat(bytes(mixed.narrow(0, 0, 1))).isEqualTo(bytes(before.narrow(0, 0, 1)));
            assertThat(bytes(mixed.narrow(0, 2, 1))).isEqualTo(bytes(before.narrow(0, 1, 1)));

            Tensor free = draw(alone, List.of(prompts.get(1)), List.of(""), noise.narrow(0, 1, 1));
            assertThat(bytes(mixed.narrow(0, 1, 1))).isEqualTo(bytes(free));

            Tensor allPlans = draw(combined, List.of(prompts.get(0), prompts.get(2)), List.of(PLAN_A, PLAN_B), rows02);
            assertThat(bytes(allPlans)).isEqualTo(bytes(before));
        }
    }

    @Test
    void shouldKeepNoThinkPainterWhenDrawIsRetrained() throws Exception {
        Path copy = dir.resolve("retrain");
        Files.createDirectories(copy.resolve("out"));
        Files.copy(result.modelPath(), copy.resolve("out/draw.pt"));
        TrainOptions opts = QuickTrain.options(copy, 4, 2, l -> { }).withMaxSteps(3);
        TrainResult r = new DrawTrainer().train(opts);
        try (PointerScope s = new PointerScope()) {
            JitModule m = torch.load(r.modelPath().toString());
            assertThat(DrawModel.hasNoThink(m)).isTrue();
            JitModule before = torch.load(result.modelPath().toString());
            Tensor noise = torch.randn(1, 3, 64, 64);
            List<String> p = List.of("a photo of a red circle");
            assertThat(bytes(draw(m, p, List.of(""), noise))).isEqualTo(bytes(draw(before, p, List.of(""), noise)));
        }
    }

    @Test
    void shouldFitTheFullModelInTwoAndAHalfMegabytes() throws Exception {
        TorchSetup.init(2);
        try (PointerScope s = new PointerScope()) {
            JitModule m = NoThinkModel.create(NoThinkModel.Config.FULL);
            m.to(torch.ScalarType.Half);
            Path f = dir.resolve("full-nothink.pt");
            m.save(f.toString());
            assertThat(Files.size(f)).isLessThanOrEqualTo(2_500_000L);
            List<String> words = Jit.toStrings(Jit.call(m, "words",
                    new IValue("A photo of a big red circle to the left of a blue square, and two crosses.")));
            assertThat(words).containsExactly("a", "large", "red", "circle", "left", "of", "a", "blue", "square",
                    "and", "two", "crosses");
        }
    }

    private static Tensor draw(JitModule m, List<String> prompts, List<String> thoughts, Tensor noise) {
        return Jit.call(m, "draw", Jit.strings(prompts), Jit.strings(thoughts), new IValue(noise), new IValue(3L),
                new IValue(4.0)).toTensor();
    }

    private static byte[] bytes(Tensor t) {
        Tensor c = t.contiguous();
        byte[] b = new byte[(int) c.numel()];
        c.data_ptr_byte().get(b);
        return b;
    }

    private static int maxDiff(RgbImage a, RgbImage b) {
        int m = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            m = Math.max(m, Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff)));
        }
        return m;
    }
}
