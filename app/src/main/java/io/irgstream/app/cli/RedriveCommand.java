package io.irgstream.app.cli;

import io.irgstream.app.client.Redrive;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg redrive}: run one step again for historical trajectories and write the results as new revisions. */
@Command(name = "redrive", mixinStandardHelpOptions = true,
        description = "Run one step again (e.g. with a new model) for the trajectories whose step input was written in "
                + "[--from, --to), and write each result as a new revision of the step's output event (provenance "
                + "revision > 0) beside the original, which stays untouched. Workers ignore revisions; the trajectory "
                + "record lists them under 'revisions'. An input whose step already has a result made by the same model "
                + "file (the original or a revision) is skipped unless --force. See docs/reliability.md.")
public final class RedriveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--step", required = true, paramLabel = "STEP", description = "think, draw, reflect or refine.")
    String step;

    @Option(names = "--from", required = true, paramLabel = "TIME",
            description = "Inputs written at or after this ISO-8601 instant (2026-11-26T10:00:00Z) or UTC date (2026-11-26).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "Inputs written before this instant or UTC date (default: now).")
    String to;

    @Option(names = "--trajectory", paramLabel = "ID", description = "Only this trajectory; repeatable.")
    List<String> trajectories = List.of();

    @Option(names = "--model", paramLabel = "FILE",
            description = "TorchScript model file of the step (default: <--models>/<step>.pt, the step's configured model).")
    Path model;

    @Option(names = "--dry-run", description = "List what would be redriven; run and write nothing (the model file is "
            + "hashed, not loaded).")
    boolean dryRun;

    @Option(names = "--force", description = "Write a new revision also where this model already made a result.")
    boolean force;

    @Option(names = "--batch-size", defaultValue = "16", description = "Inputs per model call and per transaction (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--image-inline-max-bytes", defaultValue = "262144",
            description = "Larger output images go to the blob store (--blob-store, else under --data-dir/blobs) (the workers' image.inline.max.bytes; default: ${DEFAULT-VALUE}).")
    int imageInlineMaxBytes;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        Step s = Step.parse(step);
        Instant now = Instant.now();
        Instant start = parseTime("--from", from);
        if (start.isAfter(now)) {
            throw new IllegalArgumentException("--from " + start + " is in the future: nothing has run after it yet");
        }
        Instant end = to == null ? null : parseTime("--to", to);
        if (end != null && !end.isAfter(start)) {
            throw new IllegalArgumentException("--to " + end + " is not after --from " + start);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1");
        }
        Path file = model != null ? model : Models.file(cluster.modelDir, s);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("model file " + file + " for step " + s.id() + " does not exist"
                    + (model == null ? " (the default, from --models; give --model FILE)" : ""));
        }
        cluster.requireExternal();
        PrintWriter out = spec.commandLine().getOut();
        SchemaRegistryClient registry = cluster.registry();
        if (dryRun) {
            Redrive.Plan plan = Redrive.plan(cluster.kafka(), registry, cluster.topicPrefix, s, start, end,
                    new LinkedHashSet<>(trajectories), TorchScriptStepModel.sha256(file), force);
            print(out, plan, file, true);
            return 0;
        }
        // Loading checks the step contract: a file that is not a model of this step fails here, before any reading.
        try (StepModel m = StepModels.load(s, file)) {
            Redrive.Plan plan = Redrive.plan(cluster.kafka(), registry, cluster.topicPrefix, s, start, end,
                    new LinkedHashSet<>(trajectories), m.info().sha256(), force);
            print(out, plan, file, false);
            if (plan.toRedrive().isEmpty()) {
                return 0;
            }
            ImageStore images = new ImageStore(cluster.openBlobStore(), imageInlineMaxBytes);
            int[] failed = {0};
            List<Redrive.Result> results = Redrive.run(plan, cluster.kafka(), registry, cluster.topicPrefix, m,
                    images, batchSize, workerId(s), r -> {
                        if (r.error() != null) {
                            failed[0]++;
                            out.println("failed\t" + r.target().trajectoryId() + "\t" + r.target().round() + "\t" + r.error());
                        } else {
                            out.println("redriven\t" + r.target().trajectoryId() + "\t" + r.target().round()
                                    + "\trevision " + r.target().revision());
                        }
                        out.flush();
                    });
            out.println((results.size() - failed[0]) + " revisions written to " + cluster.topicPrefix
                    + outputBase(s) + (failed[0] > 0 ? ", " + failed[0] + " failed (nothing written for them)" : ""));
            out.flush();
            return failed[0] > 0 ? 1 : 0;
        }
    }

    private void print(PrintWriter out, Redrive.Plan plan, Path file, boolean dry) {
        List<Redrive.Target> todo = plan.toRedrive();
        out.println("redrive " + plan.step().id() + " with " + file + " (sha256 " + plan.modelSha256() + ")");
        for (Redrive.Target t : plan.targets()) {
            String line = t.trajectoryId() + "\t" + t.round() + "\toriginal model " + t.originalModelSha256().substring(0, 12);
            if (t.action() == Redrive.Action.REDRIVE) {
                if (dry) {
                    out.println("would redrive\t" + line + "\tas revision " + t.revision());
                }
            } else {
                out.println("skip\t" + line + "\t" + t.reason());
            }
        }
        if (todo.isEmpty()) {
            out.println("nothing to redrive: " + plan.targets().size() + " results of " + plan.step().id()
                    + " in the window, " + (plan.targets().size() - todo.size()) + " already made by this model (--force "
                    + "redrives them anyway), " + plan.notProcessed() + " inputs not answered by the step (in flight, "
                    + "cancelled or dead-lettered)");
        } else {
            out.println(todo.size() + " of " + plan.targets().size() + " results of " + plan.step().id()
                    + (dry ? " would be" : " will be") + " redriven; " + plan.notProcessed() + " inputs not answered by the step");
        }
        out.flush();
    }

    private static String outputBase(Step s) {
        return switch (s) {
            case THINK -> "thoughts";
            case DRAW -> "draft-images";
            case REFLECT -> "reflections";
            case REFINE -> "final-images";
        };
    }

    private static String workerId(Step s) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return "redrive-" + s.id() + "-" + host;
    }

    /** An ISO-8601 instant, or a date (its start, UTC). */
    static Instant parseTime(String option, String s) {
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException notInstant) {
            try {
                return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (DateTimeParseException notDate) {
                throw new IllegalArgumentException(option + " '" + s + "' is neither an ISO-8601 instant "
                        + "(2026-11-26T10:00:00Z) nor a date (2026-11-26)");
            }
        }
    }
}
