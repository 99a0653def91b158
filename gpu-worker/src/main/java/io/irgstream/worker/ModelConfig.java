package io.irgstream.worker;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepModelProviders;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which model a step runs and how to reach it, declared once: a TorchScript file run in-process
 * ({@code model.backend=torchscript}, the default) or a model on a server that speaks the OpenAI-compatible APIs
 * ({@code model.backend=openai}). The worker's configuration ({@link WorkerConfig}) includes these settings; the
 * embedded stack and {@code ./irg generate --backend} use them alone. Cross-setting checks fail at start with a
 * {@link ConfigException} naming the setting.
 */
public final class ModelConfig extends AbstractConfig {
    public static final String BACKEND = "model.backend";
    public static final String MODEL_PATH = "model.path";
    public static final String BASE_URL = "model.base.url";
    public static final String MODEL_NAME = "model.name";
    public static final String API_KEY_ENV = "model.api.key.env";
    public static final String API_KEY_FILE = "model.api.key.file";
    public static final String CONNECT_TIMEOUT_MS = "model.connect.timeout.ms";
    public static final String REQUEST_TIMEOUT_MS = "model.request.timeout.ms";
    public static final String MAX_CONCURRENCY = "model.max.concurrency";
    public static final String TEMPLATES_DIR = "model.templates.dir";
    public static final String IMAGE_SIZE = "model.image.size";
    public static final String SAMPLING_FIELDS = "model.sampling.fields";

    /** The backend that runs a TorchScript file in-process. */
    public static final String TORCHSCRIPT = io.irgstream.model.ModelInfo.TORCHSCRIPT;
    /** The backend that calls a server over the OpenAI-compatible APIs. */
    public static final String OPENAI = "openai";

    /** Any engine found on the class path ({@link StepModelProviders}); the error lists the ones there are. */
    private static final ConfigDef.Validator ENGINE = new ConfigDef.Validator() {
        @Override
        public void ensureValid(String name, Object value) {
            List<String> engines = StepModelProviders.available();
            if (value == null || !engines.contains(value.toString())) {
                throw new ConfigException(name, value, "no step-model engine of that name on the class path; engines"
                        + " found: " + engines);
            }
        }

        @Override
        public String toString() {
            return "an engine on the class path, e.g. " + TORCHSCRIPT + " or " + OPENAI;
        }
    };

    private static final ConfigDef DEF = new ConfigDef()
            .define(BACKEND, Type.STRING, TORCHSCRIPT, ENGINE, Importance.HIGH,
                    "What runs the step: torchscript (the TorchScript file model.path, in-process on libtorch) or "
                            + "openai (the model model.name on the server model.base.url, over the OpenAI-compatible "
                            + "APIs: chat completions for think and reflect, image generations for draw, image edits "
                            + "for refine), or the name of another engine on the class path (a jar that provides "
                            + "io.irgstream.model.StepModelProvider; the worker needs no change).")
            .define(MODEL_PATH, Type.STRING, "", Importance.HIGH,
                    "TorchScript file of the step model (backend torchscript). Empty: models/shapes/<step>.pt.")
            .define(BASE_URL, Type.STRING, "", Importance.HIGH,
                    "API root of the model server (backend openai), e.g. http://127.0.0.1:8090/v1 (./irg serve-models), "
                            + "http://gpu-box:8000/v1 (vLLM), http://127.0.0.1:11434/v1 (Ollama), "
                            + "https://api.openai.com/v1.")
            .define(MODEL_NAME, Type.STRING, "", Importance.HIGH,
                    "Model name on the server (backend openai), as its /v1/models lists it. Empty: the name the "
                            + "torchscript backend gives model.path (e.g. shapes-think), which is the name "
                            + "./irg serve-models serves that file under.")
            .define(API_KEY_ENV, Type.STRING, "", Importance.MEDIUM,
                    "Environment variable that holds the API key sent as 'Authorization: Bearer <key>' (backend "
                            + "openai), e.g. OPENAI_API_KEY. The key itself is never a setting, never logged and never "
                            + "written to an event. Empty (and no model.api.key.file): no Authorization header.")
            .define(API_KEY_FILE, Type.STRING, "", Importance.MEDIUM,
                    "File whose content (surrounding whitespace removed) is the API key (backend openai), e.g. a "
                            + "mounted secret. At most one of model.api.key.env and model.api.key.file.")
            .define(CONNECT_TIMEOUT_MS, Type.INT, 10_000, Range.between(1, 600_000), Importance.LOW,
                    "Longest wait to open a connection to the model server.")
            .define(REQUEST_TIMEOUT_MS, Type.INT, 60_000, Range.between(1, 3_600_000), Importance.MEDIUM,
                    "Longest wait for one whole answer of the model server; a request that takes longer fails as "
                            + "transient and is retried through the retry tiers.")
            .define(MAX_CONCURRENCY, Type.INT, 4, Range.between(1, 256), Importance.MEDIUM,
                    "Requests in flight at once per worker (backend openai): a batch is sent as this many concurrent "
                            + "requests at a time, and its results are written in one transaction.")
            .define(TEMPLATES_DIR, Type.STRING, "", Importance.LOW,
                    "Folder whose think.txt, reflect.txt, draw.txt or refine.txt replace the built-in templates "
                            + "(backend openai): the instruction of think and reflect, the prompt of draw and refine. "
                            + "Placeholders {prompt}, {thought}, {final_prompt} (refine). Empty: the built-in ones.")
            .define(IMAGE_SIZE, Type.STRING, "", Importance.LOW,
                    "The size draw and refine ask for (backend openai), e.g. 1024x1024. Empty: none is sent and the "
                            + "server's default applies.")
            .define(SAMPLING_FIELDS, Type.BOOLEAN, true, Importance.LOW,
                    "Send the step seed and the sampler settings to draw and refine as the non-standard fields "
                            + "seed, num_inference_steps, guidance_scale and image_guidance_scale (backend openai; "
                            + "vLLM-Omni, LocalAI and ./irg serve-models read them). Turn off for servers that reject "
                            + "unknown fields, such as OpenAI's. Chat completions always carry seed and temperature.");

    public ModelConfig(Map<?, ?> props) {
        super(DEF, props, false);
        if (isOpenAi()) {
            String url = getString(BASE_URL);
            if (url.isBlank()) {
                throw new ConfigException(BASE_URL, url, "required when " + BACKEND + "=" + OPENAI);
            }
            try {
                URI u = new URI(url.trim());
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                    throw new ConfigException(BASE_URL, url, "must be an http or https URL with a host, e.g. http://127.0.0.1:8090/v1");
                }
                if (u.getUserInfo() != null) {
                    throw new ConfigException(BASE_URL, "(hidden)", "must not carry credentials; give the key with "
                            + API_KEY_ENV + " or " + API_KEY_FILE);
                }
            } catch (URISyntaxException e) {
                throw new ConfigException(BASE_URL, url, "not a URL: " + e.getReason());
            }
            if (!getString(API_KEY_ENV).isBlank() && !getString(API_KEY_FILE).isBlank()) {
                throw new ConfigException(API_KEY_FILE, getString(API_KEY_FILE), "give the API key with "
                        + API_KEY_ENV + " or " + API_KEY_FILE + ", not both");
            }
        }
    }

    /** The definitions (included in {@link WorkerConfig#configDef()}). */
    public static ConfigDef configDef() {
        return DEF;
    }

    public String backend() {
        return getString(BACKEND);
    }

    public boolean isOpenAi() {
        return OPENAI.equals(backend());
    }

    /** The TorchScript file of {@code step}: {@code model.path}, or {@code models/shapes/<step>.pt}. */
    public Path modelPath(Step step) {
        String p = getString(MODEL_PATH);
        return Path.of(p.isBlank() ? "models/shapes/" + step.id() + ".pt" : p);
    }

    /** The model name on the server: {@code model.name}, or the name the torchscript backend gives the file. */
    public String modelName(Step step) {
        String n = getString(MODEL_NAME);
        return n.isBlank() ? ModelInfo.nameOf(modelPath(step)) : n.trim();
    }

    public int requestTimeoutMs() {
        return getInt(REQUEST_TIMEOUT_MS);
    }

    public int maxConcurrency() {
        return getInt(MAX_CONCURRENCY);
    }

    /**
     * The {@code model.*} settings an engine reads, as strings keyed by full name: every setting defined here (its
     * value or default; {@code model.path} resolved to {@link #modelPath}) and any other {@code model.*} setting as
     * given, for engines with settings of their own.
     */
    public Map<String, String> settings(Step step) {
        Map<String, String> out = new TreeMap<>();
        originalsStrings().forEach((k, v) -> {
            if (k.startsWith("model.")) {
                out.put(k, v);
            }
        });
        for (String name : DEF.names()) {
            Object v = get(name);
            out.put(name, v == null ? "" : v.toString());
        }
        out.put(MODEL_PATH, modelPath(step).toString());
        return out;
    }

    /**
     * Opens the model of {@code step} with the engine {@code model.backend} names, found on the class path
     * ({@link StepModelProviders}): loads its TorchScript file, or connects to its server and checks that the server
     * answers, accepts the key and serves the model.
     *
     * @throws IllegalArgumentException or {@link ConfigException} with one line naming the setting at fault
     */
    public StepModel open(Step step) {
        return StepModelProviders.find(backend()).open(step, settings(step), System.getenv());
    }
}
