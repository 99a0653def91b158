package io.irgstream.model;

/**
 * Identity of a loaded step model, recorded as provenance on every event it produces.
 *
 * @param name            model name (e.g. {@code shapes-draw})
 * @param sha256          hex sha256 of the model file as loaded
 * @param contractVersion version of the step contract the model implements
 * @param device          where it runs ({@code cpu}, {@code cuda:0})
 */
public record ModelInfo(String name, String sha256, int contractVersion, String device) {
}
