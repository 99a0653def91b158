package io.irgstream.app.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.schemas.AvroJson;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.WorkerConfig;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * How much the pipeline costs over its models. On one machine, with the same models and batch size:
 * <ul>
 *   <li><b>direct</b>: the four step models called back to back in this process over the prompts, batched as the
 *       workers batch (think, draw, reflect, refine per chunk; refine only for NEEDS_CHANGES, as the workers). This
 *       is the limit.</li>
 *   <li><b>pipeline</b>: the same prompts through a real broker and the four step workers (read_committed,
 *       transactions), from the first submit to the last final image.</li>
 *   <li><b>ratio</b> = pipeline throughput / direct throughput.</li>
 *   <li><b>per-hop latency</b>: from an event's commit by one step to the next worker starting on it (the
 *       {@code queueWaitMs} each worker records), under that load and when idle (one trajectory at a time).</li>
 * </ul>
 * Run with {@code ./irg bench}; it prints a table and writes bench.json. It measures; it asserts nothing.
 */
public final class PipelineBench {
    private final Function<Step, StepModel> models;
    private final List<String> prompts;
    private final Path workDir;
    private final PrintStream out;

    /**
     * @param models  how to load each step's model (called for direct and for each pipeline run)
     * @param prompts the prompts; trajectory i has seed 1000 + i
     * @param workDir scratch space for the brokers' data (deleted by the caller)
     */
    public PipelineBench(Function<Step, StepModel> models, List<String> prompts, Path workDir, PrintStream out) {
        this.models = models;
        this.prompts = List.copyOf(prompts);
        this.workDir = workDir;
        this.out = out;
    }

    /** One measurement at one batch size. */
    public record Run(int batchSize, double directPerSec, double pipelinePerSec, double[] hopLoadMs,
                      double[] hopIdleMs, double[] endToEndMs) {
        public double ratio() {
            return pipelinePerSec / directPerSec;
        }
    }

    /** Measures each batch size (idle latency only for the first, which is the default run). */
    public List<Run> run(int[] batchSizes, int idleTrajectories) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int i = 0; i < batchSizes.length; i++) {
            int b = batchSizes[i];
            out.printf("batch %d: direct...%n", b);
            double direct = direct(b);
            out.printf("batch %d: direct %.2f trajectories/s; pipeline...%n", b, direct);
            runs.add(pipeline(b, direct, i == 0 ? idleTrajectories : 0));
        }
        return runs;
    }

    /** Trajectories per second with the models called back to back in this process. */
    double direct(int batch) {
        Map<Step, StepModel> m = load();
        try {
            warmUp(m);
            long t0 = System.nanoTime();
            for (int from = 0; from < prompts.size(); from += batch) {
                int to = Math.min(prompts.size(), from + batch);
                List<StepRequest> think = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    think.add(new StepRequest("bench-" + i, Seeds.stepSeed(1000L + i, Step.THINK, 0), prompts.get(i), null,
                            null, null, Sampling.DEFAULTS));
                }
                List<StepResult> thoughts = m.get(Step.THINK).run(think);
                List<StepRequest> draw = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    draw.add(new StepRequest("bench-" + i, Seeds.stepSeed(1000L + i, Step.DRAW, 0), prompts.get(i),
                            thoughts.get(i - from).text(), null, null, Sampling.DEFAULTS));
                }
                List<StepResult> drafts = m.get(Step.DRAW).run(draw);
                List<StepRequest> reflect = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    reflect.add(new StepRequest("bench-" + i, Seeds.stepSeed(1000L + i, Step.REFLECT, 1), prompts.get(i),
                            thoughts.get(i - from).text(), drafts.get(i - from).image(), null, Sampling.DEFAULTS));
                }
                List<StepResult> reflections = m.get(Step.REFLECT).run(reflect);
                List<StepRequest> refine = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    String r = reflections.get(i - from).text();
                    if (Verdict.of(r) == Verdict.NEEDS_CHANGES) {
                        refine.add(new StepRequest("bench-" + i, Seeds.stepSeed(1000L + i, Step.REFINE, 1), prompts.get(i),
                                thoughts.get(i - from).text(), drafts.get(i - from).image(), r, Sampling.DEFAULTS));
                    }
                }
                if (!refine.isEmpty()) {
                    m.get(Step.REFINE).run(refine);
                }
            }
            return prompts.size() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            m.values().forEach(StepModel::close);
        }
    }

    private Run pipeline(int batch, double direct, int idle) throws Exception {
        Path dir = workDir.resolve("pipeline-b" + batch);
        try (EmbeddedStack stack = EmbeddedStack.builder(dir).kafkaPort(0).registryPort(0)
                .layout(new TopicLayout("irg.", 4, TopicLayout.DEFAULT_RETENTION_MS))
                .workerSetting(WorkerConfig.MAX_BATCH_SIZE, batch).models(models).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.kafkaClientSettings(), stack.registryClient(), "irg.");
             TrajectoryClient client = new TrajectoryClient(stack.kafkaClientSettings(), stack.registryClient(), "irg.", "bench")) {
            // warm-up: one trajectory through every step (model load, first transactions)
            submitAndWait(client, watcher, List.of(prompts.get(0)), 0, Duration.ofMinutes(5));
            long t0 = System.nanoTime();
            Map<String, CollectedTrajectory> done = submitAndWait(client, watcher, prompts, 1000, Duration.ofMinutes(60));
            double secs = (System.nanoTime() - t0) / 1e9;
            List<Double> hops = new ArrayList<>();
            List<Double> e2e = new ArrayList<>();
            for (CollectedTrajectory t : done.values()) {
                hops.addAll(hops(t));
                FinalImageProduced last = t.lastFinal();
                if (last != null) {
                    e2e.add((double) (last.getProvenance().getProducedAt().toEpochMilli()
                            - t.prompt().getContext().getSubmittedAt().toEpochMilli()));
                }
            }
            // idle after the load: the steady state of a warm process (JIT-compiled broker and client paths) that
            // has nothing else to do, one trajectory at a time
            double[] hopIdle = new double[0];
            if (idle > 0) {
                List<Double> idleHops = new ArrayList<>();
                for (int i = 0; i < idle; i++) {
                    for (CollectedTrajectory t : submitAndWait(client, watcher, List.of(prompts.get(i % prompts.size())),
                            5000 + i, Duration.ofMinutes(5)).values()) {
                        idleHops.addAll(hops(t));
                    }
                }
                hopIdle = percentiles(idleHops);
            }
            double perSec = prompts.size() / secs;
            out.printf("batch %d: pipeline %.2f trajectories/s (ratio %.3f)%n", batch, perSec, perSec / direct);
            return new Run(batch, direct, perSec, percentiles(hops), hopIdle, percentiles(e2e));
        }
    }

    private Map<String, CollectedTrajectory> submitAndWait(TrajectoryClient client, TrajectoryWatcher watcher,
                                                          List<String> texts, long seed0, Duration timeout) throws Exception {
        List<PromptSubmitted> events = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            events.add(client.event(new Submission(texts.get(i), seed0 + i, 1, null)));
        }
        List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
        ids.forEach(watcher::watch);
        client.submitEvents(events);
        return watcher.awaitAll(ids, timeout, null);
    }

    /** Queue waits of the hops between workers: think->draw, draw->reflect, reflect->refine (model steps only). */
    static List<Double> hops(CollectedTrajectory t) {
        List<Double> out = new ArrayList<>();
        for (var e : t.events()) {
            if (e instanceof DraftImageProduced d) {
                out.add((double) d.getProvenance().getQueueWaitMs());
            } else if (e instanceof ReflectionProduced r) {
                out.add((double) r.getProvenance().getQueueWaitMs());
            } else if (e instanceof FinalImageProduced f && f.getProvenance().getBatchSize() > 0) {
                out.add((double) f.getProvenance().getQueueWaitMs());
            }
        }
        return out;
    }

    private Map<Step, StepModel> load() {
        Map<Step, StepModel> m = new EnumMap<>(Step.class);
        for (Step s : Step.values()) {
            m.put(s, models.apply(s));
        }
        return m;
    }

    private void warmUp(Map<Step, StepModel> m) {
        String p = prompts.get(0);
        String thought = m.get(Step.THINK).run(List.of(new StepRequest("warm", 1, p, null, null, null, Sampling.DEFAULTS))).get(0).text();
        RgbImage img = m.get(Step.DRAW).run(List.of(new StepRequest("warm", 2, p, thought, null, null, Sampling.DEFAULTS))).get(0).image();
        String refl = m.get(Step.REFLECT).run(List.of(new StepRequest("warm", 3, p, thought, img, null, Sampling.DEFAULTS))).get(0).text();
        m.get(Step.REFINE).run(List.of(new StepRequest("warm", 4, p, thought, img, refl, Sampling.DEFAULTS)));
    }

    /** p50, p95, p99 (nearest rank), or an empty array for no values. */
    static double[] percentiles(List<Double> values) {
        if (values.isEmpty()) {
            return new double[0];
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new double[]{rank(v, 0.50), rank(v, 0.95), rank(v, 0.99)};
    }

    private static double rank(double[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The table, as printed and as recorded in docs/benchmarks.md. */
    public static String table(List<Run> runs, int n) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%d trajectories per run; throughput in trajectories/s; latencies in ms (p50 / p95 / p99)%n%n", n));
        sb.append("| max.batch.size | direct | pipeline | ratio | per-hop under load | per-hop idle | end-to-end under load |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            sb.append(String.format("| %d | %.2f | %.2f | %.3f | %s | %s | %s |%n", r.batchSize(), r.directPerSec(),
                    r.pipelinePerSec(), r.ratio(), fmt(r.hopLoadMs()), fmt(r.hopIdleMs()), fmt(r.endToEndMs())));
        }
        return sb.toString();
    }

    private static String fmt(double[] p) {
        return p.length == 0 ? "-" : String.format("%.0f / %.0f / %.0f", p[0], p[1], p[2]);
    }

    /** bench.json. */
    public static void writeJson(List<Run> runs, int n, Path file) throws Exception {
        ObjectNode root = AvroJson.MAPPER.createObjectNode();
        root.put("trajectories", n);
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("measuredAt", java.time.Instant.now().toString());
        ArrayNode a = root.putArray("runs");
        for (Run r : runs) {
            ObjectNode o = a.addObject();
            o.put("maxBatchSize", r.batchSize());
            o.put("directTrajectoriesPerSec", r.directPerSec());
            o.put("pipelineTrajectoriesPerSec", r.pipelinePerSec());
            o.put("ratio", r.ratio());
            o.putPOJO("perHopLoadMsP50P95P99", Arrays.stream(r.hopLoadMs()).boxed().toList());
            o.putPOJO("perHopIdleMsP50P95P99", Arrays.stream(r.hopIdleMs()).boxed().toList());
            o.putPOJO("endToEndLoadMsP50P95P99", Arrays.stream(r.endToEndMs()).boxed().toList());
        }
        Files.writeString(file, AvroJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }
}
