package io.irgstream.model;

/**
 * Provenance of one call to a remote model server, recorded on the event it made. Never holds credentials.
 *
 * @param backend          the backend that made the call, e.g. {@code openai}
 * @param host             the server's host[:port] (no path, no credentials)
 * @param model            the model name the server was asked for
 * @param responseId       the server's id of the response (its {@code id} field or {@code x-request-id} header), or
 *                         null when it gave none
 * @param promptTokens     input tokens the server reported, or null
 * @param completionTokens output tokens the server reported, or null
 * @param latencyMs        milliseconds from sending the request to reading the whole answer (of the attempt that
 *                         succeeded)
 * @param seed             the seed the server said it used (it echoed the seed it was sent and honours it), or null
 *                         when it did not echo one: such a result cannot be reproduced
 */
public record RemoteCall(String backend, String host, String model, String responseId, Integer promptTokens,
                         Integer completionTokens, long latencyMs, Long seed) {
}
