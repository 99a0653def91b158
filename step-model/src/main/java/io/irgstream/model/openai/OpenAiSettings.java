package io.irgstream.model.openai;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How to reach a model on a server that speaks the OpenAI-compatible APIs (chat completions with image input for
 * think and reflect, image generations and edits for draw and refine). The setting names are declared here once and
 * used by the worker's configuration and in every error message that names a setting.
 *
 * @param baseUrl         the API root, e.g. {@code http://127.0.0.1:8090/v1} or {@code https://api.openai.com/v1}
 * @param model           the model name the server knows (its {@code /v1/models} id)
 * @param apiKey          the bearer token, or null to send no Authorization header
 * @param connectTimeout  longest wait to open a connection
 * @param requestTimeout  longest wait for one whole answer
 * @param maxConcurrency  requests in flight at once for one batch
 * @param templatesDir    a folder with think.txt, reflect.txt, draw.txt or refine.txt overriding the built-in
 *                        templates, or null
 * @param imageSize       the {@code size} to ask draw and refine for (e.g. {@code 1024x1024}), or null to send none
 * @param samplingFields  whether to send the non-standard fields {@code num_inference_steps}, {@code guidance_scale},
 *                        {@code image_guidance_scale} and an image request's {@code seed} (vLLM-Omni, LocalAI and
 *                        {@code ./irg serve-models} read them; OpenAI itself rejects unknown fields)
 */
public record OpenAiSettings(URI baseUrl, String model, ApiKey apiKey, Duration connectTimeout, Duration requestTimeout,
                             int maxConcurrency, Path templatesDir, String imageSize, boolean samplingFields) {
    /** {@code torchscript} (the default: a TorchScript file run in-process) or {@code openai}. */
    public static final String BACKEND = "model.backend";
    /** The API root of the model server. */
    public static final String BASE_URL = "model.base.url";
    /** The model name on the server. */
    public static final String MODEL_NAME = "model.name";
    /** Name of the environment variable that holds the API key. */
    public static final String API_KEY_ENV = "model.api.key.env";
    /** File whose content (trimmed) is the API key. */
    public static final String API_KEY_FILE = "model.api.key.file";
    /** Connection timeout in milliseconds. */
    public static final String CONNECT_TIMEOUT_MS = "model.connect.timeout.ms";
    /** Whole-answer timeout in milliseconds. */
    public static final String REQUEST_TIMEOUT_MS = "model.request.timeout.ms";
    /** Requests in flight at once per worker. */
    public static final String MAX_CONCURRENCY = "model.max.concurrency";
    /** Folder of prompt templates. */
    public static final String TEMPLATES_DIR = "model.templates.dir";
    /** Image size asked of draw and refine. */
    public static final String IMAGE_SIZE = "model.image.size";
    /** Whether to send the non-standard sampling fields. */
    public static final String SAMPLING_FIELDS = "model.sampling.fields";
    /** The value of {@link #BACKEND} that selects this backend. */
    public static final String OPENAI = "openai";

    public OpenAiSettings {
        Objects.requireNonNull(baseUrl, BASE_URL);
        if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme())) {
            throw new IllegalArgumentException(BASE_URL + " must be an http or https URL, got '" + baseUrl + "'");
        }
        if (baseUrl.getHost() == null) {
            throw new IllegalArgumentException(BASE_URL + " has no host: '" + baseUrl + "'");
        }
        if (baseUrl.getUserInfo() != null) {
            throw new IllegalArgumentException(BASE_URL + " must not carry credentials; give the key with "
                    + API_KEY_ENV + " or " + API_KEY_FILE);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException(MODEL_NAME + " is empty: name the model the server serves at "
                    + baseUrl + "/models");
        }
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException(MAX_CONCURRENCY + " must be at least 1, got " + maxConcurrency);
        }
        Objects.requireNonNull(connectTimeout, CONNECT_TIMEOUT_MS);
        Objects.requireNonNull(requestTimeout, REQUEST_TIMEOUT_MS);
        imageSize = imageSize == null || imageSize.isBlank() ? null : imageSize.trim();
        String s = baseUrl.toString();
        baseUrl = URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    /**
     * The settings of {@code step} from the worker's {@code model.*} settings (strings keyed by full name; absent or
     * empty ones take the defaults of {@link #of}), the API key read from the variable {@link #API_KEY_ENV} names in
     * {@code env} or from the file {@link #API_KEY_FILE}. {@link #MODEL_NAME} empty: {@code model.path}'s model name
     * ({@link io.irgstream.model.ModelInfo#nameOf}), the name {@code ./irg serve-models} serves that file under.
     *
     * @throws IllegalArgumentException naming the setting at fault
     */
    public static OpenAiSettings from(io.irgstream.model.Step step, java.util.Map<String, String> settings,
                                      java.util.Map<String, String> env) {
        String url = get(settings, BASE_URL);
        if (url.isEmpty()) {
            throw new IllegalArgumentException(BASE_URL + " is required when " + BACKEND + "=" + OPENAI);
        }
        String keyEnv = get(settings, API_KEY_ENV);
        String keyFile = get(settings, API_KEY_FILE);
        if (!keyEnv.isEmpty() && !keyFile.isEmpty()) {
            throw new IllegalArgumentException("give the API key with " + API_KEY_ENV + " or " + API_KEY_FILE
                    + ", not both");
        }
        ApiKey key;
        try {
            key = !keyEnv.isEmpty() ? ApiKey.fromEnv(keyEnv, env) : !keyFile.isEmpty() ? ApiKey.fromFile(Path.of(keyFile))
                    : null;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((keyEnv.isEmpty() ? API_KEY_FILE + "=" + keyFile : API_KEY_ENV + "="
                    + keyEnv) + ": " + e.getMessage(), e);
        }
        String name = get(settings, MODEL_NAME);
        if (name.isEmpty()) {
            String path = get(settings, "model.path");
            name = io.irgstream.model.ModelInfo.nameOf(Path.of(path.isEmpty() ? "models/shapes/" + step.id() + ".pt" : path));
        }
        String dir = get(settings, TEMPLATES_DIR);
        String size = get(settings, IMAGE_SIZE);
        String fields = get(settings, SAMPLING_FIELDS);
        URI uri;
        try {
            uri = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(BASE_URL + "=" + url + ": not a URL: " + e.getReason(), e);
        }
        return new OpenAiSettings(uri, name, key, Duration.ofMillis(number(settings, CONNECT_TIMEOUT_MS, 10_000)),
                Duration.ofMillis(number(settings, REQUEST_TIMEOUT_MS, 60_000)),
                (int) number(settings, MAX_CONCURRENCY, 4), dir.isEmpty() ? null : Path.of(dir),
                size.isEmpty() ? null : size, fields.isEmpty() || Boolean.parseBoolean(fields));
    }

    private static String get(java.util.Map<String, String> settings, String key) {
        String v = settings.get(key);
        return v == null ? "" : v.trim();
    }

    private static long number(java.util.Map<String, String> settings, String key, long dflt) {
        String v = get(settings, key);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 1) {
                throw new IllegalArgumentException(key + "=" + v + ": must be at least 1");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "=" + v + ": not a whole number", e);
        }
    }

    /** Settings with the defaults for the rest: no key, 10 s to connect, 60 s per answer, 4 in flight. */
    public static OpenAiSettings of(URI baseUrl, String model) {
        return new OpenAiSettings(baseUrl, model, null, Duration.ofSeconds(10), Duration.ofSeconds(60), 4, null, null,
                true);
    }

    /** The server's host[:port], as recorded in provenance. */
    public String host() {
        return baseUrl.getPort() < 0 ? baseUrl.getHost() : baseUrl.getHost() + ":" + baseUrl.getPort();
    }

    /** A copy with another API key. */
    public OpenAiSettings withApiKey(ApiKey key) {
        return new OpenAiSettings(baseUrl, model, key, connectTimeout, requestTimeout, maxConcurrency, templatesDir,
                imageSize, samplingFields);
    }

    /** A copy with another request timeout. */
    public OpenAiSettings withRequestTimeout(Duration timeout) {
        return new OpenAiSettings(baseUrl, model, apiKey, connectTimeout, timeout, maxConcurrency, templatesDir,
                imageSize, samplingFields);
    }

    /** A copy with another model name. */
    public OpenAiSettings withModel(String name) {
        return new OpenAiSettings(baseUrl, name, apiKey, connectTimeout, requestTimeout, maxConcurrency, templatesDir,
                imageSize, samplingFields);
    }
}
