package io.irgstream.app.cli;

import io.irgstream.schemas.AvroJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code irg dead-letters}: list what the steps gave up on. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
        description = "List the dead letters (records a step gave up on) of a cluster, oldest first.")
public final class DeadLettersCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DeadLetterOptions deadLetters;

    @Option(names = "--json", description = "One JSON object per line (with the original value bytes, base64) instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        deadLetters.cluster.requireExternal();
        Instant from = deadLetters.from();
        PrintWriter out = spec.commandLine().getOut();
        int[] n = {0};
        if (!json) {
            out.println("last failed at\tstep\ttrajectory\tattempts\tsource\terror");
        }
        deadLetters.read(from, dl -> {
            n[0]++;
            if (json) {
                out.println(AvroJson.toJson(dl).toString());
            } else {
                out.println(dl.getLastFailedAt() + "\t" + dl.getStep() + "\t" + dl.getTrajectoryId() + "\t" + dl.getAttempts()
                        + "\t" + dl.getTopic() + "-" + dl.getPartition() + "@" + dl.getOffset() + "\t" + dl.getErrorClass()
                        + ": " + dl.getErrorMessage());
            }
        });
        if (!json) {
            out.println(n[0] + " dead letters since " + from);
        }
        out.flush();
        return 0;
    }
}
