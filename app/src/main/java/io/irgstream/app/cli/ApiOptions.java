package io.irgstream.app.cli;

import picocli.CommandLine.Option;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Where the trajectory API is: {@code ./irg dev}'s by default. */
public final class ApiOptions {
    @Option(names = "--api", defaultValue = "${env:IRG_API:-http://127.0.0.1:8080}", paramLabel = "URL",
            description = "Base URL of the trajectory API (./irg dev or ./irg topology; default: ${DEFAULT-VALUE}).")
    String api;

    @Option(names = "--api-key-file", defaultValue = "${env:IRG_API_KEY_FILE}", paramLabel = "FILE",
            description = "File holding the API key to send as 'Authorization: Bearer <key>' when the API has keys "
                    + "(./irg api-keys create; default: $IRG_API_KEY_FILE, else the key in $IRG_API_KEY, else none).")
    java.nio.file.Path apiKeyFile;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The API key from {@code --api-key-file} or {@code IRG_API_KEY}; null when neither is set. */
    String apiKey() {
        if (apiKeyFile != null) {
            try {
                return java.nio.file.Files.readString(apiKeyFile).strip();
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("cannot read the API key file " + apiKeyFile + ": " + e.getMessage());
            }
        }
        String env = System.getenv("IRG_API_KEY");
        return env == null || env.isBlank() ? null : env.strip();
    }

    URI uri(String path) {
        return URI.create(api.replaceAll("/+$", "") + path);
    }

    /** GETs {@code path}; a refused connection or an error status becomes one clear line. */
    <T> HttpResponse<T> get(String path, HttpResponse.BodyHandler<T> body) throws InterruptedException {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
            String key = apiKey();
            if (key != null) {
                request.header("Authorization", "Bearer " + key);
            }
            HttpResponse<T> r = http.send(request.build(), body);
            if (r.statusCode() == 404) {
                throw new IllegalArgumentException("not found: " + uri(path));
            }
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new IllegalArgumentException("the API answered " + r.statusCode() + " for " + uri(path)
                        + (key == null ? ": it needs an API key (--api-key-file FILE, or IRG_API_KEY)"
                        : ": the API key was refused or its role does not allow this"));
            }
            if (r.statusCode() >= 400) {
                throw new IllegalStateException("the API answered " + r.statusCode() + " for " + uri(path));
            }
            return r;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot reach the trajectory API at " + api + " (is ./irg dev running? --api): " + e);
        }
    }
}
