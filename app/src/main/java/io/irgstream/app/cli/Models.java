package io.irgstream.app.cli;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.torch.StepModels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** Loads the TorchScript step models of a model folder, with a clear error when one is missing. */
final class Models {
    private Models() {
    }

    static Path file(Path dir, Step step) {
        return dir.resolve(step.id() + ".pt");
    }

    static void requirePresent(Path dir) {
        for (Step s : Step.values()) {
            Path f = file(dir, s);
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException("model file " + f + " is missing: train the models with './irg train' "
                        + "or point --models at a folder with think.pt, draw.pt, reflect.pt and refine.pt");
            }
        }
    }

    static Function<Step, StepModel> loader(Path dir) {
        return step -> StepModels.load(step, file(dir, step));
    }
}
