package io.irgstream.model.openai;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A bearer token for a model server. It is only ever written into the Authorization header: {@link #toString()}
 * hides it, and nothing records it in events or logs.
 */
public final class ApiKey {
    private final String value;
    private final String source;

    private ApiKey(String value, String source) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the API key from " + source + " is empty");
        }
        if (value.strip().chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException("the API key from " + source
                    + " has spaces or characters an HTTP header cannot carry");
        }
        this.value = value.strip();
        this.source = source;
    }

    /** The key in environment variable {@code name} of {@code env}. */
    public static ApiKey fromEnv(String name, Map<String, String> env) {
        String v = env.get(name);
        if (v == null) {
            throw new IllegalArgumentException("environment variable " + name + " (" + OpenAiSettings.API_KEY_ENV
                    + ") is not set");
        }
        return new ApiKey(v, "environment variable " + name + " (" + OpenAiSettings.API_KEY_ENV + ")");
    }

    /** The key in {@code file}, surrounding whitespace removed. */
    public static ApiKey fromFile(Path file) {
        try {
            return new ApiKey(Files.readString(file, StandardCharsets.UTF_8),
                    "file " + file + " (" + OpenAiSettings.API_KEY_FILE + ")");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the API key file " + file + " ("
                    + OpenAiSettings.API_KEY_FILE + "): " + e.getMessage(), e);
        }
    }

    /** A key given directly (tests, tools). */
    public static ApiKey of(String value) {
        return new ApiKey(value, "the caller");
    }

    /** Where the key came from, for error messages (never the key itself). */
    public String source() {
        return source;
    }

    String bearer() {
        return "Bearer " + value;
    }

    @Override
    public String toString() {
        return "ApiKey[hidden, from " + source + "]";
    }
}
