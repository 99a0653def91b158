package io.irgstream.shapes.paint;

import io.irgstream.shapes.train.StepTrainer;
import io.irgstream.shapes.train.TrainOptions;
import io.irgstream.shapes.train.TrainResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Command-line entry to train the painter's modules directly (the project's {@code irg train} goes through
 * {@code io.irgstream.shapes.train.Training}). Usage:
 * {@code PaintTrain draw|refine|nothink [--out DIR] [--work DIR] [--minutes M] [--steps N] [--seed S] [--threads T] [--quick]}.
 * Training resumes from the last checkpoint in the work folder.
 */
public final class PaintTrain {
    private PaintTrain() {
    }

    /** Runs one trainer; prints progress lines with a UTC timestamp. */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: PaintTrain draw|refine|nothink [--out DIR] [--work DIR] [--minutes M] [--steps N] [--seed S] [--threads T] [--quick]");
            System.exit(2);
        }
        String which = args[0];
        Path out = Path.of("models/shapes");
        Path work = Path.of(".irg/train/" + which);
        double minutes = 40;
        int steps = 0;
        long seed = 1;
        int threads = 0;
        boolean quick = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> {
                    System.err.println("unknown option " + args[i]);
                    System.exit(2);
                }
            }
        }
        StepTrainer trainer = switch (which) {
            case "draw" -> new DrawTrainer();
            case "refine" -> new RefineTrainer();
            case "nothink" -> new NoThinkTrainer();
            default -> throw new IllegalArgumentException("unknown trainer '" + which + "': expected draw, refine or nothink");
        };
        TrainOptions opts = new TrainOptions(out, work, seed, quick, Duration.ofMillis((long) (minutes * 60_000)), steps,
                threads, line -> System.out.println(Instant.now() + " " + line));
        TrainResult r = trainer.train(opts);
        System.out.println(String.format(Locale.ROOT, "RESULT %s steps %d firstLoss %.5f finalLoss %.5f seconds %.0f",
                r.modelPath(), r.steps(), r.firstLoss(), r.finalLoss(), r.seconds()));
    }
}
