package io.irgstream.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.WorkerConfig;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * Priorities and fair share under a backlog ({@code ./irg bench --simulated-device --priority-backlog N}): one
 * embedded stack (a real broker, one worker per step, the topology with its admission scheduler and HTTP API), every
 * trajectory submitted through the API as a client would. It measures, end to end from the submit to the final
 * image's production (the last step's {@code endToEndMs}):
 * <ol>
 *   <li><b>idle</b>: trajectories one at a time on the idle pipeline;</li>
 *   <li><b>interactive behind a batch backlog</b>: N {@code batch} trajectories of tenant {@code bulk} submitted at
 *       once, then, one after the other while the backlog lasts, {@code samples} {@code interactive} ones; and how
 *       long the backlog takes to drain (first submit to the last one ended);</li>
 *   <li><b>a second tenant behind a first tenant's backlog</b>: M {@code normal} trajectories of {@code tenant-a}, then
 *       {@code samples} single {@code normal} ones of {@code tenant-b}, one after the other; the delay over idle is
 *       also given in batches (the busiest step's time for a full batch);</li>
 *   <li>that nothing was lost: every submitted trajectory ended COMPLETED.</li>
 * </ol>
 * Run once with the scheduler ({@code window} per partition) and once without it (window 0: every submit goes straight
 * to the prompts topic, first come first served) as the baseline. It measures; it asserts nothing.
 */
public final class PriorityBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * What the bench runs.
     *
     * @param batchBacklog  batch trajectories ahead of the interactive ones
     * @param tenantBacklog tenant-a's trajectories ahead of tenant-b's
     * @param samples       interactive (and tenant-b) trajectories measured behind each backlog, one at a time
     * @param idle          trajectories measured one at a time on the idle pipeline
     * @param batchSize     the workers' max.batch.size
     * @param partitions    partitions per topic
     * @param headroom      the scheduler's interactive headroom
     */
    public record Settings(int batchBacklog, int tenantBacklog, int samples, int idle, int batchSize, int partitions,
                           int headroom) {
        public Settings {
            if (batchBacklog < 1 || tenantBacklog < 1 || samples < 1 || idle < 1 || batchSize < 1 || partitions < 1
                    || headroom < 0) {
                throw new IllegalArgumentException("priority bench settings out of range");
            }
        }
    }

    /** A prompt the models answer, with its trajectory seed. */
    public record Prompt(String text, long seed) {
    }

    /**
     * One run.
     *
     * @param window              the scheduler's window per partition (0: no scheduler)
     * @param commitIntervalMs    the topology's commit interval
     * @param idleMs              idle end-to-end latency, p50 / p95 / max (ms)
     * @param interactiveMs       interactive ones behind the batch backlog, p50 / p95 / max
     * @param interactiveSamples  how many of them ended while the backlog still had trajectories waiting
     * @param batchDrainSeconds   first batch submit to the last batch trajectory ended
     * @param tenantMs            tenant-b's behind tenant-a's backlog, p50 / p95 / max
     * @param tenantSamples       how many ended while tenant-a's backlog still had trajectories waiting
     * @param tenantDrainSeconds  first tenant-a submit to its last trajectory ended
     * @param lost                submitted trajectories that did not end COMPLETED
     * @param idleSteps           per step, the idle trajectories' mean queue wait, compute (ms) and batch size
     * @param interactiveSteps    the same for the interactive samples
     * @param tenantSteps         the same for tenant-b's samples
     */
    public record Run(int window, int commitIntervalMs, double[] idleMs, double[] interactiveMs, int interactiveSamples,
                      double batchDrainSeconds, double[] tenantMs, int tenantSamples, double tenantDrainSeconds,
                      long lost, java.util.Map<String, double[]> idleSteps,
                      java.util.Map<String, double[]> interactiveSteps, java.util.Map<String, double[]> tenantSteps) {
    }

    private final Function<Step, StepModel> models;
    private final List<Prompt> prompts;
    private final double fullBatchMs;
    private final Path workDir;
    private final PrintStream out;
    private final Settings settings;
    private final HttpClient http = HttpClient.newHttpClient();
    private int next;
    /** Single submits ({@link #submit}) the API answered QUEUED: they went through the scheduler. */
    private int queuedAnswers;

    /**
     * @param models      each worker's model
     * @param prompts     the prompts submitted, in turn
     * @param fullBatchMs the busiest step's time for a full batch, the unit of "batches" in the table
     * @param workDir     scratch space for the stacks' data (deleted by the caller)
     */
    public PriorityBench(Function<Step, StepModel> models, List<Prompt> prompts, double fullBatchMs, Path workDir,
                         PrintStream out, Settings settings) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        this.models = models;
        this.prompts = prompts;
        this.fullBatchMs = fullBatchMs;
        this.workDir = workDir;
        this.out = out;
        this.settings = settings;
    }

    /** Runs with each window in turn (e.g. the default, then 0 for the baseline), the topology's commit interval. */
    public List<Run> run(int... windows) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int w : windows) {
            runs.add(run(w, null));
        }
        return runs;
    }

    private Run run(int window) throws Exception {
        return run(window, null);
    }

    /**
     * One run with the scheduler's {@code window} (0: none) and, when not null, the topology's Kafka Streams
     * {@code commit.interval.ms} (the scheduler's hop waits for the commit).
     */
    public Run run(int window, Integer commitIntervalMs) throws Exception {
        String name = (window == 0 ? "without scheduler" : "window " + window) + (commitIntervalMs == null ? ""
                : ", commit " + commitIntervalMs + " ms");
        out.printf("priority bench, %s: starting (%d partitions, batch %d)%n", name, settings.partitions(),
                settings.batchSize());
        try (EmbeddedStack stack = EmbeddedStack.builder(workDir.resolve("priority-" + window)).kafkaPort(0)
                .registryPort(0).topology(0)
                .layout(new TopicLayout("irg.", settings.partitions(), TopicLayout.DEFAULT_RETENTION_MS))
                .workerSetting(WorkerConfig.MAX_BATCH_SIZE, settings.batchSize())
                .topologySetting(TopologyConfig.SCHEDULER_WINDOW_CONFIG, window)
                .topologySetting(TopologyConfig.SCHEDULER_INTERACTIVE_HEADROOM_CONFIG, settings.headroom())
                .topologySetting(TopologyConfig.TENANT_MAX_IN_FLIGHT_CONFIG, 100_000_000)
                .topologySetting(TopologyConfig.STREAMS_PREFIX + "commit.interval.ms",
                        commitIntervalMs == null ? 100 : commitIntervalMs)
                .models(models).build().start()) {
            String base = stack.topology().url();
            long until = System.currentTimeMillis() + 120_000;
            while (get(base + "/readyz").statusCode() != 200) {
                if (System.currentTimeMillis() > until) {
                    throw new IllegalStateException("the topology did not get ready in 120 s");
                }
                Thread.sleep(100);
            }
            List<String> all = new ArrayList<>();
            // warm-up: the first transactions, JIT (32 full batches: with fewer, the first run of a JVM measured its idle
            // latency 25-45% above the later runs')
            all.addAll(submitMany(base, 32 * settings.batchSize(), "normal", "warm-up"));
            awaitTenantIdle(base, "warm-up", Duration.ofMinutes(5));
            List<Double> idle = new ArrayList<>();
            java.util.Map<String, double[]> idleSums = new java.util.HashMap<>();
            for (int i = 0; i < settings.idle(); i++) {
                String id = submit(base, "interactive", "idle");
                all.add(id);
                JsonNode t = awaitEnded(base, id, Duration.ofMinutes(2));
                idle.add(endToEnd(t));
                addSteps(t, idleSums);
            }
            java.util.Map<String, double[]> idleSteps = means(idleSums);
            out.printf("%s: idle end-to-end %s ms (%s)%n", name, fmt(PipelineBench.percentiles(idle)),
                    stepsText(idleSteps));

            long t0 = System.currentTimeMillis();
            all.addAll(submitMany(base, settings.batchBacklog(), "batch", "bulk"));
            Sampled interactive = sampleBehind(base, "interactive", "alice", "bulk", all);
            double batchDrain = (awaitTenantIdle(base, "bulk", Duration.ofMinutes(30)) - t0) / 1000.0;
            out.printf("%s: interactive behind %d batch %s ms (%d while the backlog waited), drained in %.1f s (%s)%n",
                    name, settings.batchBacklog(), fmt(PipelineBench.percentiles(interactive.ms)), interactive.behind,
                    batchDrain, stepsText(interactive.steps));

            long t1 = System.currentTimeMillis();
            all.addAll(submitMany(base, settings.tenantBacklog(), "normal", "tenant-a"));
            Sampled tenant = sampleBehind(base, "normal", "tenant-b", "tenant-a", all);
            double tenantDrain = (awaitTenantIdle(base, "tenant-a", Duration.ofMinutes(30)) - t1) / 1000.0;
            out.printf("%s: tenant-b behind tenant-a's %d %s ms (%d while the backlog waited), drained in %.1f s "
                    + "(%s)%n", name, settings.tenantBacklog(), fmt(PipelineBench.percentiles(tenant.ms)), tenant.behind,
                    tenantDrain, stepsText(tenant.steps));

            long lost = 0;
            for (String id : all) {
                if (!"COMPLETED".equals(trajectory(base, id).path("status").asText())) {
                    lost++;
                }
            }
            return new Run(window, commitIntervalMs == null ? 100 : commitIntervalMs, PipelineBench.percentiles(idle), PipelineBench.percentiles(interactive.ms),
                    interactive.behind, batchDrain, PipelineBench.percentiles(tenant.ms), tenant.behind, tenantDrain,
                    lost, idleSteps, interactive.steps, tenant.steps);
        }
    }

    /**
     * @param ms     end-to-end latency of each counted sample
     * @param behind how many were counted
     * @param steps  per step (think, draw, reflect, refine), over the counted samples: mean queue wait, mean compute
     *               (ms) and mean batch size of the model call the sample ran in
     */
    private record Sampled(List<Double> ms, int behind, java.util.Map<String, double[]> steps) {
    }

    /** Adds a trajectory's per-step queue wait, compute and batch size to {@code sums} (step -> sums and count). */
    private static void addSteps(JsonNode t, java.util.Map<String, double[]> sums) {
        for (JsonNode s : t.path("steps")) {
            double[] a = sums.computeIfAbsent(s.path("step").asText(), k -> new double[4]);
            a[0] += s.path("queueWaitMs").asDouble();
            a[1] += s.path("computeMs").asDouble();
            a[2] += s.path("provenance").path("batchSize").asDouble();
            a[3]++;
        }
    }

    private static java.util.Map<String, double[]> means(java.util.Map<String, double[]> sums) {
        java.util.Map<String, double[]> out = new java.util.LinkedHashMap<>();
        for (String step : List.of("think", "draw", "reflect", "refine")) {
            double[] a = sums.get(step);
            if (a != null && a[3] > 0) {
                out.put(step, new double[] {a[0] / a[3], a[1] / a[3], a[2] / a[3]});
            }
        }
        return out;
    }

    private static String stepsText(java.util.Map<String, double[]> steps) {
        StringBuilder b = new StringBuilder();
        steps.forEach((step, a) -> b.append(b.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                "%s wait %.0f + compute %.0f ms at batch %.1f", step, a[0], a[1], a[2])));
        return b.toString();
    }

    /**
     * Submits up to {@code samples} trajectories of (priority, tenant) one after the other, each measured end to end,
     * while the backlog of {@code backlogTenant} lasts: a sample counts when, as it ended, the backlog still had more
     * trajectories in flight than the pipeline holds at once ({@code 4 x batch size}), i.e. it was behind the backlog
     * all along. The first sample always counts (without the scheduler the backlog may be gone after it). Returns the
     * counted samples.
     */
    private Sampled sampleBehind(String base, String priority, String tenant, String backlogTenant, List<String> all)
            throws Exception {
        Thread.sleep(200); // the backlog is in the queue (or the prompts topic) before the first sample
        List<Double> ms = new ArrayList<>();
        java.util.Map<String, double[]> sums = new java.util.HashMap<>();
        int queued0 = queuedAnswers;
        for (int i = 0; i < settings.samples(); i++) {
            String id = submit(base, priority, tenant);
            all.add(id);
            JsonNode t = awaitEnded(base, id, Duration.ofMinutes(30));
            double e2e = endToEnd(t);
            boolean behind = inFlight(base, backlogTenant) > 4L * settings.batchSize();
            if (i == 0 || behind) {
                ms.add(e2e);
                addSteps(t, sums);
            }
            if (!behind) {
                break;
            }
        }
        out.printf("  %s of %s: %d of the samples went through the scheduler (answered QUEUED)%n", priority, tenant,
                queuedAnswers - queued0);
        return new Sampled(ms, ms.size(), means(sums));
    }

    /** The last step's end-to-end time: from the submit to the final image's production. */
    private static double endToEnd(JsonNode t) {
        if (!"COMPLETED".equals(t.path("status").asText())) {
            throw new IllegalStateException("trajectory " + t.path("id").asText() + " ended " + t.path("status"));
        }
        long max = 0;
        for (JsonNode s : t.path("steps")) {
            max = Math.max(max, s.path("endToEndMs").asLong());
        }
        return max;
    }

    private JsonNode awaitEnded(String base, String id, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            JsonNode t = trajectory(base, id);
            String s = t.path("status").asText();
            if (s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELLED") || s.equals("EXPIRED")) {
                return t;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("trajectory " + id + " did not end within " + timeout.toSeconds() + " s");
    }

    /** Waits until {@code tenant} has nothing in flight; returns when (epoch ms). */
    private long awaitTenantIdle(String base, String tenant, Duration timeout) throws Exception {
        long until = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < until) {
            if (inFlight(base, tenant) == 0) {
                return System.currentTimeMillis();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("tenant " + tenant + " still had trajectories in flight after "
                + timeout.toSeconds() + " s");
    }

    private long inFlight(String base, String tenant) throws Exception {
        HttpResponse<String> r = get(base + "/api/tenants/" + tenant);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET /api/tenants/" + tenant + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body()).path("inFlight").asLong();
    }

    /** Submits {@code n} at once (8 requests at a time); returns their ids in submit order. */
    private List<String> submitMany(String base, int n, String priority, String tenant) throws Exception {
        Semaphore open = new Semaphore(8);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            open.acquire();
            answers.add(http.sendAsync(request(base, priority, tenant), HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> open.release()));
        }
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> a : answers) {
            ids.add(id(a.get()));
        }
        return ids;
    }

    private String submit(String base, String priority, String tenant) throws Exception {
        HttpResponse<String> r = http.send(request(base, priority, tenant), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 202 && "QUEUED".equals(JSON.readTree(r.body()).path("status").asText())) {
            queuedAnswers++;
        }
        return id(r);
    }

    private static String id(HttpResponse<String> r) throws Exception {
        if (r.statusCode() != 202) {
            throw new IllegalStateException("submit answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body()).path("id").asText();
    }

    private synchronized HttpRequest request(String base, String priority, String tenant) {
        Prompt p = prompts.get(next++ % prompts.size());
        String body = JSON.createObjectNode().put("prompt", p.text()).put("seed", p.seed()).put("priority", priority)
                .put("tenant", tenant).toString();
        return HttpRequest.newBuilder(URI.create(base + "/api/trajectories"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private JsonNode trajectory(String base, String id) throws Exception {
        HttpResponse<String> r = get(base + "/api/trajectories/" + id);
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String fmt(double[] p) {
        return p.length == 0 ? "-" : String.format(Locale.ROOT, "%.0f / %.0f / %.0f", p[0], p[1], p[2]);
    }

    /** The table, as printed and as recorded in docs/benchmarks.md. */
    public String table(List<Run> runs) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "| window per partition | topology commit ms | idle e2e | interactive behind %d batch | x idle p50"
                        + " | batch drain s | tenant-b behind tenant-a's %d | x idle p50 | delay in batches (p50) "
                        + "| tenant-a drain s | lost |%n", settings.batchBacklog(), settings.tenantBacklog()));
        b.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Run r : runs) {
            double idle = r.idleMs().length == 0 ? 0 : r.idleMs()[0];
            b.append(String.format(Locale.ROOT, "| %s | %d | %s | %s (%d/%d behind) | %.2f | %.1f | %s (%d/%d behind) | %.2f "
                            + "| %.1f | %.1f | %d |%n", r.window() == 0 ? "0 (no scheduler)" : r.window(),
                    r.commitIntervalMs(),
                    fmt(r.idleMs()), fmt(r.interactiveMs()), r.interactiveSamples(), settings.samples(),
                    r.interactiveMs()[0] / idle, r.batchDrainSeconds(), fmt(r.tenantMs()), r.tenantSamples(),
                    settings.samples(), r.tenantMs()[0] / idle, (r.tenantMs()[0] - idle) / fullBatchMs,
                    r.tenantDrainSeconds(), r.lost()));
        }
        b.append(String.format(Locale.ROOT, "%nLatencies in ms, p50 / p95 / max, from the submit to the final image; "
                + "a batch = %.0f ms (the busiest step's full batch of %d).%n", fullBatchMs, settings.batchSize()));
        return b.toString();
    }

    /** Writes the runs as JSON. */
    public void writeJson(List<Run> runs, Path file) throws java.io.IOException {
        com.fasterxml.jackson.databind.node.ObjectNode root = JSON.createObjectNode();
        root.put("batchBacklog", settings.batchBacklog()).put("tenantBacklog", settings.tenantBacklog())
                .put("samples", settings.samples()).put("idle", settings.idle()).put("batchSize", settings.batchSize())
                .put("partitions", settings.partitions()).put("interactiveHeadroom", settings.headroom())
                .put("fullBatchMs", fullBatchMs);
        com.fasterxml.jackson.databind.node.ArrayNode list = root.putArray("runs");
        for (Run r : runs) {
            com.fasterxml.jackson.databind.node.ObjectNode o = list.addObject();
            o.put("windowPerPartition", r.window());
            o.put("topologyCommitIntervalMs", r.commitIntervalMs());
            o.set("idleMsP50P95Max", JSON.valueToTree(r.idleMs()));
            o.set("interactiveMsP50P95Max", JSON.valueToTree(r.interactiveMs()));
            o.put("interactiveSamplesBehindBacklog", r.interactiveSamples());
            o.put("batchDrainSeconds", r.batchDrainSeconds());
            o.set("tenantBMsP50P95Max", JSON.valueToTree(r.tenantMs()));
            o.put("tenantBSamplesBehindBacklog", r.tenantSamples());
            o.put("tenantADrainSeconds", r.tenantDrainSeconds());
            o.put("lost", r.lost());
            o.set("idleStepsWaitComputeBatch", JSON.valueToTree(r.idleSteps()));
            o.set("interactiveStepsWaitComputeBatch", JSON.valueToTree(r.interactiveSteps()));
            o.set("tenantBStepsWaitComputeBatch", JSON.valueToTree(r.tenantSteps()));
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    }
}
