package io.irgstream.model.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.irgstream.model.RgbImage;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A strict fake of the OpenAI-compatible protocol for tests: it serves {@code /v1/models}, chat completions, image
 * generations and image edits, checks the shape of every request (the Authorization header, the JSON fields and
 * their types, the image_url data URL, the multipart parts and their PNG) and answers a malformed one with 400 and
 * a message saying what was wrong (also kept in {@link #violations()}). Faults queued with {@link #inject} are
 * served, one per request, before the normal answers: 429 with Retry-After, 500, a slow answer, a reflection without
 * a verdict, malformed JSON, a content-policy refusal.
 *
 * <p>Normal answers are pure functions of the request: think answers {@code plan for <prompt> seed <seed>}, reflect
 * a reflection in IRG's format whose verdict is NEEDS_CHANGES for even seeds, draw and edits a 4x4 PNG whose pixels
 * encode the seed. Every answer echoes the seed and carries an id and a usage.
 */
public final class FakeOpenAiServer implements AutoCloseable {
    /** A fault served instead of the next answer. */
    public enum Fault {
        /** 429 with {@code Retry-After: 7} (see {@link #retryAfterSeconds}). */
        RATE_LIMITED,
        /** 500 with an OpenAI-style error body. */
        SERVER_ERROR,
        /** An answer that comes after {@link #slowMs}. */
        SLOW,
        /** A chat completion whose text has no verdict line. */
        NO_VERDICT,
        /** A 200 whose body is not JSON. */
        MALFORMED_JSON,
        /** 400 {@code content_policy_violation}. */
        CONTENT_POLICY
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "temperature", "seed", "n",
            "max_tokens", "top_p");
    private static final Set<String> GENERATION_FIELDS = Set.of("model", "prompt", "n", "response_format", "size",
            "seed", "num_inference_steps", "guidance_scale");
    private static final Set<String> EDIT_PARTS = Set.of("image", "prompt", "model", "n", "response_format", "size",
            "seed", "num_inference_steps", "guidance_scale", "image_guidance_scale");

    private final HttpServer server;
    private final String apiKey;
    private final List<String> models;
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger ids = new AtomicInteger();
    private volatile long slowMs = 3000;
    private volatile int retryAfterSeconds = 7;

    /** One request as the fake read it: its JSON body, or its multipart parts (text fields and file bytes). */
    public record Received(String path, Map<String, String> headers, JsonNode json, Map<String, String> fields,
                           Map<String, byte[]> files) {
    }

    /**
     * @param apiKey the key every request must carry as {@code Authorization: Bearer <key>}, or null for none
     * @param models the model ids it serves
     */
    public FakeOpenAiServer(String apiKey, List<String> models) throws IOException {
        this.apiKey = apiKey;
        this.models = List.copyOf(models);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-openai");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v1/", this::handle);
        server.start();
    }

    /** The API root, e.g. {@code http://127.0.0.1:PORT/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    public void inject(Fault... f) {
        faults.addAll(List.of(f));
    }

    /** The Retry-After of a {@link Fault#RATE_LIMITED} answer. */
    public void retryAfterSeconds(int s) {
        this.retryAfterSeconds = s;
    }

    /** How long a {@link Fault#SLOW} answer takes. */
    public void slowMs(long ms) {
        this.slowMs = ms;
    }

    /** Requests whose shape broke the protocol, with what was wrong. */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Map<String, String> headers = new HashMap<>();
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            byte[] body = ex.getRequestBody().readAllBytes();
            String auth = headers.get("authorization");
            if (apiKey != null && !("Bearer " + apiKey).equals(auth)) {
                send(ex, 401, error("Incorrect API key provided.", "invalid_api_key"));
                return;
            }
            if (apiKey == null && auth != null) {
                violation(ex, "an Authorization header was sent though no key was configured");
                return;
            }
            switch (ex.getRequestMethod() + " " + path) {
                case "GET /v1/models" -> models(ex);
                case "POST /v1/chat/completions" -> chat(ex, headers, body);
                case "POST /v1/images/generations" -> generation(ex, headers, body);
                case "POST /v1/images/edits" -> edit(ex, headers, body);
                default -> send(ex, 404, error("Unknown request URL: " + ex.getRequestMethod() + " " + path, "unknown_url"));
            }
        } catch (RuntimeException e) {
            violations.add("fake failed: " + e);
            throw e;
        }
    }

    private void models(HttpExchange ex) throws IOException {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        for (String m : models) {
            out.withArray("data").addObject().put("id", m).put("object", "model").put("created", 0)
                    .put("owned_by", "fake").put("sha256", "f".repeat(64));
        }
        send(ex, 200, out);
    }

    /** Applies the next queued fault; true when it answered the request. */
    private boolean fault(HttpExchange ex) throws IOException {
        Fault f = faults.peek();
        if (f == null || f == Fault.NO_VERDICT) {
            return false;
        }
        faults.poll();
        switch (f) {
            case RATE_LIMITED -> {
                ex.getResponseHeaders().add("Retry-After", String.valueOf(retryAfterSeconds));
                send(ex, 429, error("Rate limit reached for requests", "rate_limit_exceeded"));
            }
            case SERVER_ERROR -> send(ex, 500, error("The server had an error while processing your request.", null));
            case SLOW -> {
                try {
                    Thread.sleep(slowMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                send(ex, 500, error("too late", null));
            }
            case MALFORMED_JSON -> sendRaw(ex, 200, "{\"id\": \"x\", \"choices\": [".getBytes(StandardCharsets.UTF_8));
            case CONTENT_POLICY -> send(ex, 400, error("Your request was rejected as a result of our safety system.",
                    "content_policy_violation"));
            case NO_VERDICT -> {
                return false;
            }
        }
        return true;
    }

    private void chat(HttpExchange ex, Map<String, String> headers, byte[] body) throws IOException {
        JsonNode req = json(ex, headers, body);
        if (req == null) {
            return;
        }
        received.add(new Received("/v1/chat/completions", headers, req, Map.of(), Map.of()));
        for (var it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!CHAT_FIELDS.contains(f)) {
                violation(ex, "unknown chat completion field " + f);
                return;
            }
        }
        if (!req.path("model").isTextual() || !models.contains(req.get("model").asText())) {
            send(ex, 404, error("The model `" + req.path("model").asText() + "` does not exist", "model_not_found"));
            return;
        }
        if (!req.path("temperature").isNumber() || !req.path("seed").isIntegralNumber()) {
            violation(ex, "temperature must be a number and seed an integer");
            return;
        }
        JsonNode messages = req.path("messages");
        if (!messages.isArray() || messages.size() != 2 || !"system".equals(messages.get(0).path("role").asText())
                || !messages.get(0).path("content").isTextual() || !"user".equals(messages.get(1).path("role").asText())) {
            violation(ex, "messages must be [system text, user]");
            return;
        }
        JsonNode user = messages.get(1).path("content");
        boolean reflect = user.isArray();
        String userText;
        if (reflect) {
            if (user.size() != 2 || !"text".equals(user.get(0).path("type").asText())
                    || !"image_url".equals(user.get(1).path("type").asText())) {
                violation(ex, "a reflect user message must be [text, image_url]");
                return;
            }
            String url = user.get(1).path("image_url").path("url").asText();
            if (!url.startsWith("data:image/png;base64,")) {
                violation(ex, "image_url must be a PNG data URL");
                return;
            }
            if (!isPng(Base64.getDecoder().decode(url.substring(url.indexOf(',') + 1)))) {
                violation(ex, "the image_url data is not a PNG");
                return;
            }
            userText = user.get(0).path("text").asText();
        } else if (user.isTextual()) {
            userText = user.asText();
        } else {
            violation(ex, "user content must be text or [text, image_url]");
            return;
        }
        if (fault(ex)) {
            return;
        }
        long seed = req.get("seed").asLong();
        String text;
        if (!reflect) {
            text = "plan for " + userText + " seed " + seed;
        } else if (faults.peek() == Fault.NO_VERDICT) {
            faults.poll();
            text = "The image looks fine to me.";
        } else {
            boolean ok = seed % 2 != 0;
            text = "**Detailed Explanation of Required Improvements:**\n" + (ok ? "The image matches the prompt." : "The circle is blue.")
                    + "\n**Step-by-Step Modification Guidance:**\n1. " + (ok ? "Keep the image as it is." : "Make the circle red.")
                    + "\n**Final Comprehensive Prompt for the Improved Image:**\nred circle at x 10 y 10 size 12\n"
                    + "**Verdict:** " + (ok ? "Satisfied" : "needs changes");
        }
        ObjectNode out = JSON.createObjectNode().put("id", "chatcmpl-" + ids.incrementAndGet())
                .put("object", "chat.completion").put("model", req.get("model").asText()).put("seed", seed);
        out.withArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                .putObject("message").put("role", "assistant").put("content", text);
        out.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18);
        send(ex, 200, out);
    }

    private void generation(HttpExchange ex, Map<String, String> headers, byte[] body) throws IOException {
        JsonNode req = json(ex, headers, body);
        if (req == null) {
            return;
        }
        received.add(new Received("/v1/images/generations", headers, req, Map.of(), Map.of()));
        for (var it = req.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!GENERATION_FIELDS.contains(f)) {
                violation(ex, "unknown image generation field " + f);
                return;
            }
        }
        if (!req.path("prompt").isTextual() || req.get("prompt").asText().isBlank()
                || !"b64_json".equals(req.path("response_format").asText()) || req.path("n").asInt() != 1) {
            violation(ex, "an image generation needs a prompt, n=1 and response_format=b64_json");
            return;
        }
        if (!models.contains(req.path("model").asText())) {
            send(ex, 404, error("The model `" + req.path("model").asText() + "` does not exist", "model_not_found"));
            return;
        }
        if (fault(ex)) {
            return;
        }
        image(ex, req.path("seed").asLong(0));
    }

    private void edit(HttpExchange ex, Map<String, String> headers, byte[] body) throws IOException {
        String ct = headers.getOrDefault("content-type", "");
        if (!ct.startsWith("multipart/form-data; boundary=")) {
            violation(ex, "an image edit must be multipart/form-data with a boundary, got " + ct);
            return;
        }
        Map<String, String> fields = new HashMap<>();
        Map<String, byte[]> files = new HashMap<>();
        String problem = parseMultipart(body, ct.substring(ct.indexOf("boundary=") + 9), fields, files);
        if (problem != null) {
            violation(ex, problem);
            return;
        }
        received.add(new Received("/v1/images/edits", headers, null, fields, files));
        for (String k : fields.keySet()) {
            if (!EDIT_PARTS.contains(k)) {
                violation(ex, "unknown image edit part " + k);
                return;
            }
        }
        if (!files.containsKey("image") || !isPng(files.get("image")) || fields.getOrDefault("prompt", "").isBlank()
                || !"b64_json".equals(fields.get("response_format"))) {
            violation(ex, "an image edit needs an image file part (PNG), a prompt and response_format=b64_json");
            return;
        }
        if (!models.contains(fields.getOrDefault("model", ""))) {
            send(ex, 404, error("The model `" + fields.get("model") + "` does not exist", "model_not_found"));
            return;
        }
        if (fault(ex)) {
            return;
        }
        image(ex, Long.parseLong(fields.getOrDefault("seed", "0")) + 1);
    }

    private void image(HttpExchange ex, long seed) throws IOException {
        byte[] px = new byte[4 * 4 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (seed >>> (8 * (i % 8)));
        }
        ObjectNode out = JSON.createObjectNode().put("created", 0).put("seed", seed);
        out.withArray("data").addObject().put("b64_json",
                Base64.getEncoder().encodeToString(PngCodec.encode(new RgbImage(4, 4, px))));
        out.putObject("usage").put("input_tokens", 5).put("output_tokens", 100);
        ex.getResponseHeaders().add("x-request-id", "req-" + ids.incrementAndGet());
        send(ex, 200, out);
    }

    /** Reads a multipart body; null when it is well-formed, else what is wrong. */
    static String parseMultipart(byte[] body, String boundary, Map<String, String> fields, Map<String, byte[]> files) {
        String s = new String(body, StandardCharsets.ISO_8859_1);
        String delim = "--" + boundary;
        String last = "\r\n" + delim + "--\r\n";
        if (!s.startsWith(delim) || !s.endsWith(last)) {
            return "the multipart body does not start and end with its boundary";
        }
        String[] parts = s.substring(delim.length(), s.length() - last.length()).split("\r\n" + delim, -1);
        for (String p : parts) {
            if (!p.startsWith("\r\n")) {
                return "a multipart part does not start with CRLF";
            }
            int end = p.indexOf("\r\n\r\n");
            if (end < 0) {
                return "a multipart part has no header end";
            }
            String head = p.substring(2, end);
            String content = p.substring(end + 4);
            java.util.regex.Matcher name = java.util.regex.Pattern.compile("name=\"([^\"]+)\"").matcher(head);
            if (!head.startsWith("Content-Disposition: form-data;") || !name.find()) {
                return "a multipart part has no form-data name";
            }
            if (head.contains("filename=\"")) {
                if (!head.contains("Content-Type: image/png")) {
                    return "the file part " + name.group(1) + " is not declared image/png";
                }
                files.put(name.group(1), content.getBytes(StandardCharsets.ISO_8859_1));
            } else {
                fields.put(name.group(1), new String(content.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            }
        }
        return null;
    }

    private JsonNode json(HttpExchange ex, Map<String, String> headers, byte[] body) throws IOException {
        if (!"application/json".equals(headers.get("content-type"))) {
            violation(ex, "Content-Type must be application/json, got " + headers.get("content-type"));
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            violation(ex, "the body is not JSON: " + e.getMessage());
            return null;
        }
    }

    private static boolean isPng(byte[] b) {
        return b.length > 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G';
    }

    private void violation(HttpExchange ex, String what) throws IOException {
        violations.add(what);
        send(ex, 400, error("fake: " + what, "invalid_request_error"));
    }

    private static ObjectNode error(String message, String code) {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("error").put("message", message).put("type", "invalid_request_error").put("code", code);
        return e;
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        sendRaw(ex, status, JSON.writeValueAsBytes(body));
    }

    private static void sendRaw(HttpExchange ex, int status, byte[] bytes) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(bytes);
        }
    }
}
