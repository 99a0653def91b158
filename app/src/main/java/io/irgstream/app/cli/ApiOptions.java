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

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    URI uri(String path) {
        return URI.create(api.replaceAll("/+$", "") + path);
    }

    /** GETs {@code path}; a refused connection or an error status becomes one clear line. */
    <T> HttpResponse<T> get(String path, HttpResponse.BodyHandler<T> body) throws InterruptedException {
        try {
            HttpResponse<T> r = http.send(HttpRequest.newBuilder(uri(path)).build(), body);
            if (r.statusCode() == 404) {
                throw new IllegalArgumentException("not found: " + uri(path));
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
