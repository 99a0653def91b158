package io.irgstream.model.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The HTTP side of the OpenAI-compatible backend: JSON and multipart requests with the JDK's client, and every way a
 * call can fail mapped to a typed failure ({@link ModelUnavailableException}, {@link ModelRequestRejectedException},
 * {@link ModelOutputException}) whose message names the server and, where a setting is at fault, the setting.
 * Thread-safe.
 */
final class OpenAiClient {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int QUOTE = 300;

    private final OpenAiSettings settings;
    private final HttpClient http;

    OpenAiClient(OpenAiSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL).build();
    }

    /** An answer: its JSON body, its request id header and how long it took. */
    record Reply(JsonNode body, String requestId, long latencyMs) {
    }

    /** One part of a multipart/form-data body: a field, or a file when {@code filename} is set. */
    record Part(String name, String filename, String contentType, byte[] bytes) {
        static Part field(String name, Object value) {
            return new Part(name, null, null, String.valueOf(value).getBytes(StandardCharsets.UTF_8));
        }
    }

    Reply get(String path) {
        return send(builder(path).GET().build(), path, false);
    }

    /** As {@link #get}, empty when the server has no such endpoint (404). */
    Optional<Reply> getIfPresent(String path) {
        return Optional.ofNullable(send(builder(path).GET().build(), path, true));
    }

    Reply postJson(String path, ObjectNode body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return send(builder(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), path, false);
    }

    Reply postMultipart(String path, List<Part> parts) {
        String boundary = "irg-" + UUID.randomUUID();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Part p : parts) {
            StringBuilder h = new StringBuilder("--").append(boundary).append("\r\n")
                    .append("Content-Disposition: form-data; name=\"").append(p.name()).append('"');
            if (p.filename() != null) {
                h.append("; filename=\"").append(p.filename()).append('"');
            }
            h.append("\r\n");
            if (p.contentType() != null) {
                h.append("Content-Type: ").append(p.contentType()).append("\r\n");
            }
            h.append("\r\n");
            out.writeBytes(h.toString().getBytes(StandardCharsets.UTF_8));
            out.writeBytes(p.bytes());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(builder(path).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray())).build(), path, false);
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(settings.baseUrl() + path))
                .timeout(settings.requestTimeout()).header("Accept", "application/json");
        if (settings.apiKey() != null) {
            b.header("Authorization", settings.apiKey().bearer());
        }
        return b;
    }

    private Reply send(HttpRequest request, String path, boolean absentIf404) {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r;
        try {
            r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new ModelUnavailableException("model server " + settings.baseUrl() + " did not accept a connection within "
                    + settings.connectTimeout().toMillis() + " ms (" + OpenAiSettings.CONNECT_TIMEOUT_MS + ", "
                    + OpenAiSettings.BASE_URL + ")", null, e);
        } catch (HttpTimeoutException e) {
            throw new ModelUnavailableException("model server " + settings.host() + " did not answer " + path
                    + " within " + settings.requestTimeout().toMillis() + " ms (" + OpenAiSettings.REQUEST_TIMEOUT_MS
                    + ")", null, e);
        } catch (ConnectException e) {
            throw new ModelUnavailableException("model server " + settings.baseUrl() + " does not answer ("
                    + (e.getMessage() == null ? "connection refused" : e.getMessage()) + "); start it or fix "
                    + OpenAiSettings.BASE_URL, null, e);
        } catch (IOException e) {
            throw new ModelUnavailableException("call to model server " + settings.host() + path + " failed: "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelUnavailableException("call to model server " + settings.host() + path + " was interrupted",
                    null, e);
        }
        long latencyMs = (System.nanoTime() - t0) / 1_000_000;
        String requestId = r.headers().firstValue("x-request-id").orElse(null);
        int status = r.statusCode();
        if (status / 100 == 2) {
            try {
                return new Reply(JSON.readTree(r.body()), requestId, latencyMs);
            } catch (IOException e) {
                throw new ModelOutputException("model server " + settings.host() + " answered " + path
                        + " with malformed JSON: " + quote(new String(r.body(), StandardCharsets.UTF_8)), e);
            }
        }
        if (status == 404 && absentIf404) {
            return null;
        }
        throw failure(status, r, path);
    }

    private RuntimeException failure(int status, HttpResponse<byte[]> r, String path) {
        String message = serverMessage(r.body());
        String what = "model server " + settings.host() + " answered " + path + " with " + status
                + (message.isEmpty() ? "" : ": " + message);
        if (status == 429 || status == 408 || status >= 500) {
            return new ModelUnavailableException(what, retryAfter(r).orElse(null), null);
        }
        if (status == 401 || status == 403) {
            return new ModelRequestRejectedException(what + " (the API key is missing or wrong: set "
                    + OpenAiSettings.API_KEY_ENV + " or " + OpenAiSettings.API_KEY_FILE + ")");
        }
        if (status == 404) {
            return new ModelRequestRejectedException(what + " (check " + OpenAiSettings.MODEL_NAME + " '"
                    + settings.model() + "' and " + OpenAiSettings.BASE_URL + ")");
        }
        return new ModelRequestRejectedException(what);
    }

    /** The server's own message: OpenAI's {@code error.message}, Ollama's {@code error}, FastAPI's {@code detail}. */
    static String serverMessage(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            JsonNode n = JSON.readTree(body);
            if (n != null && n.isObject()) {
                JsonNode err = n.get("error");
                if (err != null && err.isObject()) {
                    String code = err.path("code").asText("");
                    String msg = err.path("message").asText("");
                    return oneLine(msg.isEmpty() ? err.toString() : (code.isEmpty() || code.equals("null") ? msg : code + ": " + msg));
                }
                if (err != null && err.isTextual()) {
                    return oneLine(err.asText());
                }
                JsonNode detail = n.get("detail");
                if (detail != null) {
                    return oneLine(detail.isTextual() ? detail.asText() : detail.toString());
                }
                if (n.hasNonNull("message")) {
                    return oneLine(n.get("message").asText());
                }
            }
        } catch (IOException notJson) {
            // fall through to the raw text
        }
        return quote(text);
    }

    /** Retry-After in seconds or as an HTTP date, or OpenAI's retry-after-ms; empty when absent or unreadable. */
    static Optional<Duration> retryAfter(HttpResponse<?> r) {
        Optional<String> ms = r.headers().firstValue("retry-after-ms");
        if (ms.isPresent()) {
            try {
                return Optional.of(Duration.ofMillis(Math.max(0, (long) Double.parseDouble(ms.get().trim()))));
            } catch (NumberFormatException ignored) {
                // try Retry-After
            }
        }
        Optional<String> v = r.headers().firstValue("retry-after");
        if (v.isEmpty()) {
            return Optional.empty();
        }
        String s = v.get().trim();
        try {
            return Optional.of(Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(s) * 1000))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (RuntimeException unreadable) {
                return Optional.empty();
            }
        }
    }

    static String quote(String s) {
        String one = oneLine(s);
        return one.length() <= QUOTE ? "'" + one + "'" : "'" + one.substring(0, QUOTE) + "...' (" + one.length() + " chars)";
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " | ").strip();
    }
}
