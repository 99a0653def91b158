package io.irgstream.model.openai;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepModelProvider;

import java.util.Map;

/**
 * The {@code openai} engine: the model {@code model.name} on the server {@code model.base.url}, over the
 * OpenAI-compatible APIs ({@link OpenAiSettings#from} reads the settings; opening checks that the server answers,
 * accepts the key and serves the model).
 */
public final class OpenAiProvider implements StepModelProvider {
    @Override
    public String backend() {
        return OpenAiSettings.OPENAI;
    }

    @Override
    public StepModel open(Step step, Map<String, String> settings, Map<String, String> env) {
        return OpenAiStepModel.connect(step, OpenAiSettings.from(step, settings, env));
    }
}
