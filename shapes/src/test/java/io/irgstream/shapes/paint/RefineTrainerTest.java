package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.QuickTrain;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RefineTrainerTest {

    @Test
    void shouldLowerLossAndKeepSatisfiedDraftBitExactWhenTrainingQuick(@TempDir Path dir) {
        List<String> lines = new ArrayList<>();
        TrainResult r = QuickTrain.lowersLoss(new RefineTrainer(), QuickTrain.options(dir, 5, 2, lines::add));
        lines.forEach(System.out::println);
        assertThat(r.steps()).isEqualTo(30);

        Scene target = new Scene(List.of(new SceneObject(Shape.CIRCLE, Color.RED, 10, 10, 14),
                new SceneObject(Shape.SQUARE, Color.BLUE, 40, 40, 12)));
        List<SceneObject> wrong = List.of(target.objects().get(0).withColor(Color.GREEN), target.objects().get(1));
        RgbImage draft = Renderer.renderObjects(wrong);
        String needs = ReflectionText.between(wrong, target.objects());
        String ok = ReflectionText.between(target.objects(), target.objects());
        try (PointerScope s = new PointerScope()) {
            JitModule m = torch.load(r.modelPath().toString());
            assertThat(Jit.call(m, "step_name").toStringRef().getString()).isEqualTo("refine");
            assertThat(Jit.call(m, "final_plan", new IValue(needs)).toStringRef().getString())
                    .isEqualTo("red circle at x 17 y 17 size 14 ; blue square at x 46 y 46 size 12");
            Tensor images = Jit.imagesToBytes(List.of(draft, draft));
            Tensor out = Jit.call(m, "refine", Jit.strings(List.of("a photo of a red circle", "a photo of a red circle")),
                    Jit.strings(List.of("", "")), new IValue(images), Jit.strings(List.of(ok, needs)),
                    new IValue(torch.randn(2, 3, 64, 64)), new IValue(2L), new IValue(4.0), new IValue(2.0)).toTensor();
            assertThat(out.sizes().vec().get()).containsExactly(2, 3, 64, 64);
            assertThat(out.scalar_type().value).isEqualTo(torch.ScalarType.Byte.value);
            List<RgbImage> back = Jit.bytesToImages(out);
            assertThat(back.get(0)).isEqualTo(draft);
        }
    }

    @Test
    void shouldStartFromGivenModuleWeightsWhenFineTuning(@TempDir Path dir) {
        TrainResult first = new RefineTrainer().train(QuickTrain.options(dir.resolve("a"), 5, 2, l -> { }));
        List<String> lines = new ArrayList<>();
        TrainResult tuned = new RefineTrainer().withInitFrom(first.modelPath())
                .train(QuickTrain.options(dir.resolve("b"), 99, 2, lines::add).withMaxSteps(1));
        assertThat(lines).anyMatch(l -> l.contains("refine: starting from all weights from refine.pt, sha256 "));
        assertThat(tuned.config().get("init")).asString().startsWith("all weights from refine.pt");
        // one step of lr 2e-3 from the first module's weights: close to them, far from a fresh module's (seed 99)
        ModuleParams a = ModuleParams.of(torch.load(first.modelPath().toString()));
        ModuleParams b = ModuleParams.of(torch.load(tuned.modelPath().toString()));
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.tensors().size(); i++) {
            diff += a.tensors().get(i).sub(b.tensors().get(i)).abs().sum().item_double();
            norm += a.tensors().get(i).abs().sum().item_double();
        }
        assertThat(diff / norm).isLessThan(0.1);

        TrainOptions bad = QuickTrain.options(dir.resolve("c"), 5, 2, l -> { });
        assertThatThrownBy(() -> new RefineTrainer().withInitFrom(dir.resolve("none.pt")).train(bad))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none.pt").hasMessageContaining("no such file");
    }

    @Test
    void shouldWriteNeedsChangesWithCorrectedPlanWhenDraftHasMistake() {
        Scene target = new Scene(List.of(new SceneObject(Shape.TRIANGLE, Color.PINK, 5, 5, 16)));
        String text = ReflectionText.between(List.of(), target.objects());
        assertThat(text).contains("Detailed Explanation of Required Improvements:\nA pink triangle is missing.")
                .contains("Step-by-Step Modification Guidance:\n1. Add a pink triangle at x 13 y 13 size 16.")
                .contains("Final Comprehensive Prompt for the Improved Image:\npink triangle at x 13 y 13 size 16")
                .endsWith("Verdict: NEEDS_CHANGES");
        assertThat(ReflectionText.between(target.objects(), target.objects()))
                .contains("The image matches the prompt.").contains("1. Keep the image as it is.")
                .endsWith("Verdict: SATISFIED");
    }

    @Test
    void shouldChangeExactlyOneThingWhenInjectingEachMistake() {
        java.util.Random rnd = new java.util.Random(4);
        Scene target = new Scene(List.of(new SceneObject(Shape.CIRCLE, Color.RED, 5, 5, 14),
                new SceneObject(Shape.CROSS, Color.WHITE, 40, 40, 16)));
        assertThat(Mistakes.inject(target, Mistakes.Kind.MISSING, rnd)).hasSize(1);
        assertThat(Mistakes.inject(target, Mistakes.Kind.EXTRA, rnd)).hasSize(3);
        for (Mistakes.Kind k : List.of(Mistakes.Kind.COLOR, Mistakes.Kind.SHAPE, Mistakes.Kind.MOVED)) {
            List<SceneObject> d = Mistakes.inject(target, k, rnd);
            assertThat(d).hasSize(2);
            assertThat(d.stream().filter(o -> !target.objects().contains(o)).count()).as(k.name()).isEqualTo(1);
            assertThat(ReflectionText.between(d, target.objects())).endsWith("NEEDS_CHANGES");
        }
    }
}
