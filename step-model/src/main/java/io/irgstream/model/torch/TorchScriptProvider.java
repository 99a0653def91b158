package io.irgstream.model.torch;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepModelProvider;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code torchscript} engine: the TorchScript file {@code model.path} (default {@code models/shapes/<step>.pt})
 * run in-process on libtorch, under its model name ({@link ModelInfo#nameOf}).
 */
public final class TorchScriptProvider implements StepModelProvider {
    @Override
    public String backend() {
        return ModelInfo.TORCHSCRIPT;
    }

    @Override
    public StepModel open(Step step, Map<String, String> settings, Map<String, String> env) {
        String p = settings.getOrDefault("model.path", "").trim();
        Path file = Path.of(p.isEmpty() ? "models/shapes/" + step.id() + ".pt" : p);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file " + file + " does not exist (setting model.path)");
        }
        return StepModels.load(step, file);
    }
}
