package io.irgstream.shapes.train;

import java.nio.file.Path;
import java.util.Map;

/**
 * Outcome of one training run.
 *
 * @param modelPath the module file written
 * @param firstLoss mean loss over the first logged window of this run (NaN when no step ran)
 * @param finalLoss mean loss over the last logged window
 * @param steps     total optimizer steps of the model, including steps of resumed runs
 * @param seconds   wall-clock seconds of this run
 * @param config    training configuration, recorded in the manifest
 */
public record TrainResult(Path modelPath, double firstLoss, double finalLoss, long steps, double seconds,
                          Map<String, Object> config) {
    public TrainResult {
        config = Map.copyOf(config);
    }
}
