package io.irgstream.model.openai;

import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.model.PartialBatchException;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.model.openai.FakeOpenAiServer.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpenAiStepModelTest {
    private static final String KEY = "sk-test-0123456789";
    private static final String MODEL = "vlm-1";
    private static final RgbImage DRAFT = new RgbImage(2, 2, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

    private FakeOpenAiServer server;

    @BeforeEach
    void start() throws Exception {
        server = new FakeOpenAiServer(KEY, List.of(MODEL, "painter-1"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private OpenAiSettings settings(String model) {
        return OpenAiSettings.of(server.baseUrl(), model).withApiKey(ApiKey.of(KEY));
    }

    private static StepRequest request(long seed, RgbImage image, String reflection) {
        return new StepRequest("t-" + seed, seed, "a photo of a red circle", "red circle at x 10 y 10 size 12", image,
                reflection, Sampling.DEFAULTS);
    }

    @Test
    void shouldSendTheThinkTemplateAndTheSeedAndRecordTheCallWhenThinking() {
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.THINK, settings(MODEL))) {
            StepResult r = m.run(List.of(request(42, null, null))).get(0);

            assertThat(r.text()).isEqualTo("plan for a photo of a red circle seed 42");
            assertThat(server.violations()).isEmpty();
            var sent = server.received().get(0).json();
            assertThat(sent.get("messages").get(0).get("content").asText())
                    .isEqualTo(Templates.builtIn(Step.THINK).render("a photo of a red circle", null, null));
            assertThat(sent.get("temperature").asDouble()).isEqualTo(0.3);
            assertThat(server.received().get(0).headers().get("authorization")).isEqualTo("Bearer " + KEY);
            assertThat(r.remote().backend()).isEqualTo("openai");
            assertThat(r.remote().host()).isEqualTo(server.baseUrl().getHost() + ":" + server.baseUrl().getPort());
            assertThat(r.remote().model()).isEqualTo(MODEL);
            assertThat(r.remote().responseId()).startsWith("chatcmpl-");
            assertThat(r.remote().promptTokens()).isEqualTo(11);
            assertThat(r.remote().completionTokens()).isEqualTo(7);
            assertThat(r.remote().seed()).isEqualTo(42L);
            assertThat(m.info().sha256()).isEqualTo("f".repeat(64));
            assertThat(m.info().backend()).isEqualTo("openai");
        }
    }

    @Test
    void shouldSendTheDraftAsAPngDataUrlAndStoreACanonicalVerdictWhenReflecting() {
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.REFLECT, settings(MODEL))) {
            StepResult r = m.run(List.of(request(4, DRAFT, null))).get(0);

            assertThat(server.violations()).isEmpty();
            assertThat(Verdict.of(r.text())).isEqualTo(Verdict.NEEDS_CHANGES);
            assertThat(r.text()).endsWith("\nVerdict: NEEDS_CHANGES");
            var user = server.received().get(0).json().get("messages").get(1).get("content");
            assertThat(user.get(0).get("text").asText())
                    .isEqualTo("a photo of a red circle\nPlan: red circle at x 10 y 10 size 12");
            String url = user.get(1).get("image_url").get("url").asText();
            assertThat(PngCodec.decode(java.util.Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1))))
                    .isEqualTo(DRAFT);
        }
    }

    @Test
    void shouldAskForB64JsonWithSeedAndSamplingWhenDrawing() {
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.DRAW, settings("painter-1"))) {
            StepResult r = m.run(List.of(request(7, null, null))).get(0);

            assertThat(server.violations()).isEmpty();
            var sent = server.received().get(0).json();
            assertThat(sent.get("prompt").asText()).isEqualTo("a photo of a red circle\nPlan: red circle at x 10 y 10 size 12");
            assertThat(sent.get("num_inference_steps").asInt()).isEqualTo(20);
            assertThat(sent.get("guidance_scale").asDouble()).isEqualTo(4.0);
            assertThat(r.image().width()).isEqualTo(4);
            assertThat(r.image().get(0, 0, 0)).isEqualTo(7);
            assertThat(r.remote().responseId()).startsWith("req-");
            assertThat(r.remote().promptTokens()).isEqualTo(5);
            assertThat(r.remote().seed()).isEqualTo(7L);
        }
    }

    @Test
    void shouldSendTheDraftAndTheFinalPromptAsMultipartWhenRefining() {
        String reflection = "Detailed Explanation of Required Improvements:\nThe circle is blue.\n"
                + "Step-by-Step Modification Guidance:\n1. Make it red.\n"
                + "Final Comprehensive Prompt for the Improved Image:\nred circle at x 20 y 20 size 14\n"
                + "Verdict: NEEDS_CHANGES";
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.REFINE, settings("painter-1"))) {
            StepResult r = m.run(List.of(request(9, DRAFT, reflection))).get(0);

            assertThat(server.violations()).isEmpty();
            var sent = server.received().get(0);
            assertThat(sent.fields().get("prompt")).isEqualTo("a photo of a red circle\nPlan: red circle at x 20 y 20 size 14");
            assertThat(sent.fields()).containsEntry("image_guidance_scale", "2.0").containsEntry("seed", "9")
                    .containsEntry("model", "painter-1").containsEntry("response_format", "b64_json");
            assertThat(PngCodec.decode(sent.files().get("image"))).isEqualTo(DRAFT);
            assertThat(r.image()).isNotNull();
            assertThat(r.remote().seed()).as("the fake answers with seed + 1: not the seed it was sent").isNull();
        }
    }

    @Test
    void shouldSendNoSamplingFieldsWhenTheyAreTurnedOff() {
        OpenAiSettings s = settings("painter-1");
        s = new OpenAiSettings(s.baseUrl(), s.model(), s.apiKey(), s.connectTimeout(), s.requestTimeout(), 1, null,
                "1024x1024", false);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.DRAW, s)) {
            m.run(List.of(request(7, null, null)));
            var sent = server.received().get(0).json();
            assertThat(sent.has("seed")).isFalse();
            assertThat(sent.has("num_inference_steps")).isFalse();
            assertThat(sent.get("size").asText()).isEqualTo("1024x1024");
        }
    }

    @Test
    void shouldBeUnavailableWithTheServersRetryAfterWhenItAnswers429() {
        server.inject(Fault.RATE_LIMITED);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.THINK, settings(MODEL))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOfSatisfying(ModelUnavailableException.class, e -> {
                        assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
                        assertThat(e.getMessage()).contains("429").contains("Rate limit reached");
                    });
        }
    }

    @Test
    void shouldBeUnavailableWhenTheServerAnswers500() {
        server.inject(Fault.SERVER_ERROR);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.DRAW, settings("painter-1"))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOf(ModelUnavailableException.class).hasMessageContaining("500");
        }
    }

    @Test
    void shouldBeUnavailableNamingTheTimeoutSettingWhenTheServerIsTooSlow() {
        server.slowMs(2000);
        server.inject(Fault.SLOW);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.THINK,
                settings(MODEL).withRequestTimeout(Duration.ofMillis(300)))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOf(ModelUnavailableException.class).hasMessageContaining("model.request.timeout.ms");
        }
    }

    @Test
    void shouldBeAnOutputErrorQuotingTheReplyWhenAReflectionHasNoVerdict() {
        server.inject(Fault.NO_VERDICT);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.REFLECT, settings(MODEL))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, DRAFT, null))))
                    .isInstanceOf(ModelOutputException.class).hasMessageContaining("The image looks fine to me.");
        }
    }

    @Test
    void shouldBeAnOutputErrorWhenTheReplyIsMalformedJson() {
        server.inject(Fault.MALFORMED_JSON);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.THINK, settings(MODEL))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOf(ModelOutputException.class).hasMessageContaining("malformed JSON");
        }
    }

    @Test
    void shouldBeRejectedWithTheServersMessageWhenTheContentPolicyRefuses() {
        server.inject(Fault.CONTENT_POLICY);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.DRAW, settings("painter-1"))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOf(ModelRequestRejectedException.class)
                    .hasMessageContaining("content_policy_violation: Your request was rejected as a result of our safety system.");
        }
    }

    @Test
    void shouldKeepTheOtherResultsWhenOneRequestOfABatchFails() {
        server.inject(Fault.RATE_LIMITED);
        try (OpenAiStepModel m = OpenAiStepModel.connect(Step.THINK, settings(MODEL))) {
            List<StepRequest> batch = List.of(request(1, null, null), request(2, null, null), request(3, null, null));
            assertThatThrownBy(() -> m.run(batch)).isInstanceOfSatisfying(PartialBatchException.class, e -> {
                assertThat(e.failures().stream().filter(java.util.Objects::nonNull).toList()).hasSize(1)
                        .first().isInstanceOf(ModelUnavailableException.class);
                for (int i = 0; i < 3; i++) {
                    if (e.results().get(i) != null) {
                        assertThat(e.results().get(i).text()).endsWith("seed " + (i + 1));
                    }
                }
            });
            assertThat(server.received()).hasSize(3);
        }
    }

    @Test
    void shouldFailToStartNamingTheBaseUrlWhenNothingAnswers() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        OpenAiSettings s = OpenAiSettings.of(URI.create("http://127.0.0.1:" + port + "/v1"), MODEL);
        assertThatThrownBy(() -> OpenAiStepModel.connect(Step.THINK, s))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not answer").hasMessageContaining("model.base.url");
    }

    @Test
    void shouldFailToStartNamingTheKeySettingsWhenTheKeyIsWrong() {
        OpenAiSettings s = settings(MODEL).withApiKey(ApiKey.of("sk-wrong"));
        assertThatThrownBy(() -> OpenAiStepModel.connect(Step.THINK, s))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("401").hasMessageContaining("model.api.key.env")
                .hasMessageNotContaining("sk-wrong");
    }

    @Test
    void shouldFailToStartNamingTheModelSettingWhenTheServerDoesNotServeIt() {
        assertThatThrownBy(() -> OpenAiStepModel.connect(Step.THINK, settings("no-such-model")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.name 'no-such-model' is not served").hasMessageContaining(MODEL);
    }

    @Test
    void shouldBeRejectedNamingTheModelSettingWhenTheModelDisappearsAfterStart() {
        try (OpenAiStepModel m = OpenAiStepModel.unchecked(Step.THINK, settings("gone"))) {
            assertThatThrownBy(() -> m.run(List.of(request(1, null, null))))
                    .isInstanceOf(ModelRequestRejectedException.class)
                    .hasMessageContaining("404").hasMessageContaining("model.name 'gone'");
        }
    }

    @Test
    void shouldNeverShowTheKeyWhenSettingsArePrinted() {
        assertThat(settings(MODEL).toString()).doesNotContain(KEY).contains("hidden");
    }
}
