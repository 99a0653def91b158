package io.irgstream.shapes.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bytedeco.pytorch.JitModule;

/**
 * A training checkpoint in a work folder: the training module, the EMA module and a small JSON state
 * ({@code <name>-state.json}: step count, elapsed seconds, config). Files are written to temporary names and moved
 * into place, so a run cut off at any moment leaves the previous checkpoint intact.
 */
public final class Checkpoint {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final String name;

    /** A checkpoint named {@code name} (e.g. {@code draw}) in {@code dir}. */
    public Checkpoint(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** The training module file. */
    public Path trainFile() {
        return dir.resolve(name + "-train.pt");
    }

    /** The EMA (sampling) module file. */
    public Path emaFile() {
        return dir.resolve(name + "-ema.pt");
    }

    /** The state file. */
    public Path stateFile() {
        return dir.resolve(name + "-state.json");
    }

    /** Whether a complete checkpoint exists. */
    public boolean exists() {
        return Files.isRegularFile(stateFile()) && Files.isRegularFile(trainFile()) && Files.isRegularFile(emaFile());
    }

    /** Reads the state of an existing checkpoint. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> readState() {
        try {
            return JSON.readValue(stateFile().toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint state " + stateFile() + ": " + e.getMessage(), e);
        }
    }

    /** Writes the two modules and the state. */
    public void write(JitModule train, JitModule ema, Map<String, Object> state) {
        try {
            Files.createDirectories(dir);
            Path t = dir.resolve(name + "-train.pt.tmp");
            Path e = dir.resolve(name + "-ema.pt.tmp");
            Path s = dir.resolve(name + "-state.json.tmp");
            train.save(t.toString());
            ema.save(e.toString());
            JSON.writerWithDefaultPrettyPrinter().writeValue(s.toFile(), state);
            Files.move(t, trainFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(e, emaFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(s, stateFile(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write checkpoint in " + dir + ": " + ex.getMessage(), ex);
        }
    }
}
