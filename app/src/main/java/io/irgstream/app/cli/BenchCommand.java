package io.irgstream.app.cli;

import io.irgstream.app.bench.DeviceProfile;
import io.irgstream.app.bench.PipelineBench;
import io.irgstream.app.bench.PriorityBench;
import io.irgstream.app.bench.ReplayStepModel;
import io.irgstream.app.bench.RecordedTraces;
import io.irgstream.app.bench.SimulatedDeviceBench;
import io.irgstream.schemas.client.Submission;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.shapes.prompts.PromptSet;
import io.irgstream.shapes.prompts.PromptSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code irg bench}: what the pipeline costs over its models, and with {@code --simulated-device} how it scales out
 * over workers per step on a simulated device (docs/benchmarks.md).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure the pipeline against the models called "
        + "directly: throughput ratio, per-hop latency under load and idle, and a max.batch.size sweep. With "
        + "--simulated-device: scale-out over --workers-per-step with replay models (outputs recorded from the real "
        + "models) that take a device's time. Prints a table and writes bench.json.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--prompts", defaultValue = "200", description = "Trajectories per run (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "16,1,4", description = "max.batch.size values; the first is the main run, with idle latency (default: ${DEFAULT-VALUE}).")
    int[] batchSizes;

    @Option(names = "--idle", description = "Trajectories run one at a time for the idle latency (default: 50; 20 "
            + "with --simulated-device, after each scale-out run).")
    Integer idle;

    @Option(names = "--simulated-device", description = "Measure scale-out instead: record the real models' outputs "
            + "once over --record-prompts prompts, then run the pipeline with replay models that answer with them and "
            + "wait a device's time per batch (--device-profile), for each count of --workers-per-step. Uses the "
            + "first of --batch-sizes.")
    boolean simulatedDevice;

    @Option(names = "--workers-per-step", split = ",", paramLabel = "N", description = "With --simulated-device: "
            + "workers per step of each run, 1.." + MAX_WORKERS_PER_STEP + " (1 is always run: efficiencies are "
            + "relative to it; default: 1,2,4,8).")
    int[] workersPerStep;

    @Option(names = "--device-profile", paramLabel = "FILE", description = "With --simulated-device: the device's "
            + "time per call of each step (JSON, see docs/benchmarks.md; default: the built-in H200 profile).")
    Path deviceProfile;

    @Option(names = "--record-prompts", defaultValue = "30", description = "With --simulated-device: distinct "
            + "prompts recorded with the real models and replayed (default: ${DEFAULT-VALUE}).")
    int recordPrompts;

    @Option(names = "--rounds", defaultValue = "1", description = "With --simulated-device: reflection rounds of "
            + "each trajectory (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--seconds", defaultValue = "20", description = "With --simulated-device: each run submits "
            + "enough trajectories to keep its workers busy this long at the 1-worker rate (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(names = "--max-trajectories", defaultValue = "25000", description = "With --simulated-device: the most "
            + "trajectories of one run, which bounds the bench's time (default: ${DEFAULT-VALUE}).")
    int maxTrajectories;

    @Option(names = "--priority-backlog", paramLabel = "N", description = "With --simulated-device: measure "
            + "priorities and fair share instead of scale-out: idle end-to-end latency, interactive trajectories "
            + "behind N batch ones, a second tenant behind --tenant-backlog of a first tenant's, and the drain times; "
            + "once with the admission scheduler (--scheduler-window), once without (docs/benchmarks.md).")
    Integer priorityBacklog;

    @Option(names = "--tenant-backlog", defaultValue = "1000", paramLabel = "N", description = "With "
            + "--priority-backlog: the first tenant's backlog (default: ${DEFAULT-VALUE}).")
    int tenantBacklog;

    @Option(names = "--priority-samples", defaultValue = "5", paramLabel = "N", description = "With "
            + "--priority-backlog: trajectories measured behind each backlog, one at a time (default: "
            + "${DEFAULT-VALUE}).")
    int prioritySamples;

    @Option(names = "--scheduler-window", split = ",", paramLabel = "N", description = "With --priority-backlog: "
            + "the scheduler's window per partition, one run each, then one without the scheduler (default: the "
            + "topology's, " + TopologyConfig.DEFAULT_SCHEDULER_WINDOW + ").")
    int[] schedulerWindow;

    @Option(names = "--topology-commit-ms", paramLabel = "MS", description = "With --priority-backlog: the "
            + "topology's Kafka Streams commit.interval.ms (default: the topology's, 100).")
    Integer topologyCommitMs;

    /** The most workers per step the embedded stack runs. */
    static final int MAX_WORKERS_PER_STEP = 16;

    @Option(names = "--models", defaultValue = "${env:IRG_MODELS:-models/shapes}", description = "Model folder.")
    Path modelDir;

    @Option(names = "--out", defaultValue = "bench.json", paramLabel = "FILE|DIR", description = "Where to write the "
            + "figures: a file ending in .json, or a folder (created if missing) that gets bench.json; checked before "
            + "the bench starts (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        checkOptions();
        Models.requirePresent(modelDir);
        Path outFile = benchFile(out); // before minutes of work: a wrong --out fails now
        if (simulatedDevice) {
            return simulated(outFile);
        }
        int idle = this.idle == null ? 50 : this.idle;
        List<String> prompts = new ArrayList<>();
        List<PromptSpec> specs = PromptSet.heldOut((n + 5) / 6);
        for (int i = 0; i < n; i++) {
            prompts.add(specs.get(i % specs.size()).text());
        }
        Path work = Files.createTempDirectory("irg-bench");
        try {
            PipelineBench bench = new PipelineBench(Models.loader(modelDir), prompts, work, System.out);
            List<PipelineBench.Run> runs = bench.run(batchSizes, idle);
            spec.commandLine().getOut().println();
            spec.commandLine().getOut().print(PipelineBench.table(runs, n));
            PipelineBench.writeJson(runs, n, outFile);
            spec.commandLine().getOut().println("\nwrote " + outFile);
            spec.commandLine().getOut().flush();
        } finally {
            io.irgstream.app.client.OutputWriter.deleteRecursively(work);
        }
        return 0;
    }

    /**
     * Checks the options against each other before anything starts.
     *
     * @throws IllegalArgumentException naming the option that is wrong
     */
    void checkOptions() {
        if (n < 1) {
            throw new IllegalArgumentException("--prompts must be at least 1");
        }
        if (batchSizes == null || batchSizes.length == 0 || Arrays.stream(batchSizes).anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("--batch-sizes must be positive integers, got "
                    + Arrays.toString(batchSizes));
        }
        if (idle != null && idle < 0) {
            throw new IllegalArgumentException("--idle must be >= 0, got " + idle);
        }
        if (!simulatedDevice) {
            if (workersPerStep != null || deviceProfile != null) {
                throw new IllegalArgumentException((workersPerStep != null ? "--workers-per-step" : "--device-profile")
                        + " needs --simulated-device");
            }
            return;
        }
        if (workersPerStep == null) {
            workersPerStep = new int[]{1, 2, 4, 8};
        }
        if (workersPerStep.length == 0) {
            throw new IllegalArgumentException("--workers-per-step is empty: give counts like 1,2,4,8");
        }
        for (int w : workersPerStep) {
            if (w < 1 || w > MAX_WORKERS_PER_STEP) {
                throw new IllegalArgumentException("--workers-per-step: " + w + " is not in 1.." + MAX_WORKERS_PER_STEP);
            }
        }
        if (recordPrompts < 1) {
            throw new IllegalArgumentException("--record-prompts must be at least 1, got " + recordPrompts);
        }
        if (rounds < 1 || rounds > Submission.MAX_ROUNDS) {
            throw new IllegalArgumentException("--rounds must be in 1.." + Submission.MAX_ROUNDS + ", got " + rounds);
        }
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new IllegalArgumentException("--seconds must be positive, got " + seconds);
        }
        if (maxTrajectories < 1) {
            throw new IllegalArgumentException("--max-trajectories must be at least 1, got " + maxTrajectories);
        }
        if (deviceProfile != null) {
            DeviceProfile.read(deviceProfile); // a wrong file fails now, not after the recording
        }
        if (priorityBacklog != null) {
            if (priorityBacklog < 1 || tenantBacklog < 1 || prioritySamples < 1) {
                throw new IllegalArgumentException("--priority-backlog, --tenant-backlog and --priority-samples must "
                        + "be at least 1");
            }
            if (schedulerWindow != null && Arrays.stream(schedulerWindow).anyMatch(w -> w < 1)) {
                throw new IllegalArgumentException("--scheduler-window must be at least 1, got "
                        + Arrays.toString(schedulerWindow));
            }
            if (topologyCommitMs != null && topologyCommitMs < 1) {
                throw new IllegalArgumentException("--topology-commit-ms must be at least 1, got " + topologyCommitMs);
            }
        } else if (schedulerWindow != null || topologyCommitMs != null) {
            throw new IllegalArgumentException("--scheduler-window and --topology-commit-ms need --priority-backlog");
        }
    }

    /** {@code --simulated-device}: record the real models once, then the scale-out runs with replay models. */
    private Integer simulated(Path outFile) throws Exception {
        DeviceProfile device = deviceProfile == null ? DeviceProfile.defaultProfile() : DeviceProfile.read(deviceProfile);
        List<String> prompts = new ArrayList<>();
        int perCategory = recordPrompts / 10 + 2; // more than enough: a text may repeat
        List<PromptSpec> specs = PromptSet.heldOut(perCategory); // perCategory of each category, category by category
        int categories = specs.size() / perCategory;
        for (int i = 0; i < specs.size() && prompts.size() < recordPrompts; i++) {
            String text = specs.get((i % categories) * perCategory + i / categories).text(); // every category in turn
            if (!prompts.contains(text)) {
                prompts.add(text);
            }
        }
        PrintStream log = System.out;
        log.printf("recording the real models (%s) over %d prompts, %d round(s)...%n", modelDir, prompts.size(), rounds);
        long t0 = System.nanoTime();
        RecordedTraces traces = RecordedTraces.record(Models.loader(modelDir), prompts, 1000, rounds,
                batchSizes[0], log);
        log.printf("recorded %d model calls in %.1f s%n", traces.calls().size(), (System.nanoTime() - t0) / 1e9);
        SimulatedDeviceBench.Settings settings = new SimulatedDeviceBench.Settings(batchSizes[0], seconds,
                Math.min(maxTrajectories, 4 * batchSizes[0]), maxTrajectories, idle == null ? 20 : idle);
        if (priorityBacklog != null) {
            return priorities(traces, device, outFile);
        }
        Path work = Files.createTempDirectory("irg-bench");
        try {
            SimulatedDeviceBench bench = new SimulatedDeviceBench(traces, device, work, log, settings);
            List<SimulatedDeviceBench.Run> runs = bench.run(workersPerStep);
            bench.writeJson(runs, outFile);
            printTable(SimulatedDeviceBench.table(runs, device, batchSizes[0]), outFile);
        } finally {
            io.irgstream.app.client.OutputWriter.deleteRecursively(work);
        }
        return 0;
    }

    /** {@code --priority-backlog}: the priority bench on the simulated device, with and without the scheduler. */
    private Integer priorities(RecordedTraces traces, DeviceProfile device, Path outFile) throws Exception {
        List<PriorityBench.Prompt> prompts = new ArrayList<>();
        for (String p : traces.prompts()) {
            prompts.add(new PriorityBench.Prompt(p, traces.seedOf(p)));
        }
        double fullBatchMs = 0; // of the busiest step that makes calls (refine makes none when every verdict is SATISFIED)
        for (io.irgstream.model.Step s : io.irgstream.model.Step.values()) {
            if (traces.callsPerTrajectory(s) > 0) {
                fullBatchMs = Math.max(fullBatchMs, traces.callsPerTrajectory(s) * device.nanos(s, batchSizes[0]) / 1e6);
            }
        }
        PriorityBench.Settings settings = new PriorityBench.Settings(priorityBacklog, tenantBacklog, prioritySamples,
                idle == null ? 20 : idle, batchSizes[0], 4, TopologyConfig.DEFAULT_SCHEDULER_INTERACTIVE_HEADROOM);
        Path work = Files.createTempDirectory("irg-bench");
        try {
            PriorityBench bench = new PriorityBench(step -> new ReplayStepModel(step, traces, device), prompts,
                    fullBatchMs, work, System.out, settings);
            List<PriorityBench.Run> runs = new ArrayList<>();
            for (int w : schedulerWindow == null ? new int[] {TopologyConfig.DEFAULT_SCHEDULER_WINDOW}
                    : schedulerWindow) {
                runs.add(bench.run(w, topologyCommitMs));
            }
            runs.add(bench.run(0, topologyCommitMs));
            bench.writeJson(runs, outFile);
            printTable(bench.table(runs), outFile);
        } finally {
            io.irgstream.app.client.OutputWriter.deleteRecursively(work);
        }
        return 0;
    }

    /** Prints a bench's table and where its figures were written. */
    private void printTable(String table, Path outFile) {
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println();
        out.print(table);
        out.println("\nwrote " + outFile);
        out.flush();
    }

    /**
     * The file {@code --out} names: {@code out} itself when it ends in {@code .json} (its folder created if missing),
     * else {@code out/bench.json} (the folder created if missing). Checks that the file can be written, leaving no file
     * behind that was not there.
     *
     * @throws IllegalArgumentException naming {@code --out} when it cannot be written
     */
    static Path benchFile(Path out) {
        Path file = out.getFileName() != null && out.getFileName().toString().endsWith(".json") && !Files.isDirectory(out)
                ? out : out.resolve("bench.json");
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("--out " + out + ": " + file + " is a folder");
            }
            if (Files.exists(file)) {
                if (!Files.isWritable(file)) {
                    throw new IllegalArgumentException("--out " + out + ": " + file + " is not writable");
                }
            } else {
                Files.delete(Files.createFile(file)); // can a file be created there?
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--out " + out + ": cannot write " + file + ": " + e, e);
        }
        return file;
    }
}
