package io.irgstream.app.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.openai.IrgText;
import io.irgstream.model.openai.PngCodec;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Serves step models over the OpenAI-compatible endpoints that {@code model.backend=openai} calls, so the models can
 * run on a machine apart from the Kafka consumers ({@code ./irg serve-models}):
 * <ul>
 *   <li>{@code GET /v1/models}: one entry per model, its id the model's name (e.g. {@code shapes-think}), with the
 *       extra fields {@code sha256} (of the model file) and {@code irg_step}.</li>
 *   <li>{@code POST /v1/chat/completions} for think and reflect models: think reads the last user message's text as
 *       the prompt; reflect reads the text part as {@code <prompt>\nPlan: <thought>} and the image_url part as a
 *       base64 data URL. The system message (the instruction template) is not read: these models know their task.
 *       {@code temperature} and {@code seed} are honoured.</li>
 *   <li>{@code POST /v1/images/generations} for draw models (JSON; the prompt as {@code <prompt>\nPlan: <thought>})
 *       and {@code POST /v1/images/edits} for refine models (multipart: {@code image}, and the prompt as
 *       {@code <prompt>\nPlan: <final prompt>}), answering {@code b64_json} PNGs. {@code seed},
 *       {@code num_inference_steps}, {@code guidance_scale} and {@code image_guidance_scale} are honoured;
 *       {@code size} is ignored (the models paint their own size).</li>
 * </ul>
 * Every answer echoes the {@code seed} it used: the step seed it was sent, so a result equals the local backend's
 * for the same seed. Each request runs as a batch of one on its model's own thread; the models' results do not
 * depend on their batch. Errors
 * have OpenAI's shape ({@code {"error": {"message", "type", "code"}}}): 400 for a request the model cannot take (a
 * prompt outside its grammar, a malformed request), 401 for a wrong key, 404 for an unknown model.
 */
public final class ModelServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, StepModel> models = new LinkedHashMap<>();
    private final Map<StepModel, java.util.concurrent.ExecutorService> threads = new java.util.IdentityHashMap<>();
    private final String apiKey;
    private final Javalin app;

    /**
     * @param models the models to serve, by their {@code info().name()}; owned by the caller
     * @param apiKey the key every request must carry as a bearer token, or null to accept any request
     */
    public ModelServer(List<StepModel> models, String apiKey) {
        for (StepModel m : models) {
            if (this.models.put(m.info().name(), m) != null) {
                throw new IllegalArgumentException("two models are named " + m.info().name());
            }
            threads.put(m, java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "irg-serve-" + m.info().name());
                t.setDaemon(true);
                return t;
            }));
        }
        this.apiKey = apiKey;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = 32L * 1024 * 1024;
            config.routes.before("/v1/*", this::authorize);
            config.routes.get("/v1/models", this::list);
            config.routes.post("/v1/chat/completions", this::chat);
            config.routes.post("/v1/images/generations", this::generate);
            config.routes.post("/v1/images/edits", this::edit);
            config.routes.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage()));
            config.routes.exception(IllegalArgumentException.class, (e, ctx) ->
                    error(ctx, 400, "invalid_request_error", e.getMessage()));
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, 500, "server_error", "the model failed: " + e);
            });
        });
    }

    /** Starts serving on {@code host:port} (0: any free port) and returns the port. */
    public int start(String host, int port) {
        app.start(host, port);
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
        threads.values().forEach(java.util.concurrent.ExecutorService::shutdownNow);
    }

    /** A failure with its HTTP status and OpenAI error code. */
    private static final class ApiError extends RuntimeException {
        final int status;
        final String code;

        ApiError(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    private void authorize(Context ctx) {
        if (apiKey != null && !("Bearer " + apiKey).equals(ctx.header("Authorization"))) {
            throw new ApiError(401, "invalid_api_key", "Incorrect API key provided.");
        }
    }

    private void list(Context ctx) {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        models.values().forEach(m -> out.withArray("data").addObject().put("id", m.info().name()).put("object", "model")
                .put("created", 0).put("owned_by", "irg-stream").put("sha256", m.info().sha256())
                .put("irg_step", m.step().id()));
        ctx.json(out);
    }

    private StepModel model(String name, Step... steps) {
        StepModel m = models.get(name == null ? "" : name);
        if (m == null) {
            throw new ApiError(404, "model_not_found", "The model `" + name + "` does not exist; this server serves "
                    + models.keySet());
        }
        if (!List.of(steps).contains(m.step())) {
            throw new ApiError(400, "invalid_request_error", "model " + name + " is a " + m.step().id() + " model; "
                    + "it is served at " + switch (m.step()) {
                        case THINK, REFLECT -> "/v1/chat/completions";
                        case DRAW -> "/v1/images/generations";
                        case REFINE -> "/v1/images/edits";
                    });
        }
        return m;
    }

    private void chat(Context ctx) throws IOException {
        JsonNode req = body(ctx);
        StepModel m = model(req.path("model").asText(null), Step.THINK, Step.REFLECT);
        JsonNode messages = req.path("messages");
        JsonNode user = null;
        for (JsonNode msg : messages) {
            if ("user".equals(msg.path("role").asText())) {
                user = msg.path("content");
            }
        }
        if (user == null) {
            throw new IllegalArgumentException("messages has no user message");
        }
        String text = "";
        RgbImage image = null;
        if (user.isTextual()) {
            text = user.asText();
        } else if (user.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : user) {
                switch (part.path("type").asText()) {
                    case "text" -> sb.append(part.path("text").asText());
                    case "image_url" -> image = dataUrl(part.path("image_url").path("url").asText());
                    default -> throw new IllegalArgumentException("unsupported content part type '"
                            + part.path("type").asText() + "'");
                }
            }
            text = sb.toString();
        }
        double temperature = req.path("temperature").asDouble(Sampling.DEFAULTS.temperature());
        Sampling sampling = new Sampling(temperature, Sampling.DEFAULTS.steps(), Sampling.DEFAULTS.cfgText(),
                Sampling.DEFAULTS.cfgImage());
        long seed = seed(req.get("seed"));
        StepRequest request;
        if (m.step() == Step.THINK) {
            String prompt = text.strip();
            String reason = rejection(m, prompt);
            if (!reason.isEmpty()) {
                throw new ApiError(400, "prompt_rejected", reason);
            }
            request = new StepRequest("http-" + UUID.randomUUID(), seed, prompt, null, null, null, sampling);
        } else {
            if (image == null) {
                throw new IllegalArgumentException("a reflect request needs an image_url part with the image");
            }
            IrgText.PromptAndPlan pp = IrgText.promptAndPlan(text);
            request = new StepRequest("http-" + UUID.randomUUID(), seed, pp.prompt(), pp.plan(), image, null, sampling);
        }
        String answer = run(m, request).text();
        ObjectNode out = JSON.createObjectNode().put("id", "chatcmpl-irg-" + UUID.randomUUID())
                .put("object", "chat.completion").put("created", System.currentTimeMillis() / 1000)
                .put("model", m.info().name()).put("seed", seed)
                .put("system_fingerprint", "sha256-" + m.info().sha256().substring(0, Math.min(12, m.info().sha256().length())));
        out.withArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", answer);
        int in = words(text);
        int outWords = words(answer);
        out.putObject("usage").put("prompt_tokens", in).put("completion_tokens", outWords).put("total_tokens", in + outWords);
        ctx.json(out);
    }

    private void generate(Context ctx) throws IOException {
        JsonNode req = body(ctx);
        StepModel m = model(req.path("model").asText(null), Step.DRAW);
        checkImageRequest(req.path("n").asInt(1), req.path("response_format").asText("b64_json"));
        IrgText.PromptAndPlan pp = IrgText.promptAndPlan(req.path("prompt").asText(""));
        if (pp.prompt().isEmpty()) {
            throw new IllegalArgumentException("prompt is empty");
        }
        long seed = seed(req.get("seed"));
        Sampling sampling = new Sampling(Sampling.DEFAULTS.temperature(),
                req.path("num_inference_steps").asInt(Sampling.DEFAULTS.steps()),
                req.path("guidance_scale").asDouble(Sampling.DEFAULTS.cfgText()), Sampling.DEFAULTS.cfgImage());
        StepResult r = run(m, new StepRequest("http-" + UUID.randomUUID(), seed, pp.prompt(), pp.plan(), null, null, sampling));
        image(ctx, r, seed);
    }

    private void edit(Context ctx) throws IOException {
        StepModel m = model(ctx.formParam("model"), Step.REFINE);
        checkImageRequest(intParam(ctx, "n", 1), ctx.formParam("response_format") == null ? "b64_json" : ctx.formParam("response_format"));
        UploadedFile file = ctx.uploadedFile("image");
        if (file == null) {
            throw new IllegalArgumentException("an image edit needs the image as a file part named image");
        }
        RgbImage draft;
        try (InputStream in = file.content()) {
            draft = PngCodec.decode(in.readAllBytes());
        }
        IrgText.PromptAndPlan pp = IrgText.promptAndPlan(ctx.formParam("prompt") == null ? "" : ctx.formParam("prompt"));
        if (pp.prompt().isEmpty()) {
            throw new IllegalArgumentException("prompt is empty");
        }
        String reflection = IrgText.FINAL_PROMPT_HEADING + "\n" + pp.plan() + "\nVerdict: NEEDS_CHANGES";
        long seed = seed(ctx.formParam("seed") == null ? null : JSON.getNodeFactory().textNode(ctx.formParam("seed")));
        Sampling sampling = new Sampling(Sampling.DEFAULTS.temperature(),
                intParam(ctx, "num_inference_steps", Sampling.DEFAULTS.steps()),
                doubleParam(ctx, "guidance_scale", Sampling.DEFAULTS.cfgText()),
                doubleParam(ctx, "image_guidance_scale", Sampling.DEFAULTS.cfgImage()));
        StepResult r = run(m, new StepRequest("http-" + UUID.randomUUID(), seed, pp.prompt(), pp.plan(), draft,
                reflection, sampling));
        image(ctx, r, seed);
    }

    private static void checkImageRequest(int n, String format) {
        if (n != 1) {
            throw new IllegalArgumentException("n must be 1, got " + n);
        }
        if (!"b64_json".equals(format)) {
            throw new IllegalArgumentException("response_format must be b64_json, got " + format);
        }
    }

    private void image(Context ctx, StepResult r, long seed) {
        if (r.image() == null) {
            throw new IllegalStateException("the model returned no image");
        }
        ObjectNode out = JSON.createObjectNode().put("created", System.currentTimeMillis() / 1000).put("seed", seed);
        out.withArray("data").addObject().put("b64_json", Base64.getEncoder().encodeToString(PngCodec.encode(r.image())));
        ctx.header("x-request-id", "req-irg-" + UUID.randomUUID());
        ctx.json(out);
    }

    /**
     * Runs one request on the model's own thread. Design note: a worker calls its model from one thread, and so does
     * this server: TorchScript modules are not thread-safe, and the JIT's executor keeps per-thread state, so the
     * same request on another thread can take another (numerically different) path.
     */
    private StepResult run(StepModel m, StepRequest r) {
        return onModelThread(m, () -> m.run(List.of(r)).get(0));
    }

    private String rejection(StepModel m, String prompt) {
        String reason = onModelThread(m, () -> m.rejections(List.of(prompt)).get(0));
        return reason == null ? "" : reason;
    }

    private <T> T onModelThread(StepModel m, java.util.concurrent.Callable<T> call) {
        try {
            return threads.get(m).submit(call).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static long seed(JsonNode n) {
        if (n == null || n.isNull()) {
            return ThreadLocalRandom.current().nextLong();
        }
        try {
            return n.isNumber() ? n.longValue() : Long.parseLong(n.asText().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("seed must be an integer, got " + n.asText());
        }
    }

    private static RgbImage dataUrl(String url) {
        int comma = url.indexOf(',');
        if (!url.startsWith("data:image/") || comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
            throw new IllegalArgumentException("image_url must be a base64 data URL (data:image/png;base64,...); this "
                    + "server fetches no remote images");
        }
        return PngCodec.decode(Base64.getDecoder().decode(url.substring(comma + 1)));
    }

    private static JsonNode body(Context ctx) {
        try {
            JsonNode n = JSON.readTree(ctx.bodyAsBytes());
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new IllegalArgumentException("the body is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static int intParam(Context ctx, String name, int dflt) {
        String v = ctx.formParam(name);
        try {
            return v == null ? dflt : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got " + v);
        }
    }

    private static double doubleParam(Context ctx, String name, double dflt) {
        String v = ctx.formParam(name);
        try {
            return v == null ? dflt : Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got " + v);
        }
    }

    private static int words(String s) {
        return s.isBlank() ? 0 : s.strip().split("\\s+").length;
    }

    private static void error(Context ctx, int status, String code, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("error").put("message", message).put("type", status >= 500 ? "server_error" : "invalid_request_error")
                .put("code", code);
        ctx.status(status).json(e);
    }
}
