package io.irgstream.shapes.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.irgstream.model.Step;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.reflect.ReflectTrainer;
import io.irgstream.shapes.think.ThinkTrainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Trains the shapes-world step models in dependency order (think and draw; then reflect, which learns from real
 * drafts when draw.pt exists; then refine) and writes {@code manifest.json} next to the module files: per model its
 * file, sha256, contract version, training configuration and, when known, eval scores.
 *
 * <p>The CLI ({@code ./irg train [--step S] [--quick] [--out DIR]}) calls {@link #run}; {@link #main} offers the
 * same for a plain {@code java} command (long runs in the background).
 */
public final class Training {
    /** Manifest file name. */
    public static final String MANIFEST = "manifest.json";
    /** The model set name recorded in the manifest. */
    public static final String MODEL_SET = "shapes";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<Step, String> PAINTERS = Map.of(
            Step.DRAW, "io.irgstream.shapes.paint.DrawTrainer",
            Step.REFINE, "io.irgstream.shapes.paint.RefineTrainer");
    /** The no-think painter's trainer: not a step of its own, it becomes part of draw.pt. */
    private static final String NO_THINK_TRAINER = "io.irgstream.shapes.paint.NoThinkTrainer";
    /** Manifest key (and {@code --step} name) of the no-think painter. */
    public static final String NO_THINK = "nothink";
    private static final double NO_THINK_SHARE = 0.30;

    private Training() {
    }

    /** The trainer of a step. */
    public static StepTrainer trainer(Step step) {
        return switch (step) {
            case THINK -> new ThinkTrainer();
            case REFLECT -> new ReflectTrainer();
            case DRAW, REFINE -> {
                String cls = PAINTERS.get(step);
                try {
                    yield (StepTrainer) Class.forName(cls).getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException("no trainer for step " + step.id() + ": cannot create " + cls, e);
                }
            }
        };
    }

    /** The no-think painter's trainer ({@code io.irgstream.shapes.paint.NoThinkTrainer}). */
    public static StepTrainer noThinkTrainer() {
        try {
            return (StepTrainer) Class.forName(NO_THINK_TRAINER).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no trainer for " + NO_THINK + ": cannot create " + NO_THINK_TRAINER, e);
        }
    }

    /**
     * Trains the chosen steps (all four and the no-think painter when {@code steps} is empty) in dependency order,
     * sharing the options' budget between them in proportion to their default shares, then updates the manifest.
     *
     * @return the result of each trained step (the no-think painter's is recorded in the manifest only)
     */
    public static Map<Step, TrainResult> run(Set<Step> steps, TrainOptions opts) {
        return steps.isEmpty() ? run(EnumSet.allOf(Step.class), true, opts) : run(steps, false, opts);
    }

    /**
     * Trains the given steps and, when
     * {@code noThink}, the no-think painter after draw (it starts from draw's UNet and is combined into
     * {@code <out>/draw.pt}), sharing the budget in proportion to the default shares (think 0.15, draw 0.45,
     * no-think {@value #NO_THINK_SHARE}, reflect 0.15, refine 0.25), then updates the manifest.
     */
    public static Map<Step, TrainResult> run(Set<Step> steps, boolean noThink, TrainOptions opts) {
        Instant started = Instant.now();
        Set<Step> chosen = steps.isEmpty() ? EnumSet.noneOf(Step.class) : EnumSet.copyOf(steps);
        Map<Step, Double> share = Map.of(Step.THINK, 0.15, Step.DRAW, 0.45, Step.REFLECT, 0.15, Step.REFINE, 0.25);
        double total = chosen.stream().mapToDouble(share::get).sum() + (noThink ? NO_THINK_SHARE : 0);
        Map<Step, TrainResult> results = new LinkedHashMap<>();
        for (Step s : List.of(Step.THINK, Step.DRAW, Step.REFLECT, Step.REFINE)) {
            if (s == Step.REFLECT && noThink) {
                long nanos = Math.max(1_000_000_000L, (long) (opts.budget().toNanos() * NO_THINK_SHARE / total));
                opts.log().accept("training " + NO_THINK + " (budget " + Duration.ofNanos(nanos).toSeconds() + " s)");
                TrainResult r = noThinkTrainer().train(budgeted(opts, nanos));
                updateNoThinkManifest(opts.outDir(), r);
            }
            if (!chosen.contains(s)) {
                continue;
            }
            long nanos = Math.max(1_000_000_000L, (long) (opts.budget().toNanos() * share.get(s) / total));
            opts.log().accept("training " + s.id() + " (budget " + Duration.ofNanos(nanos).toSeconds() + " s)");
            TrainResult r = trainer(s).train(budgeted(opts, nanos));
            results.put(s, r);
            updateManifest(opts.outDir(), s, r, null);
        }
        recordRun(opts, chosen, noThink, started);
        return results;
    }

    /**
     * Records the run as a whole under the manifest's {@code training_run}: what it trained, its budget, when it
     * started and ended and its wall time (the figure "all models in at most N minutes" is read from).
     */
    private static void recordRun(TrainOptions opts, Set<Step> chosen, boolean noThink, Instant started) {
        Instant ended = Instant.now();
        Map<String, Object> run = new LinkedHashMap<>();
        List<String> trained = new ArrayList<>();
        for (Step s : List.of(Step.THINK, Step.DRAW, Step.REFLECT, Step.REFINE)) {
            if (chosen.contains(s)) {
                trained.add(s.id());
            }
        }
        if (noThink) {
            trained.add(NO_THINK);
        }
        run.put("trained", trained);
        run.put("budget_minutes", opts.budget().toSeconds() / 60.0);
        run.put("started", started.toString());
        run.put("ended", ended.toString());
        run.put("wall_seconds", Duration.between(started, ended).toSeconds());
        run.put("threads", opts.effectiveThreads());
        run.put("cpus", Runtime.getRuntime().availableProcessors());
        run.put("quick", opts.quick());
        run.put("seed", opts.seed());
        Map<String, Object> manifest = readManifest(opts.outDir());
        manifest.put("training_run", run);
        writeManifest(opts.outDir(), manifest);
        opts.log().accept(String.format(java.util.Locale.ROOT, "trained %s in %d min %d s (budget %.0f min)",
                String.join(", ", trained), Duration.between(started, ended).toMinutes(),
                Duration.between(started, ended).toSecondsPart(), opts.budget().toSeconds() / 60.0));
    }

    private static TrainOptions budgeted(TrainOptions opts, long nanos) {
        return new TrainOptions(opts.outDir(), opts.workDir(), opts.seed(), opts.quick(), Duration.ofNanos(nanos),
                opts.maxSteps(), opts.threads(), opts.log());
    }

    /**
     * Records the no-think painter in the manifest of {@code dir} under {@value #NO_THINK}: the file that holds it
     * (draw.pt, as its submodule {@code nothink}, or a standalone nothink.pt when there was no draw.pt to combine
     * with), that file's sha256, and the training result; the draw entry's sha256 and size are refreshed (its
     * training and eval entries kept) since draw.pt now holds the no-think painter.
     */
    @SuppressWarnings("unchecked")
    public static synchronized void updateNoThinkManifest(Path dir, TrainResult r) {
        boolean combined = r.modelPath().getFileName().toString().equals(Step.DRAW.id() + ".pt");
        if (combined) {
            updateManifest(dir, Step.DRAW, null, null);
        }
        Map<String, Object> manifest = readManifest(dir);
        Map<String, Object> models = (Map<String, Object>) manifest.computeIfAbsent("models",
                k -> new LinkedHashMap<String, Object>());
        Map<String, Object> entry = new LinkedHashMap<>();
        Path file = r.modelPath();
        entry.put("file", dir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString());
        if (combined) {
            entry.put("submodule", NO_THINK);
            entry.put("serves", "draw rows whose thought is empty (the no-think baseline)");
            ((Map<String, Object>) models.get(Step.DRAW.id())).put("no_think", "submodule " + NO_THINK
                    + " (models." + NO_THINK + ")");
        }
        entry.put("sha256", TorchScriptStepModel.sha256(file));
        entry.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        Map<String, Object> training = new LinkedHashMap<>(new java.util.TreeMap<>(r.config()));
        training.put("steps", r.steps());
        training.put("seconds", Math.round(r.seconds()));
        training.put("first_loss", finite(r.firstLoss()));
        training.put("final_loss", finite(r.finalLoss()));
        training.put("trained_at", Instant.now().toString());
        entry.put("training", training);
        Map<String, Object> old = (Map<String, Object>) models.get(NO_THINK);
        if (old != null && old.get("eval") != null) {
            entry.put("eval", old.get("eval"));
        }
        models.put(NO_THINK, entry);
        writeManifest(dir, manifest);
    }

    /**
     * Records a model in the manifest of {@code dir} (created when absent): file name, sha256 of the file now on disk,
     * contract version, the training result's configuration and numbers, and eval scores when given (null keeps
     * the ones recorded before).
     */
    @SuppressWarnings("unchecked")
    public static synchronized void updateManifest(Path dir, Step step, TrainResult r, Map<String, Object> scores) {
        Map<String, Object> manifest = readManifest(dir);
        Map<String, Object> models = (Map<String, Object>) manifest.computeIfAbsent("models",
                k -> new LinkedHashMap<String, Object>());
        Map<String, Object> old = (Map<String, Object>) models.get(step.id());
        Map<String, Object> entry = new LinkedHashMap<>();
        Path file = r != null ? r.modelPath() : dir.resolve(step.id() + ".pt");
        entry.put("file", dir.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString());
        entry.put("sha256", TorchScriptStepModel.sha256(file));
        entry.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        entry.put("bytes", size(file));
        if (r != null) {
            Map<String, Object> training = new LinkedHashMap<>(new java.util.TreeMap<>(r.config()));
            training.put("steps", r.steps());
            training.put("seconds", Math.round(r.seconds()));
            training.put("first_loss", finite(r.firstLoss()));
            training.put("final_loss", finite(r.finalLoss()));
            training.put("trained_at", Instant.now().toString());
            entry.put("training", training);
        } else if (old != null && old.get("training") != null) {
            entry.put("training", old.get("training"));
        }
        if (scores != null) {
            entry.put("eval", scores);
        } else if (old != null && old.get("eval") != null) {
            entry.put("eval", old.get("eval"));
        }
        Map<String, Object> nt = (Map<String, Object>) models.get(NO_THINK);
        if (step == Step.DRAW && nt != null && (step.id() + ".pt").equals(nt.get("file"))) {
            entry.put("no_think", "submodule " + NO_THINK + " (models." + NO_THINK + ")");
            nt.put("sha256", entry.get("sha256"));
        }
        models.put(step.id(), entry);
        manifest.put("model_set", MODEL_SET);
        manifest.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        writeManifest(dir, manifest);
    }

    /**
     * Copies a trained model file and its manifest entry from one folder (e.g. a training output) to another
     * (e.g. {@code models/shapes}), recomputing the sha256.
     */
    @SuppressWarnings("unchecked")
    public static synchronized void promote(Path from, Path to, Step step) {
        Path src = from.resolve(step.id() + ".pt");
        if (!Files.isRegularFile(src)) {
            throw new IllegalArgumentException("no model file " + src + " to promote");
        }
        try {
            Files.createDirectories(to);
            Files.copy(src, to.resolve(step.id() + ".pt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + src + " to " + to, e);
        }
        Map<String, Object> fromModels = (Map<String, Object>) readManifest(from).get("models");
        Map<String, Object> old = fromModels == null ? null : (Map<String, Object>) fromModels.get(step.id());
        Map<String, Object> manifest = readManifest(to);
        Map<String, Object> models = (Map<String, Object>) manifest.computeIfAbsent("models",
                k -> new LinkedHashMap<String, Object>());
        Map<String, Object> entry = new LinkedHashMap<>();
        if (old != null) {
            entry.putAll(old);
        }
        Path file = to.resolve(step.id() + ".pt");
        entry.put("file", step.id() + ".pt");
        entry.put("sha256", TorchScriptStepModel.sha256(file));
        entry.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        entry.put("bytes", size(file));
        models.put(step.id(), entry);
        Map<String, Object> nt = fromModels == null ? null : (Map<String, Object>) fromModels.get(NO_THINK);
        if (step == Step.DRAW) {
            if (nt != null && (step.id() + ".pt").equals(nt.get("file"))) {
                Map<String, Object> e = new LinkedHashMap<>(nt);
                e.put("sha256", entry.get("sha256"));
                models.put(NO_THINK, e);
            } else {
                models.remove(NO_THINK);
            }
        }
        manifest.put("model_set", MODEL_SET);
        manifest.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        writeManifest(to, manifest);
    }

    /** Records set-level eval scores (e.g. the IRG table) in the manifest under {@code eval}. */
    public static synchronized void recordEval(Path dir, Map<String, Object> eval) {
        Map<String, Object> manifest = readManifest(dir);
        manifest.put("eval", eval);
        writeManifest(dir, manifest);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readManifest(Path dir) {
        Path f = dir.resolve(MANIFEST);
        if (!Files.exists(f)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model_set", MODEL_SET);
            return m;
        }
        try {
            return JSON.readValue(f.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + f, e);
        }
    }

    private static void writeManifest(Path dir, Map<String, Object> manifest) {
        try {
            Files.createDirectories(dir);
            Path tmp = dir.resolve(MANIFEST + ".tmp");
            JSON.writeValue(tmp.toFile(), manifest);
            Files.move(tmp, dir.resolve(MANIFEST), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest in " + dir, e);
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /**
     * {@code java ... Training [--step think|draw|nothink|reflect|refine|all]... [--quick] [--out DIR] [--work DIR]
     * [--seed N] [--minutes M] [--threads N] [--max-steps N]}. {@code nothink} trains the no-think painter (after draw;
     * all includes it) and combines it into {@code <out>/draw.pt}. A trainer whose checkpoint already has
     * {@code --max-steps} steps only exports it (and measures it). {@code --promote-from DIR} copies the chosen
     * models and their manifest entries from DIR to {@code --out} instead of training; {@code --register} records the
     * module files present in {@code --out} (file, sha256, contract version; earlier training and eval entries are
     * kept) without training.
     */
    public static void main(String[] args) {
        Set<Step> steps = EnumSet.noneOf(Step.class);
        boolean noThink = false;
        boolean all = false;
        Path out = Path.of("models/shapes");
        Path work = Path.of(".irg/train");
        long seed = 1;
        boolean quick = false;
        double minutes = 90;
        int threads = 0;
        int maxSteps = 0;
        Path promoteFrom = null;
        boolean register = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--step" -> {
                    String v = args[++i];
                    if (v.equals("all")) {
                        all = true;
                    } else if (v.equals(NO_THINK)) {
                        noThink = true;
                    } else {
                        steps.add(Step.parse(v));
                    }
                }
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--minutes" -> minutes = Double.parseDouble(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--max-steps" -> maxSteps = Integer.parseInt(args[++i]);
                case "--promote-from" -> promoteFrom = Path.of(args[++i]);
                case "--register" -> register = true;
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "': expected --step,"
                        + " --quick, --out, --work, --seed, --minutes, --threads, --max-steps, --promote-from or --register");
            }
        }
        Consumer<String> log = line -> System.out.println(Instant.now() + " " + line);
        if (register) {
            for (Step s : steps.isEmpty() ? EnumSet.allOf(Step.class) : steps) {
                if (Files.isRegularFile(out.resolve(s.id() + ".pt"))) {
                    updateManifest(out, s, null, null);
                    log.accept("registered " + out.resolve(s.id() + ".pt") + " in the manifest");
                }
            }
            return;
        }
        if (promoteFrom != null) {
            for (Step s : steps.isEmpty() ? EnumSet.allOf(Step.class) : steps) {
                promote(promoteFrom, out, s);
                log.accept("promoted " + promoteFrom.resolve(s.id() + ".pt") + " to " + out);
            }
            return;
        }
        TrainOptions opts = new TrainOptions(out, work, seed, quick, Duration.ofSeconds((long) (minutes * 60)),
                maxSteps, threads, log);
        boolean everything = all || (steps.isEmpty() && !noThink);
        Map<Step, TrainResult> r = run(everything ? EnumSet.allOf(Step.class) : steps, everything || noThink, opts);
        List<String> lines = new ArrayList<>();
        r.forEach((s, tr) -> lines.add(String.format("%s: %s, %d steps, %.0f s, loss %.4f -> %.4f", s.id(),
                tr.modelPath(), tr.steps(), tr.seconds(), tr.firstLoss(), tr.finalLoss())));
        lines.forEach(log);
    }
}
