package io.irgstream.model;

/**
 * Identity of a loaded step model, recorded as provenance on every event it produces.
 *
 * @param name            model name (e.g. {@code shapes-draw})
 * @param sha256          hex sha256 of the model file as loaded; for a remote model, the sha256 its server
 *                        reported for it, or {@code ""} when the server reported none
 * @param contractVersion version of the step contract the model implements
 * @param device          where it runs ({@code cpu}, {@code cuda:0}; {@code remote:<host>} for a remote model)
 * @param backend         the engine behind it: {@code torchscript} (in-process) or {@code openai} (a remote server)
 */
public record ModelInfo(String name, String sha256, int contractVersion, String device, String backend) {
    /** The backend of models that run in-process on libtorch. */
    public static final String TORCHSCRIPT = "torchscript";

    /** A model that runs in-process on libtorch. */
    public ModelInfo(String name, String sha256, int contractVersion, String device) {
        this(name, sha256, contractVersion, device, TORCHSCRIPT);
    }

    /**
     * The name a model file is known under: {@code <folder>-<file name without extension>}, e.g. {@code shapes-draw}
     * for {@code models/shapes/draw.pt}.
     */
    public static String nameOf(java.nio.file.Path file) {
        java.nio.file.Path abs = file.toAbsolutePath().normalize();
        String base = abs.getFileName().toString();
        int dot = base.lastIndexOf('.');
        if (dot > 0) {
            base = base.substring(0, dot);
        }
        java.nio.file.Path parent = abs.getParent();
        return parent == null || parent.getFileName() == null ? base : parent.getFileName() + "-" + base;
    }
}
