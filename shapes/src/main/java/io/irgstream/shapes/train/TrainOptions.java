package io.irgstream.shapes.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Options of one training run.
 *
 * @param outDir  where the trained module file is written (e.g. {@code models/shapes})
 * @param workDir where checkpoints are kept; a run resumes from the last checkpoint found here
 * @param seed    seed of all data generation and initialisation
 * @param quick   train a tiny version for a few steps (seconds), for tests and smoke runs
 * @param budget  wall-clock budget; the trainer stops, exports and returns when it is spent
 * @param maxSteps most optimizer steps (0 = the trainer's default for the mode)
 * @param threads intra-op threads for libtorch (0 = all available processors)
 * @param log     sink for progress lines
 */
public record TrainOptions(Path outDir, Path workDir, long seed, boolean quick, Duration budget, int maxSteps,
                           int threads, Consumer<String> log) {
    public TrainOptions {
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(budget, "budget");
        Objects.requireNonNull(log, "log");
        if (budget.isNegative() || budget.isZero()) {
            throw new IllegalArgumentException("budget must be positive, got " + budget);
        }
        if (maxSteps < 0 || threads < 0) {
            throw new IllegalArgumentException("maxSteps and threads must be >= 0, got " + maxSteps + ", " + threads);
        }
    }

    /** Options with default steps and threads, logging to standard output. */
    public static TrainOptions of(Path outDir, Path workDir, long seed, boolean quick, Duration budget) {
        return new TrainOptions(outDir, workDir, seed, quick, budget, 0, 0, System.out::println);
    }

    /** A copy with another step limit. */
    public TrainOptions withMaxSteps(int steps) {
        return new TrainOptions(outDir, workDir, seed, quick, budget, steps, threads, log);
    }

    /** A copy with another log sink. */
    public TrainOptions withLog(Consumer<String> sink) {
        return new TrainOptions(outDir, workDir, seed, quick, budget, maxSteps, threads, sink);
    }

    /** The libtorch thread count to use. */
    public int effectiveThreads() {
        return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors());
    }
}
