package io.irgstream.shapes.reflect;

import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.Verdict;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.train.QuickTrain;
import io.irgstream.shapes.train.TrainResult;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.ThoughtFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ReflectTrainerTest {
    @TempDir
    Path dir;

    @Test
    void shouldLowerLossAndWriteThreeSectionReflectionWhenTrainedQuickly() {
        TrainResult r = QuickTrain.lowersLoss(new ReflectTrainer(), QuickTrain.options(dir, 1));
        String thought = "red circle at x 18 y 32 size 14 ; blue square at x 46 y 31 size 16";
        try (StepModel m = StepModels.load(Step.REFLECT, r.modelPath())) {
            String text = m.run(List.of(new StepRequest("t", 1, "a photo of a red circle and a blue square", thought,
                    Renderer.render(ThoughtFormat.parse(thought)), null, Sampling.DEFAULTS))).get(0).text();
            assertThat(text).contains("Detailed Explanation of Required Improvements:\n",
                    "\nStep-by-Step Modification Guidance:\n1. ",
                    "\nFinal Comprehensive Prompt for the Improved Image:\n");
            assertThat(Verdict.of(text)).isNotNull();
        }
    }
}
