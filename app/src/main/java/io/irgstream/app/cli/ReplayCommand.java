package io.irgstream.app.cli;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.schemas.PrintableText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg replay ID}: rebuild a trajectory from the topics, check its images, optionally re-run every step. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuild a trajectory from the topics alone, check every image against its sha256, and with "
                + "--verify re-run every step from its recorded input, seed, sampler parameters and model file (found "
                + "by its sha256 under --models), reporting identical, within tolerance (max pixel difference) or different. A step "
                + "that a remote model server ran is 'not reproducible: remote backend' unless the server echoed the "
                + "seed it honoured and named its model's sha256, and that model file is under --models.")
public final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrajectoryTopicsOptions trajectory;

    @Option(names = "--verify", description = "Re-run every step and compare.")
    boolean verify;

    @Option(names = "--since", defaultValue = "1970-01-01T00:00:00Z", description = "Read the topics from this instant or ISO-8601 duration ago (default: the beginning).")
    String since;

    @Override
    public Integer call() throws Exception {
        CollectedTrajectory t = trajectory.collectSince(DeadLetterOptions.parseSince(since));
        List<Replay.StepCheck> checks = trajectory.check(t, trajectory.images(), verify);
        PrintWriter out = spec.commandLine().getOut();
        out.println("trajectory " + trajectory.id + ": \"" + PrintableText.escape(t.prompt().getContext().getPrompt()) + "\" seed " + t.prompt().getContext().getSeed());
        out.println("step\tround\trevision\tproduced at\tmodel\tworker\tattempt\tseed\timage\treplay");
        boolean bad = false;
        for (Replay.StepCheck c : checks) {
            out.println(c.step() + "\t" + c.round() + "\t" + c.provenance().getRevision() + "\t" + c.producedAt() + "\t" + c.provenance().getModelName() + "@"
                    + shortSha(c.provenance().getModelSha256()) + "\t" + c.provenance().getWorkerId() + "\t"
                    + c.provenance().getAttempt() + "\t" + c.provenance().getStepSeed() + "\t" + c.imageCheck() + "\t"
                    + c.outcome() + (c.detail().isEmpty() ? "" : " (" + c.detail() + ")"));
            bad |= c.imageCheck().startsWith("TAMPERED") || c.outcome() == Replay.Outcome.DIFFERENT
                    || c.outcome() == Replay.Outcome.MODEL_MISSING;
        }
        t.deadLetters().forEach(d -> out.println("dead letter\t" + d.getStep() + "\t" + d.getLastFailedAt() + "\t" + PrintableText.escape(d.getErrorMessage())));
        out.flush();
        return bad ? 1 : 0;
    }

    private static String shortSha(String sha) {
        return sha.isEmpty() ? "(remote)" : sha.substring(0, Math.min(12, sha.length()));
    }

}
