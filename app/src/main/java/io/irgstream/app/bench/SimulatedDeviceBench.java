package io.irgstream.app.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.model.Step;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.WorkerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * Scale-out of the pipeline on a simulated device ({@code ./irg bench --simulated-device}): every step model is a
 * {@link ReplayStepModel} that answers with outputs recorded from the real models and takes the device time of a
 * {@link DeviceProfile}, so what is measured is the pipeline (broker, transactions, workers, Avro, PNG), not this
 * machine's CPU running the models. For each N of the workers-per-step list it starts an {@link EmbeddedStack} (a real
 * in-process broker, N real workers per step, each with its own replay model, topics with at least max(N)
 * partitions), submits a burst of trajectories sized to keep the N workers busy for about {@code seconds} at the
 * 1-worker rate (at most {@code maxTrajectories}), and measures:
 * <ul>
 *   <li><b>throughput</b>: trajectories per second from the first submit to the last final image;</li>
 *   <li><b>efficiency</b> = throughput / (N x throughput with 1 worker per step);</li>
 *   <li><b>per-hop latency</b> (the {@code queueWaitMs} each worker records: from the upstream worker's send to the
 *       model call) under that load, and idle (one trajectory at a time, after the load run);</li>
 *   <li><b>cores busy</b>: this process's CPU time during the load over its wall time (the device waits use none,
 *       so this is what the broker, workers and clients cost).</li>
 * </ul>
 * It measures; it asserts nothing.
 */
public final class SimulatedDeviceBench {
    private final RecordedTraces traces;
    private final DeviceProfile device;
    private final Path workDir;
    private final PrintStream out;
    private final Settings settings;

    /**
     * What the bench runs.
     *
     * @param batchSize       the workers' max.batch.size
     * @param seconds         how long each run should keep its N workers busy at the 1-worker rate
     * @param minTrajectories the fewest trajectories of a load run
     * @param maxTrajectories the most trajectories of a load run (bounds the bench's time)
     * @param idle            trajectories run one at a time after each load run, for the idle per-hop latency
     */
    public record Settings(int batchSize, double seconds, int minTrajectories, int maxTrajectories, int idle) {
        public Settings {
            if (batchSize < 1 || minTrajectories < 1 || maxTrajectories < minTrajectories || idle < 0 || !(seconds > 0)) {
                throw new IllegalArgumentException("bench settings out of range: " + batchSize + ", " + seconds + " s, "
                        + minTrajectories + ".." + maxTrajectories + " trajectories, " + idle + " idle");
            }
        }
    }

    /** One run with {@code workers} workers per step. */
    public record Run(int workers, int trajectories, double seconds, double throughput, double efficiency,
                      double[] hopLoadMs, double[] hopIdleMs, double[] endToEndMs, Incidents incidents,
                      double cpuCoresUsed, Map<Step, DeviceUse> devices) {
    }

    /**
     * How a step's simulated devices were used during a load run.
     *
     * @param busy      device time over (workers x the run's time): 1 is a device that never waits for work
     * @param meanBatch requests per model call
     */
    public record DeviceUse(double busy, double meanBatch) {
    }

    /**
     * What went other than planned in a run, summed over its workers (from their stats), and the events the watcher
     * saw twice (read_committed: an aborted transaction's events are never seen, so this should be 0).
     *
     * @param restarts        times a worker re-created its Kafka clients after a fatal client or transaction error
     * @param abortedBatches  batches whose transaction was aborted (and that ran again)
     * @param retries         records sent to a retry topic
     * @param rebalances      times a group took partitions from a worker (the joins at start-up included)
     * @param duplicateEvents events of a trajectory with the same step and round as another
     */
    public record Incidents(long restarts, long abortedBatches, long retries, long rebalances, long duplicateEvents) {
    }

    /**
     * @param traces  the recorded outputs the replay models answer with (every trajectory uses a recorded prompt and
     *                its recorded seed)
     * @param device  the simulated device's time per call
     * @param workDir scratch space for the brokers' data (deleted by the caller)
     */
    public SimulatedDeviceBench(RecordedTraces traces, DeviceProfile device, Path workDir, PrintStream out,
                                Settings settings) {
        if (traces.prompts().isEmpty()) {
            throw new IllegalArgumentException("the recording has no prompt the think model accepted");
        }
        this.traces = traces;
        this.device = device;
        this.workDir = workDir;
        this.out = out;
        this.settings = settings;
    }

    /**
     * The pipeline's best throughput with one worker per step on this device: the busiest step's device time per
     * trajectory at full batches (each step's calls per trajectory as recorded), inverted.
     */
    public double deviceBoundPerSec() {
        double busiest = 0;
        for (Step s : Step.values()) {
            double perTrajectory = traces.callsPerTrajectory(s) * device.nanos(s, settings.batchSize()) / 1e9
                    / settings.batchSize();
            busiest = Math.max(busiest, perTrajectory);
        }
        return 1 / busiest;
    }

    /**
     * Runs 1 worker per step, then each other count of {@code workersPerStep} (ascending); the 1-worker run is the
     * base of the efficiencies, so it is run even when not listed.
     */
    public List<Run> run(int[] workersPerStep) throws Exception {
        int[] counts = Arrays.stream(workersPerStep).filter(n -> n != 1).sorted().distinct().toArray();
        int maxN = counts.length == 0 ? 1 : counts[counts.length - 1];
        int partitions = Math.max(4, maxN);
        List<Run> runs = new ArrayList<>();
        double bound = deviceBoundPerSec();
        out.printf("simulated %s: %.1f trajectories/s device-bound with 1 worker per step at batch %d%n",
                device.device(), bound, settings.batchSize());
        Run base = run(1, size(settings.seconds() * bound), partitions, 0);
        runs.add(base);
        for (int n : counts) {
            runs.add(run(n, size(settings.seconds() * n * base.throughput()), partitions, base.throughput()));
        }
        return runs;
    }

    private int size(double wanted) {
        return (int) Math.max(settings.minTrajectories(), Math.min(settings.maxTrajectories(), Math.ceil(wanted)));
    }

    private Run run(int workers, int n, int partitions, double baseThroughput) throws Exception {
        Path dir = workDir.resolve("scale-" + workers);
        String prefix = "irg.";
        out.printf("%d worker(s) per step: starting (%d partitions per topic)%n", workers, partitions);
        List<ReplayStepModel> replays = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (EmbeddedStack stack = EmbeddedStack.builder(dir).kafkaPort(0).registryPort(0)
                .layout(new TopicLayout(prefix, partitions, TopicLayout.DEFAULT_RETENTION_MS))
                .workersPerStep(workers)
                .workerSetting(WorkerConfig.MAX_BATCH_SIZE, settings.batchSize())
                .models(step -> {
                    ReplayStepModel m = new ReplayStepModel(step, traces, device);
                    replays.add(m);
                    return m;
                }).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.kafkaClientSettings(), stack.registryClient(), prefix);
             TrajectoryClient client = new TrajectoryClient(stack.kafkaClientSettings(), stack.registryClient(), prefix,
                     "bench")) {
            awaitGroups(stack, workers, Duration.ofMinutes(2));
            // warm-up: a batch for every worker (first transactions)
            await(watcher, submit(client, watcher, settings.batchSize() * workers, 0), Duration.ofMinutes(5));
            out.printf("%d worker(s) per step: %d trajectories...%n", workers, n);
            long t0 = System.currentTimeMillis();
            long cpu0 = processCpuNanos();
            Map<Step, long[]> use0 = deviceUse(replays);
            Map<String, CollectedTrajectory> done = await(watcher, submit(client, watcher, n, 0),
                    Duration.ofMinutes(30));
            long wallMs = Math.max(1, System.currentTimeMillis() - t0);
            double cores = (processCpuNanos() - cpu0) / 1e6 / wallMs;
            Map<Step, long[]> use1 = deviceUse(replays);
            Map<Step, DeviceUse> devices = new java.util.EnumMap<>(Step.class);
            for (Step s : Step.values()) {
                long calls = use1.get(s)[0] - use0.get(s)[0];
                long items = use1.get(s)[1] - use0.get(s)[1];
                long nanos = use1.get(s)[2] - use0.get(s)[2];
                devices.put(s, new DeviceUse(nanos / 1e6 / ((double) workers * wallMs),
                        calls == 0 ? 0 : (double) items / calls));
            }
            long last = t0;
            List<Double> hops = new ArrayList<>();
            List<Double> e2e = new ArrayList<>();
            for (CollectedTrajectory t : done.values()) {
                hops.addAll(PipelineBench.hops(t));
                FinalImageProduced f = t.lastFinal();
                long at = f.getProvenance().getProducedAt().toEpochMilli();
                last = Math.max(last, at);
                e2e.add((double) (at - t.prompt().getContext().getSubmittedAt().toEpochMilli()));
            }
            double secs = Math.max(1, last - t0) / 1000.0;
            double perSec = n / secs;
            List<Double> idleHops = new ArrayList<>();
            for (int i = 0; i < settings.idle(); i++) {
                for (CollectedTrajectory t : await(watcher, submit(client, watcher, 1, i), Duration.ofMinutes(5)).values()) {
                    idleHops.addAll(PipelineBench.hops(t));
                }
            }
            double efficiency = workers == 1 ? 1.0 : perSec / (workers * baseThroughput);
            long duplicates = done.values().stream().mapToLong(SimulatedDeviceBench::duplicates).sum();
            Incidents incidents = new Incidents(
                    stack.workers().stream().mapToLong(w -> w.stats().restarts()).sum(),
                    stack.workers().stream().mapToLong(w -> w.stats().abortedBatches()).sum(),
                    stack.workers().stream().mapToLong(w -> w.stats().retries()).sum(),
                    stack.workers().stream().mapToLong(w -> w.stats().rebalances()).sum(), duplicates);
            Run r = new Run(workers, n, secs, perSec, efficiency, PipelineBench.percentiles(hops),
                    PipelineBench.percentiles(idleHops), PipelineBench.percentiles(e2e), incidents, cores, devices);
            out.printf("%d worker(s) per step: %.1f trajectories/s in %.1f s, efficiency %.3f, per-hop idle %s, "
                    + "%.2f cores busy, draw devices %.0f%% busy at batch %.1f; %s%n", workers, perSec, secs, efficiency,
                    fmt(r.hopIdleMs()), cores, 100 * devices.get(Step.DRAW).busy(), devices.get(Step.DRAW).meanBatch(),
                    incidents);
            return r;
        }
    }

    /** Per step: calls, items and device nanoseconds so far, summed over the step's replay models. */
    private static Map<Step, long[]> deviceUse(List<ReplayStepModel> replays) {
        Map<Step, long[]> m = new java.util.EnumMap<>(Step.class);
        for (Step s : Step.values()) {
            m.put(s, new long[3]);
        }
        for (ReplayStepModel r : replays) {
            long[] a = m.get(r.step());
            a[0] += r.calls();
            a[1] += r.items();
            a[2] += r.deviceNanos();
        }
        return m;
    }

    /** CPU time of this process (every thread: broker, workers, clients), or 0 where the JVM does not say. */
    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuTime()) : 0;
    }

    /** Events of {@code t} with the same type and round as an earlier one (revisions aside). */
    private static long duplicates(CollectedTrajectory t) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        long dup = 0;
        for (var e : t.events()) {
            if (io.irgstream.schemas.Revisions.isRevision(e)) {
                continue;
            }
            Object round = e.getSchema().getField("round") == null ? 0 : e.get(e.getSchema().getField("round").pos());
            if (!seen.add(e.getClass().getSimpleName() + "@" + round)) {
                dup++;
            }
        }
        return dup;
    }

    /**
     * Waits until each step's consumer group is stable with {@code workers} members that all hold partitions, so that
     * no rebalance falls inside the measurement.
     */
    private static void awaitGroups(EmbeddedStack stack, int workers, Duration timeout) throws Exception {
        List<String> groups = Arrays.stream(Step.values()).map(s -> "irg-" + s.id()).toList();
        long deadline = System.nanoTime() + timeout.toNanos();
        String state = "";
        try (Admin admin = Admin.create(stack.kafkaClientSettings().toMap())) {
            while (System.nanoTime() < deadline) {
                Map<String, ConsumerGroupDescription> d;
                try {
                    d = admin.describeConsumerGroups(groups).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                        throw e;
                    }
                    state = e.getCause().getMessage(); // a step's workers have not joined yet
                    d = null;
                }
                if (d != null) {
                    state = d.values().stream().map(g -> g.groupId() + " " + g.groupState() + " " + g.members().size()
                            + " members").toList().toString();
                    boolean ready = d.values().stream().allMatch(g -> g.groupState() == GroupState.STABLE
                            && g.members().size() == workers
                            && g.members().stream().noneMatch(m -> m.assignment().topicPartitions().isEmpty()));
                    if (ready) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the workers' groups did not settle with " + workers + " members each within "
                + timeout.toSeconds() + " s: " + state);
    }

    /** Submits {@code n} trajectories over the recorded prompts (each with its recorded seed); returns their ids. */
    private List<String> submit(TrajectoryClient client, TrajectoryWatcher watcher, int n, int first) {
        List<String> prompts = traces.prompts();
        List<PromptSubmitted> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String p = prompts.get((first + i) % prompts.size());
            events.add(client.event(new Submission(p, traces.seedOf(p), traces.rounds(), null)));
        }
        List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
        ids.forEach(watcher::watch);
        client.submitEvents(events);
        return ids;
    }

    /**
     * Waits for every trajectory; a dead-lettered one fails the bench with its reason. A large burst is checked four
     * times a second, only the trajectories still open: {@link TrajectoryWatcher#awaitAll} rescans every id at each
     * batch the watcher reads, which with thousands of trajectories took 40% of this machine's CPU (a JFR profile of
     * the 8-worker run) from the pipeline it measures. The throughput is taken from the events' own times, so how
     * often this checks does not change it.
     */
    private static Map<String, CollectedTrajectory> await(TrajectoryWatcher watcher, List<String> ids, Duration timeout)
            throws Exception {
        if (ids.size() > 64) {
            long deadline = System.nanoTime() + timeout.toNanos();
            List<String> open = new ArrayList<>(ids);
            while (!open.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new java.util.concurrent.TimeoutException((ids.size() - open.size()) + " of " + ids.size()
                            + " trajectories finished within " + timeout.toSeconds() + " s");
                }
                Thread.sleep(250);
                watcher.awaitAll(List.of(), Duration.ZERO, null); // throws when the watcher has failed
                open.removeIf(id -> watcher.doneCount(List.of(id)) == 1);
            }
        }
        Map<String, CollectedTrajectory> done = watcher.awaitAll(ids, timeout, null);
        for (CollectedTrajectory t : done.values()) {
            if (t.failed() || t.lastFinal() == null) {
                DeadLetter d = t.deadLetters().isEmpty() ? null : t.deadLetters().get(0);
                throw new IllegalStateException("trajectory " + t.id() + " did not finish: " + (d == null
                        ? "no final image" : "the " + d.getStep() + " step dead-lettered it: " + d.getErrorMessage()));
            }
        }
        return done;
    }

    private static String fmt(double[] p) {
        return p.length == 0 ? "-" : String.format("%.0f / %.0f / %.0f", p[0], p[1], p[2]);
    }

    /** The table, as printed and as recorded in docs/benchmarks.md. */
    public static String table(List<Run> runs, DeviceProfile device, int batchSize) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("simulated %s, max.batch.size %d; throughput in trajectories/s; latencies in ms "
                + "(p50 / p95 / p99)%n%n", device.device(), batchSize));
        sb.append("| workers per step | trajectories | seconds | throughput | efficiency | cores busy "
                + "| draw devices busy, batch | per-hop under load | per-hop idle | end-to-end under load |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            DeviceUse draw = r.devices().get(Step.DRAW);
            sb.append(String.format("| %d | %d | %.1f | %.1f | %.3f | %.2f | %.2f, %.1f | %s | %s | %s |%n", r.workers(),
                    r.trajectories(), r.seconds(), r.throughput(), r.efficiency(), r.cpuCoresUsed(), draw.busy(),
                    draw.meanBatch(), fmt(r.hopLoadMs()), fmt(r.hopIdleMs()), fmt(r.endToEndMs())));
        }
        return sb.toString();
    }

    /**
     * bench.json: a {@code scale_out} list of {@code {workers, throughput, efficiency}} (with each run's size and
     * latencies), the idle and under-load per-hop figures of the 1-worker run at the top level, and the device profile.
     */
    public void writeJson(List<Run> runs, Path file) throws Exception {
        ObjectNode root = AvroJson.MAPPER.createObjectNode();
        root.put("mode", "simulated-device");
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("measuredAt", java.time.Instant.now().toString());
        root.put("maxBatchSize", settings.batchSize());
        root.put("rounds", traces.rounds());
        root.put("recordedPrompts", traces.prompts().size());
        root.put("deviceBoundTrajectoriesPerSec", deviceBoundPerSec());
        ObjectNode dev = root.putObject("device");
        dev.put("name", device.device());
        dev.put("source", device.source());
        for (Step s : Step.values()) {
            ObjectNode o = dev.putObject(s.id());
            o.put("batch1Ms", device.steps().get(s).batch1Ms());
            o.put("batch16Ms", device.steps().get(s).batch16Ms());
        }
        ObjectNode models = root.putObject("recordedModels");
        ObjectNode calls = root.putObject("modelCallsPerTrajectory");
        for (Step s : Step.values()) {
            models.put(s.id(), traces.model(s).name() + " " + traces.model(s).sha256());
            calls.put(s.id(), traces.callsPerTrajectory(s));
        }
        Run base = runs.stream().filter(r -> r.workers() == 1).findFirst().orElse(runs.get(0));
        root.putPOJO("perHopIdleMsP50P95P99", list(base.hopIdleMs()));
        root.putPOJO("perHopLoadMsP50P95P99", list(base.hopLoadMs()));
        ArrayNode a = root.putArray("scale_out");
        for (Run r : runs) {
            ObjectNode o = a.addObject();
            o.put("workers", r.workers());
            o.put("throughput", r.throughput());
            o.put("efficiency", r.efficiency());
            o.put("trajectories", r.trajectories());
            o.put("seconds", r.seconds());
            o.put("cpuCoresBusy", r.cpuCoresUsed());
            ObjectNode devs = o.putObject("devices");
            r.devices().forEach((step, u) -> {
                ObjectNode d = devs.putObject(step.id());
                d.put("busy", u.busy());
                d.put("meanBatch", u.meanBatch());
            });
            o.putPOJO("perHopLoadMsP50P95P99", list(r.hopLoadMs()));
            o.putPOJO("perHopIdleMsP50P95P99", list(r.hopIdleMs()));
            o.putPOJO("endToEndLoadMsP50P95P99", list(r.endToEndMs()));
            ObjectNode inc = o.putObject("incidents");
            inc.put("workerRestarts", r.incidents().restarts());
            inc.put("abortedBatches", r.incidents().abortedBatches());
            inc.put("retries", r.incidents().retries());
            inc.put("rebalances", r.incidents().rebalances());
            inc.put("duplicateEvents", r.incidents().duplicateEvents());
        }
        Files.writeString(file, AvroJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private static List<Double> list(double[] p) {
        return Arrays.stream(p).boxed().toList();
    }
}
