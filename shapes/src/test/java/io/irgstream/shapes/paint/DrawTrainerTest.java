package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.shapes.train.QuickTrain;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
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

class DrawTrainerTest {

    @Test
    void shouldLowerLossAndWriteLoadableDrawModuleWhenTrainingQuick(@TempDir Path dir) {
        List<String> lines = new ArrayList<>();
        TrainResult r = QuickTrain.lowersLoss(new DrawTrainer(), QuickTrain.options(dir, 42, 2, lines::add));
        lines.forEach(System.out::println);

        assertThat(r.steps()).isEqualTo(30);
        try (PointerScope s = new PointerScope()) {
            JitModule m = torch.load(r.modelPath().toString());
            assertThat(Jit.call(m, "contract_version").toInt()).isEqualTo(1);
            assertThat(Jit.call(m, "step_name").toStringRef().getString()).isEqualTo("draw");
            Tensor noise = torch.randn(2, 3, 64, 64);
            Tensor img = Jit.call(m, "draw", Jit.strings(List.of("a photo of a red circle", "a photo of a square")),
                    Jit.strings(List.of("red circle at x 20 y 20 size 14", "")), new IValue(noise), new IValue(3L),
                    new IValue(4.0)).toTensor();
            assertThat(img.sizes().vec().get()).containsExactly(2, 3, 64, 64);
            assertThat(img.scalar_type().value).isEqualTo(torch.ScalarType.Byte.value);
        }
    }

    @Test
    void shouldResumeFromCheckpointWhenTrainingAgainOnSameWorkDir(@TempDir Path dir) {
        TrainOptions opts = QuickTrain.options(dir, 7, 2, l -> { }).withMaxSteps(10);
        assertThat(new DrawTrainer().train(opts).steps()).isEqualTo(10);
        List<String> lines = new ArrayList<>();
        TrainResult again = new DrawTrainer().train(opts.withMaxSteps(15).withLog(lines::add));
        assertThat(again.steps()).isEqualTo(15);
        assertThat(lines).anyMatch(l -> l.contains("resuming") && l.contains("step 10"));
    }
}
