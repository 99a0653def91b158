package io.irgstream.model.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.model.PartialBatchException;
import io.irgstream.model.RemoteCall;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A step model on a remote server that speaks the OpenAI-compatible APIs:
 * <ul>
 *   <li><b>think</b>: {@code POST /chat/completions}, the think template as the system message and the prompt as the
 *       user message; the reply's text is the thought.</li>
 *   <li><b>reflect</b>: {@code POST /chat/completions}, the reflect template as the system message and a user message
 *       of two parts: the text {@code <prompt>\nPlan: <thought>} and the judged image as a base64 PNG data URL
 *       ({@code image_url}). The reply must end with a verdict line (read leniently, stored canonical); a reply
 *       without one is a {@link ModelOutputException}.</li>
 *   <li><b>draw</b>: {@code POST /images/generations} with the draw template as the prompt,
 *       {@code response_format=b64_json}.</li>
 *   <li><b>refine</b>: {@code POST /images/edits}, multipart: the draft as {@code image}, the refine template (with
 *       the reflection's final comprehensive prompt) as {@code prompt}.</li>
 * </ul>
 * Every request carries the step seed as {@code seed} (chat completions; image requests when
 * {@link OpenAiSettings#samplingFields()}); a server that echoes it back marks its result reproducible. A batch is
 * sent as up to {@link OpenAiSettings#maxConcurrency()} concurrent requests; when some fail, {@link #run} throws a
 * {@link PartialBatchException} with the results of the others. Failures are typed (see {@link OpenAiClient}).
 *
 * <p>{@link #run} is called from one thread at a time (the worker's); the calls of one batch run on this model's own
 * pool of {@code maxConcurrency} daemon threads, released by {@link #close()}.
 */
public final class OpenAiStepModel implements StepModel {
    private static final Logger log = LoggerFactory.getLogger(OpenAiStepModel.class);

    private final Step step;
    private final OpenAiSettings settings;
    private final OpenAiClient client;
    private final Templates template;
    private final ModelInfo info;
    private final ExecutorService pool;

    private OpenAiStepModel(Step step, OpenAiSettings settings, String sha256) {
        this.step = step;
        this.settings = settings;
        this.client = new OpenAiClient(settings);
        this.template = Templates.load(step, settings.templatesDir());
        this.info = new ModelInfo(settings.model(), sha256, 1, "remote:" + settings.host(), OpenAiSettings.OPENAI);
        AtomicInteger n = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(settings.maxConcurrency(), r -> {
            Thread t = new Thread(r, "irg-openai-" + step.id() + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to the model of {@code step} and checks, before any record is read, that the server answers, accepts
     * the key and serves the model ({@code GET /models}; a server without that endpoint is trusted).
     *
     * @throws IllegalArgumentException with one line naming the setting when the server does not answer
     *                                  ({@code model.base.url}), refuses the key ({@code model.api.key.*}) or does not
     *                                  serve the model ({@code model.name})
     */
    public static OpenAiStepModel connect(Step step, OpenAiSettings settings) {
        String sha = "";
        OpenAiClient probe = new OpenAiClient(settings);
        try {
            java.util.Optional<OpenAiClient.Reply> listing = probe.getIfPresent("/models");
            if (listing.isEmpty()) {
                log.warn("{} model: {} has no /models listing; not checking that it serves {}", step.id(),
                        settings.baseUrl(), settings.model());
            }
            JsonNode list = listing.map(l -> l.body().path("data")).orElse(null);
            if (list != null && list.isArray()) {
                List<String> ids = new ArrayList<>();
                JsonNode found = null;
                for (JsonNode m : list) {
                    ids.add(m.path("id").asText());
                    if (m.path("id").asText().equals(settings.model())) {
                        found = m;
                    }
                }
                if (found == null) {
                    throw new IllegalArgumentException(OpenAiSettings.MODEL_NAME + " '" + settings.model()
                            + "' is not served by " + settings.baseUrl() + " (it serves "
                            + (ids.size() > 20 ? ids.subList(0, 20) + " and " + (ids.size() - 20) + " more" : ids) + ")");
                }
                sha = found.path("sha256").asText("");
            }
        } catch (ModelUnavailableException | ModelRequestRejectedException e) {
            throw new IllegalArgumentException("cannot start the " + step.id() + " model: " + e.getMessage(), e);
        } catch (ModelOutputException e) {
            throw new IllegalArgumentException("cannot start the " + step.id() + " model: " + e.getMessage()
                    + " (is " + OpenAiSettings.BASE_URL + " the API root, e.g. http://host:8000/v1?)", e);
        }
        log.info("{} model {} on {} ({} in flight)", step.id(), settings.model(), settings.baseUrl(),
                settings.maxConcurrency());
        return new OpenAiStepModel(step, settings, sha);
    }

    /** As {@link #connect} without the start check (the first call finds any problem). */
    public static OpenAiStepModel unchecked(Step step, OpenAiSettings settings) {
        return new OpenAiStepModel(step, settings, "");
    }

    @Override
    public Step step() {
        return step;
    }

    @Override
    public ModelInfo info() {
        return info;
    }

    @Override
    public List<StepResult> run(List<StepRequest> batch) {
        if (batch.size() == 1) {
            return List.of(call(batch.get(0)));
        }
        List<Future<StepResult>> futures = new ArrayList<>(batch.size());
        for (StepRequest r : batch) {
            futures.add(pool.submit(() -> call(r)));
        }
        List<StepResult> results = new ArrayList<>(batch.size());
        List<RuntimeException> failures = new ArrayList<>(batch.size());
        boolean anyFailed = false;
        for (Future<StepResult> f : futures) {
            try {
                results.add(f.get());
                failures.add(null);
            } catch (ExecutionException e) {
                results.add(null);
                failures.add(e.getCause() instanceof RuntimeException re ? re
                        : new ModelUnavailableException(String.valueOf(e.getCause()), null, e.getCause()));
                anyFailed = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                futures.forEach(x -> x.cancel(true));
                throw new ModelUnavailableException("interrupted while waiting for " + settings.host(), null, e);
            }
        }
        if (anyFailed) {
            throw new PartialBatchException(results, failures);
        }
        return results;
    }

    private StepResult call(StepRequest r) {
        return switch (step) {
            case THINK -> think(r);
            case REFLECT -> reflect(r);
            case DRAW -> draw(r);
            case REFINE -> refine(r);
        };
    }

    private StepResult think(StepRequest r) {
        ArrayNode messages = OpenAiClient.JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", template.render(r.prompt(), null, null));
        messages.addObject().put("role", "user").put("content", r.prompt());
        OpenAiClient.Reply reply = client.postJson("/chat/completions", chatBody(r, messages));
        String text = chatText(reply);
        return new StepResult(text, null, provenance(reply, r));
    }

    private StepResult reflect(StepRequest r) {
        if (r.image() == null) {
            throw new IllegalArgumentException("reflect needs an image");
        }
        ArrayNode messages = OpenAiClient.JSON.createArrayNode();
        messages.addObject().put("role", "system").put("content", template.render(r.prompt(), r.thought(), null));
        ArrayNode parts = messages.addObject().put("role", "user").putArray("content");
        parts.addObject().put("type", "text")
                .put("text", r.prompt() + "\n" + IrgText.PLAN_PREFIX + " " + (r.thought() == null ? "" : r.thought()));
        parts.addObject().put("type", "image_url").putObject("image_url")
                .put("url", "data:image/png;base64," + Base64.getEncoder().encodeToString(PngCodec.encode(r.image())));
        OpenAiClient.Reply reply = client.postJson("/chat/completions", chatBody(r, messages));
        String text = chatText(reply);
        if (Verdict.find(text).isEmpty()) {
            throw new ModelOutputException("model " + settings.model() + " on " + settings.host()
                    + " replied without a 'Verdict: SATISFIED|NEEDS_CHANGES' line: " + OpenAiClient.quote(text));
        }
        return new StepResult(Verdict.canonical(text), null, provenance(reply, r));
    }

    private StepResult draw(StepRequest r) {
        ObjectNode body = OpenAiClient.JSON.createObjectNode();
        body.put("model", settings.model());
        body.put("prompt", template.render(r.prompt(), r.thought(), null));
        body.put("n", 1);
        body.put("response_format", "b64_json");
        if (settings.imageSize() != null) {
            body.put("size", settings.imageSize());
        }
        if (settings.samplingFields()) {
            body.put("seed", r.stepSeed());
            body.put("num_inference_steps", r.sampling().steps());
            body.put("guidance_scale", r.sampling().cfgText());
        }
        OpenAiClient.Reply reply = client.postJson("/images/generations", body);
        return new StepResult(null, image(reply), provenance(reply, r));
    }

    private StepResult refine(StepRequest r) {
        if (r.image() == null) {
            throw new IllegalArgumentException("refine needs an image");
        }
        String finalPrompt = IrgText.finalPrompt(r.reflection());
        List<OpenAiClient.Part> parts = new ArrayList<>();
        parts.add(new OpenAiClient.Part("image", "draft.png", "image/png", PngCodec.encode(r.image())));
        parts.add(OpenAiClient.Part.field("prompt", template.render(r.prompt(), r.thought(),
                finalPrompt.isEmpty() ? r.thought() : finalPrompt)));
        parts.add(OpenAiClient.Part.field("model", settings.model()));
        parts.add(OpenAiClient.Part.field("n", 1));
        parts.add(OpenAiClient.Part.field("response_format", "b64_json"));
        if (settings.imageSize() != null) {
            parts.add(OpenAiClient.Part.field("size", settings.imageSize()));
        }
        if (settings.samplingFields()) {
            parts.add(OpenAiClient.Part.field("seed", r.stepSeed()));
            parts.add(OpenAiClient.Part.field("num_inference_steps", r.sampling().steps()));
            parts.add(OpenAiClient.Part.field("guidance_scale", r.sampling().cfgText()));
            parts.add(OpenAiClient.Part.field("image_guidance_scale", r.sampling().cfgImage()));
        }
        OpenAiClient.Reply reply = client.postMultipart("/images/edits", parts);
        return new StepResult(null, image(reply), provenance(reply, r));
    }

    private ObjectNode chatBody(StepRequest r, ArrayNode messages) {
        ObjectNode body = OpenAiClient.JSON.createObjectNode();
        body.put("model", settings.model());
        body.set("messages", messages);
        body.put("temperature", r.sampling().temperature());
        body.put("seed", r.stepSeed());
        body.put("n", 1);
        return body;
    }

    /** The reply's text; a refusal or a content filter stop is a rejection, anything unreadable an output error. */
    private String chatText(OpenAiClient.Reply reply) {
        JsonNode choice = reply.body().path("choices").path(0);
        JsonNode message = choice.path("message");
        if (message.hasNonNull("refusal") && !message.get("refusal").asText().isBlank()) {
            throw new ModelRequestRejectedException("model " + settings.model() + " on " + settings.host()
                    + " refused: " + OpenAiClient.quote(message.get("refusal").asText()));
        }
        if ("content_filter".equals(choice.path("finish_reason").asText())) {
            throw new ModelRequestRejectedException("model " + settings.model() + " on " + settings.host()
                    + " stopped its reply at its content filter (finish_reason content_filter)");
        }
        JsonNode content = message.get("content");
        String text = null;
        if (content != null && content.isTextual()) {
            text = content.asText();
        } else if (content != null && content.isArray()) {
            StringBuilder sb = new StringBuilder();
            content.forEach(p -> sb.append(p.path("text").asText("")));
            text = sb.toString();
        }
        if (text == null || text.isBlank()) {
            throw new ModelOutputException("model " + settings.model() + " on " + settings.host()
                    + " sent a chat completion without text: " + OpenAiClient.quote(reply.body().toString()));
        }
        return text;
    }

    private RgbImage image(OpenAiClient.Reply reply) {
        JsonNode b64 = reply.body().path("data").path(0).get("b64_json");
        if (b64 == null || !b64.isTextual() || b64.asText().isEmpty()) {
            throw new ModelOutputException("model " + settings.model() + " on " + settings.host()
                    + " sent no data[0].b64_json image: " + OpenAiClient.quote(reply.body().toString()));
        }
        try {
            return PngCodec.decode(Base64.getMimeDecoder().decode(b64.asText()));
        } catch (IllegalArgumentException e) {
            throw new ModelOutputException("model " + settings.model() + " on " + settings.host()
                    + " sent an image that does not decode: " + e.getMessage(), e);
        }
    }

    private RemoteCall provenance(OpenAiClient.Reply reply, StepRequest r) {
        JsonNode b = reply.body();
        String id = b.hasNonNull("id") ? b.get("id").asText() : reply.requestId();
        JsonNode usage = b.path("usage");
        Integer in = intOrNull(usage, "prompt_tokens", "input_tokens");
        Integer out = intOrNull(usage, "completion_tokens", "output_tokens");
        Long seed = b.hasNonNull("seed") && b.get("seed").canConvertToLong() && b.get("seed").asLong() == r.stepSeed()
                ? r.stepSeed() : null;
        return new RemoteCall(OpenAiSettings.OPENAI, settings.host(), settings.model(), id, in, out, reply.latencyMs(),
                seed);
    }

    private static Integer intOrNull(JsonNode usage, String... names) {
        for (String n : names) {
            if (usage.hasNonNull(n) && usage.get(n).canConvertToInt()) {
                return usage.get(n).asInt();
            }
        }
        return null;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
