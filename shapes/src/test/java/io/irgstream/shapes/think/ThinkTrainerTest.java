package io.irgstream.shapes.think;

import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.train.QuickTrain;
import io.irgstream.shapes.train.TrainResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ThinkTrainerTest {
    @TempDir
    Path dir;

    @Test
    void shouldLowerLossAndServeGrammaticalThoughtsWhenTrainedQuickly() {
        TrainResult r = QuickTrain.lowersLoss(new ThinkTrainer(), QuickTrain.options(dir, 1));
        assertThat(r.modelPath()).exists();
        try (StepModel m = StepModels.load(Step.THINK, r.modelPath())) {
            StepRequest q = new StepRequest("t", 3, "a photo of two circles", null, null, null, Sampling.DEFAULTS);
            List<StepResult> out = m.run(List.of(q, q));
            String t = out.get(0).text();
            assertThat(t).isEqualTo(out.get(1).text());
            assertThat(t).matches("(\\w+ \\w+ at x \\d+ y \\d+ size \\d+)( ; \\w+ \\w+ at x \\d+ y \\d+ size \\d+){0,3}");
        }
    }
}
