package io.irgstream.app.cli;

import io.irgstream.app.client.DatasetExport;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.topology.internals.TrajectoryFold;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/** {@code irg export --from T1 --to T2 --out DIR}: trajectories as a WebDataset for training pipelines. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write the trajectories submitted in [--from, --to) as a training-ready WebDataset under --out: tar "
                + "shards of --samples-per-shard samples, each <id>.json (prompt, thought, every reflection and verdict, "
                + "provenance, timings, image sha256s) with <id>.draft.png and <id>.final.png, plus manifest.json. "
                + "Resumable: a re-run into the same folder skips the trajectories already exported and never writes "
                + "one twice. Reads the compacted trajectories topic; see docs/export.md.")
public final class ExportCommand implements Callable<Integer> {
    /** Without --status: the trajectories that have ended, whose records no longer change (the topology's definition). */
    static final Set<TrajectoryStatus> ENDED = Arrays.stream(TrajectoryStatus.values()).filter(TrajectoryFold::isEnded)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(TrajectoryStatus.class)));

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--from", defaultValue = "1970-01-01T00:00:00Z", paramLabel = "TIME",
            description = "Trajectories submitted at or after this instant or ISO-8601 duration ago (default: the beginning).")
    String from;

    @Option(names = "--to", paramLabel = "TIME",
            description = "... and before this instant or ISO-8601 duration ago (default: now).")
    String to;

    @Option(names = "--status", split = ",", paramLabel = "STATUS",
            description = "Only these statuses (repeatable or comma-separated; default: every status in which a trajectory "
                    + "has ended and no longer changes: COMPLETED, FAILED, CANCELLED, EXPIRED). A trajectory is exported once, "
                    + "as it is then; a re-run does not update it.")
    List<String> statuses;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Dataset folder (new, or one an earlier export wrote, to resume or extend it).")
    Path out;

    @Option(names = "--samples-per-shard", defaultValue = "1000", paramLabel = "N",
            description = "Trajectories per tar shard (default: ${DEFAULT-VALUE}).")
    int samplesPerShard;

    @Override
    public Integer call() throws Exception {
        Instant start = parseTime("--from", from);
        Instant end = to == null ? Instant.now() : parseTime("--to", to);
        if (!start.isBefore(end)) {
            throw new IllegalArgumentException("--from " + start + " is not before --to " + end);
        }
        Set<TrajectoryStatus> wanted = parseStatuses(statuses);
        cluster.requireExternal();
        ImageStore images = new ImageStore(cluster.openBlobStore(), 0);
        DatasetExport export = new DatasetExport(out, images, samplesPerShard);
        PrintWriter err = spec.commandLine().getErr();
        long started = System.nanoTime();
        List<Trajectory> found = DatasetExport.read(cluster.kafka(),
                cluster.registry(), cluster.topicPrefix, start, end, wanted);
        DatasetExport.Summary s = export.run(found, listener(err));
        PrintWriter o = spec.commandLine().getOut();
        o.printf("exported %d trajectories into %d new shards (%d in all) under %s in %.1f s; %d were already exported; %d with unreadable images%n",
                s.exported(), s.shardsWritten(), s.shardsTotal(), out, (System.nanoTime() - started) / 1e9, s.alreadyExported(),
                s.withImageProblems());
        o.flush();
        return 0;
    }

    /** A bar redrawn in place when stderr is a terminal, else a line every 10 s. */
    private static DatasetExport.Listener listener(PrintWriter err) {
        if (stderrIsTerminal()) {
            return new DatasetExport.Listener() {
                Progress bar;

                @Override
                public void sampleWritten(String id, int done, int total) {
                    if (bar == null) {
                        bar = new Progress(err, total);
                    }
                    bar.update(done);
                }
            };
        }
        long started = System.nanoTime();
        return new DatasetExport.Listener() {
            long last = System.nanoTime();

            @Override
            public void sampleWritten(String id, int done, int total) {
                long now = System.nanoTime();
                if (now - last >= Duration.ofSeconds(10).toNanos() || done == total) {
                    last = now;
                    err.printf("irg export: %d/%d trajectories, %.1f s%n", done, total, (now - started) / 1e9);
                    err.flush();
                }
            }
        };
    }

    /**
     * Whether stderr is a terminal: where /proc tells (Linux), whether fd 2 is a tty device; elsewhere, whether the JVM
     * has a console (which says so for stdin and stdout, not stderr).
     */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    private static Instant parseTime(String option, String s) {
        try {
            return s.startsWith("P") ? Instant.now().minus(Duration.parse(s)) : Instant.parse(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + " '" + s + "' is neither an instant (2026-11-26T10:00:00Z) nor an ISO-8601 duration ago (P1D)");
        }
    }

    static Set<TrajectoryStatus> parseStatuses(List<String> given) {
        if (given == null || given.isEmpty()) {
            return ENDED;
        }
        Set<TrajectoryStatus> out = EnumSet.noneOf(TrajectoryStatus.class);
        for (String g : given) {
            try {
                out.add(TrajectoryStatus.valueOf(g.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown --status '" + g + "'; one of " + Arrays.stream(TrajectoryStatus.values())
                        .map(Enum::name).collect(Collectors.joining(", ")));
            }
        }
        return out;
    }
}
