package io.irgstream.app.cli;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.worker.ModelConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Which backend the embedded stack's workers use: the TorchScript files of {@code --models} (default), or the
 * models of an OpenAI-compatible server ({@code --backend openai --base-url URL}), named after the files of
 * {@code --models} (e.g. {@code shapes-think}) unless {@code --set model.name=...} says otherwise.
 */
public final class BackendOptions {
    @Option(names = "--backend", defaultValue = "torchscript", paramLabel = "NAME",
            description = "torchscript (the model files of --models, in-process) or openai (every step on the server "
                    + "--base-url, e.g. ./irg serve-models); default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--base-url", paramLabel = "URL",
            description = "API root of the model server with --backend openai, e.g. http://127.0.0.1:8090/v1 (setting model.base.url).")
    String baseUrl;

    @Option(names = "--api-key-env", paramLabel = "NAME",
            description = "Environment variable with the model server's API key (setting model.api.key.env).")
    String apiKeyEnv;

    @Option(names = "--model-setting", paramLabel = "NAME=VALUE",
            description = "Another model setting for every step (docs/configuration.md), e.g. model.max.concurrency=8; repeatable.")
    Map<String, String> settings = new HashMap<>();

    boolean remote() {
        return ModelConfig.OPENAI.equals(backend);
    }

    /** The model of each step, checked before the stack starts. */
    Function<Step, StepModel> loader(Path modelDir) {
        Map<String, Object> p = new HashMap<>(settings);
        p.put(ModelConfig.BACKEND, backend);
        if (baseUrl != null) {
            p.put(ModelConfig.BASE_URL, baseUrl);
        }
        if (apiKeyEnv != null) {
            p.put(ModelConfig.API_KEY_ENV, apiKeyEnv);
        }
        new ModelConfig(p);
        if (!remote()) {
            Models.requirePresent(modelDir);
            return Models.loader(modelDir);
        }
        return step -> {
            Map<String, Object> s = new HashMap<>(p);
            s.putIfAbsent(ModelConfig.MODEL_PATH, Models.file(modelDir, step).toString());
            return new ModelConfig(s).open(step);
        };
    }
}
