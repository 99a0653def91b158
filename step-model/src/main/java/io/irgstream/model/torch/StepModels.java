package io.irgstream.model.torch;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;

import java.nio.file.Path;

/** Loads step models from TorchScript files (contract v1, see docs/models.md). */
public final class StepModels {
    private StepModels() {
    }

    /**
     * Loads the module at {@code file} as the model of {@code step}, named {@code <folder>-<file name>}
     * (e.g. {@code shapes-draw} for {@code models/shapes/draw.pt}).
     *
     * @throws IllegalArgumentException when the file is missing or does not implement the contract, with a message
     *                                  naming the file and what is wrong
     */
    public static StepModel load(Step step, Path file) {
        return new TorchScriptStepModel(step, file, defaultName(file));
    }

    /** Loads the module at {@code file} as the model of {@code step} under an explicit name. */
    public static StepModel load(Step step, Path file, String name) {
        return new TorchScriptStepModel(step, file, name);
    }

    /** The name a model file is loaded under: {@code <folder>-<file name without extension>}, e.g. {@code shapes-draw}. */
    public static String defaultName(Path file) {
        return io.irgstream.model.ModelInfo.nameOf(file);
    }
}
