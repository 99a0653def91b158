package io.irgstream.worker;

import io.irgstream.model.Step;
import io.irgstream.model.openai.OpenAiSettings;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelConfigTest {
    private static Map<String, Object> worker(Map<String, Object> extra) {
        Map<String, Object> p = new HashMap<>(Map.of(WorkerConfig.STEP, "reflect", WorkerConfig.BOOTSTRAP_SERVERS, "x:1",
                WorkerConfig.SCHEMA_REGISTRY_URL, "http://x"));
        p.putAll(extra);
        return p;
    }

    @Test
    void shouldKeepTorchScriptAsTheDefaultBackend() {
        WorkerConfig c = new WorkerConfig(worker(Map.of()));
        assertThat(c.modelConfig().backend()).isEqualTo("torchscript");
        assertThat(c.modelPath()).hasToString("models/shapes/reflect.pt");
    }

    @Test
    void shouldFailNamingTheBaseUrlWhenTheOpenAiBackendHasNone() {
        assertThatThrownBy(() -> new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "openai"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.base.url")
                .hasMessageContaining("required when model.backend=openai");
    }

    @Test
    void shouldFailNamingTheBackendAndTheEnginesFoundWhenItIsUnknown() {
        assertThatThrownBy(() -> new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "triton"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.backend")
                .hasMessageContaining("[torchscript, openai]");
    }

    @Test
    void shouldFindTheEnginesOnTheClassPathAndOpenTheTorchScriptFileThroughOne() {
        assertThat(io.irgstream.model.StepModelProviders.available()).containsExactly("torchscript", "openai");
        WorkerConfig c = new WorkerConfig(worker(Map.of(ModelConfig.MODEL_PATH, "no/such/reflect.pt")));
        assertThatThrownBy(() -> c.modelConfig().open(Step.REFLECT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no/such/reflect.pt")
                .hasMessageContaining("model.path");
    }

    @Test
    void shouldPassTheEngineItsOwnModelSettingsAsGiven() {
        WorkerConfig c = new WorkerConfig(worker(Map.of("model.triton.url", "grpc://gpu:8001")));
        assertThat(c.modelConfig().settings(Step.DRAW)).containsEntry("model.triton.url", "grpc://gpu:8001")
                .containsEntry(ModelConfig.MODEL_PATH, "models/shapes/draw.pt")
                .containsEntry(ModelConfig.BACKEND, "torchscript");
    }

    @Test
    void shouldFailNamingTheTimeoutWhenABatchCannotFinishWithinTheBatchTimeout() {
        assertThatThrownBy(() -> new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "openai",
                ModelConfig.BASE_URL, "http://127.0.0.1:8090/v1", ModelConfig.REQUEST_TIMEOUT_MS, "160000",
                WorkerConfig.MAX_BATCH_SIZE, "16", ModelConfig.MAX_CONCURRENCY, "4"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.request.timeout.ms")
                .hasMessageContaining("batch.timeout.ms 600000");
    }

    @Test
    void shouldFailWithoutShowingThemWhenTheBaseUrlCarriesCredentials() {
        assertThatThrownBy(() -> new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "openai",
                ModelConfig.BASE_URL, "https://me:sk-secret@api.example.com/v1"))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.base.url")
                .hasMessageNotContaining("sk-secret");
    }

    @Test
    void shouldNameTheVariableWhenTheKeyVariableIsUnset() {
        WorkerConfig c = new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "openai",
                ModelConfig.BASE_URL, "http://127.0.0.1:8090/v1", ModelConfig.API_KEY_ENV, "IRG_TEST_NO_SUCH_KEY")));
        assertThatThrownBy(() -> OpenAiSettings.from(Step.REFLECT, c.modelConfig().settings(Step.REFLECT), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IRG_TEST_NO_SUCH_KEY")
                .hasMessageContaining("model.api.key.env");
    }

    @Test
    void shouldReadTheKeyFromTheVariableAndNameTheModelAfterTheFileWhenNoNameIsGiven() {
        WorkerConfig c = new WorkerConfig(worker(Map.of(ModelConfig.BACKEND, "openai",
                ModelConfig.BASE_URL, "http://127.0.0.1:8090/v1/", ModelConfig.API_KEY_ENV, "K")));
        OpenAiSettings s = OpenAiSettings.from(Step.REFLECT, c.modelConfig().settings(Step.REFLECT), Map.of("K", "sk-abc"));
        assertThat(s.model()).isEqualTo("shapes-reflect");
        assertThat(s.baseUrl()).hasToString("http://127.0.0.1:8090/v1");
        assertThat(s.apiKey()).isNotNull();
        assertThat(s.toString()).doesNotContain("sk-abc");
    }
}
