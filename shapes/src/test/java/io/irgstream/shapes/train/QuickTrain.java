package io.irgstream.shapes.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/** Quick training runs for the trainers' tests: in a test folder, two minutes at most, checked to lower the loss. */
public final class QuickTrain {
    private QuickTrain() {
    }

    /** Options of a quick run writing to {@code dir/out} and keeping checkpoints in {@code dir/work}. */
    public static TrainOptions options(Path dir, long seed, int threads, Consumer<String> log) {
        return new TrainOptions(dir.resolve("out"), dir.resolve("work"), seed, true, Duration.ofMinutes(2), 0, threads,
                log);
    }

    /** Options of a quick run with all processors, logging to standard output. */
    public static TrainOptions options(Path dir, long seed) {
        return options(dir, seed, 0, System.out::println);
    }

    /** Trains and checks that the last logged loss is lower than the first. */
    public static TrainResult lowersLoss(StepTrainer trainer, TrainOptions opts) {
        TrainResult r = trainer.train(opts);
        assertThat(r.finalLoss()).isLessThan(r.firstLoss());
        return r;
    }
}
