package io.irgstream.topology.internals;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's errors - those it answers before a request reaches the API, such as a URI or headers too large or a path
 * it cannot parse - as {@code {"error": "<one line>"}} like every other error of the API, instead of Jetty's HTML
 * page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) throws IOException {
        String text = switch (code) {
            case 400 -> "bad request: the request line, path or headers cannot be parsed";
            case 414 -> "the request URI is too long";
            case 431 -> "the request headers are too large";
            case 404 -> "not found";
            case 405 -> "method not allowed";
            case 413 -> "the request body is too large";
            default -> code >= 500 ? "internal error" : "the request cannot be answered (HTTP " + code + ")";
        };
        byte[] body;
        try {
            body = TrajectoryJson.MAPPER.writeValueAsBytes(TrajectoryJson.MAPPER.createObjectNode().put("error", text));
        } catch (JsonProcessingException e) {
            body = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
