package io.irgstream.app.cli;

import io.irgstream.shapes.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg train}: trains the shapes-world step models (docs/models.md). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train the shapes-world step models from procedurally generated data and write TorchScript "
                + "modules plus manifest.json (docs/models.md).",
                "Options: [--step think|draw|reflect|refine|all]... [--quick] [--out DIR (default models/shapes)] "
                        + "[--work DIR (checkpoints, default .irg/train)] [--seed N] [--minutes M (wall-clock budget shared by the steps, default 90)] "
                        + "[--threads N] [--max-steps N] [--promote-from DIR]",
                "--quick trains tiny versions in seconds. A run that is cut off resumes from its last checkpoint."})
public final class TrainCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        Training.main(args.toArray(String[]::new));
        return 0;
    }
}
