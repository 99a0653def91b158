package io.irgstream.app.cli;

import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.torch.StepModels;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * The model files of a folder by their sha256, loaded on first use: what replay and audit need to re-run a step with
 * exactly the model that first ran it. Close it to free the loaded models.
 */
final class ModelsBySha implements BiFunction<Step, String, Optional<StepModel>>, AutoCloseable {
    private final Map<String, Path> files;
    private final Map<Path, StepModel> loaded = new HashMap<>();

    ModelsBySha(Path dir) throws IOException {
        this.files = scan(dir);
    }

    @Override
    public Optional<StepModel> apply(Step step, String sha256) {
        return Optional.ofNullable(files.get(sha256)).map(p -> loaded.computeIfAbsent(p, f -> StepModels.load(step, f)));
    }

    @Override
    public void close() {
        loaded.values().forEach(StepModel::close);
        loaded.clear();
    }

    /** The .pt files under {@code dir} (two levels deep) by their sha256. */
    static Map<String, Path> scan(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model folder " + dir + " does not exist (--models)");
        }
        Map<String, Path> out = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir, 2)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".pt")).toList()) {
                MessageDigest md;
                try {
                    md = MessageDigest.getInstance("SHA-256");
                } catch (NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                    in.transferTo(OutputStream.nullOutputStream());
                }
                out.put(HexFormat.of().formatHex(md.digest()), p);
            }
        }
        return out;
    }
}
