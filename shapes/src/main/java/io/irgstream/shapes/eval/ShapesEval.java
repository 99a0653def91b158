package io.irgstream.shapes.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.paint.Mistakes;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSet;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.think.ThinkQuality;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.ThoughtFormat;

import javax.imageio.ImageIO;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The shapes-world evaluation: runs the four step models in-process (no Kafka) over a prompt set with fixed seeds,
 * scores every image with the pixels-only {@link Evaluator}, and reports four rows (no-think draft: draw from the
 * prompt alone; think draft; IRG final after one round: the draft when reflect says SATISFIED, else the refined
 * image; IRG final after two rounds: the round-one final reflected on and refined again where reflect still asks for
 * changes) per category of docs/shapes-world.md, with GenEval overall (the mean of the six GenEval categories) and
 * compositional overall (the mean of all ten), the reflect verdict's agreement with the evaluator on the think
 * drafts (with precision and recall of NEEDS_CHANGES), the fraction of failed drafts that refine fixes, the think
 * validity, and per-step time. Prompts are sent as users type them ({@link PromptSpec#surface}, seeded by the
 * trajectory). Writes {@code eval.json} and {@code contact-sheet.png} into the output folder.
 */
public final class ShapesEval {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Evaluator EVALUATOR = new Evaluator();
    /** Rows of the score table. */
    public static final String[] ROWS = {"no-think draft", "think draft", "IRG final (1 round)",
        "IRG final (2 rounds)"};
    /** Row of the IRG final after one reflection round, the default IRG setting. */
    public static final String IRG_FINAL = ROWS[2];

    /**
     * What to evaluate.
     *
     * @param modelDir         folder with think.pt, draw.pt, reflect.pt and refine.pt
     * @param prompts          the prompt set
     * @param outDir           where eval.json and the contact sheet go (null: write nothing)
     * @param seed             trajectory seeds are {@code seed + index}
     * @param sampling         sampler settings of every step
     * @param batch            requests per model call
     * @param sheetPerCategory contact-sheet rows per category
     * @param noThinkRow       whether to run the no-think draft row
     */
    public record Config(Path modelDir, List<PromptSpec> prompts, Path outDir, long seed, Sampling sampling, int batch,
                         int sheetPerCategory, boolean noThinkRow, boolean wrongPlans) {
        /** The default evaluation of the models in {@code modelDir}: held-out set, 50 per category, IRG settings. */
        public static Config defaults(Path modelDir, Path outDir) {
            return new Config(modelDir, PromptSet.heldOut(PromptSet.DEFAULT_PER_CATEGORY), outDir, 20_251_126L,
                    Sampling.DEFAULTS, 16, 4, true, false);
        }

        /**
         * The same evaluation where every plan think writes gets one injected mistake before the draft is drawn
         * ({@link #wrongPlan}): drafts that go wrong because the plan is wrong, to measure what reflect and refine do
         * with them. The no-think row is left out (it does not use the plan).
         */
        public Config withWrongPlans() {
            return new Config(modelDir, prompts, outDir, seed, sampling, batch, sheetPerCategory, false, true);
        }
    }

    /** One trajectory's outcome ({@code text} is the prompt as sent; round-two fields equal round one's when
     * reflect was satisfied after round one). */
    public record Trajectory(PromptSpec prompt, String text, String thought, boolean thoughtGood, RgbImage noThink,
                             boolean noThinkPass, RgbImage draft, boolean draftPass, String reflection,
                             Verdict verdict, RgbImage fin, boolean finalPass, Verdict verdict2, RgbImage fin2,
                             boolean final2Pass) {
    }

    /** The prompt text sent for trajectory {@code i}: the prompt as a user might type it, fixed by the seed. */
    static String promptText(PromptSpec p, long trajectorySeed) {
        return p.surface(new Random(trajectorySeed * 0x2545F4914F6CDD1DL + 3));
    }

    private ShapesEval() {
    }

    /** Loads a step model from the folder, failing with a clear message when its file is missing. */
    public static StepModel load(Path modelDir, Step step) {
        Path f = modelDir.resolve(step.id() + ".pt");
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("model file " + f + " is missing: train it with './irg train --step "
                    + step.id() + "' or point --models at a folder with think.pt, draw.pt, reflect.pt, refine.pt");
        }
        return StepModels.load(step, f);
    }

    /** Runs the evaluation, printing progress and the table to {@code out}; returns the report as a map. */
    public static Map<String, Object> run(Config cfg, PrintStream out) {
        Evaluator ev = new Evaluator();
        List<Trajectory> runs = new ArrayList<>();
        Map<Step, Double> seconds = new EnumMap<>(Step.class);
        Map<Step, Integer> items = new EnumMap<>(Step.class);
        Map<String, Object> models = new LinkedHashMap<>();
        try (StepModel think = load(cfg.modelDir(), Step.THINK); StepModel draw = load(cfg.modelDir(), Step.DRAW);
             StepModel reflect = load(cfg.modelDir(), Step.REFLECT);
             StepModel refine = load(cfg.modelDir(), Step.REFINE)) {
            for (StepModel m : List.of(think, draw, reflect, refine)) {
                models.put(m.step().id(), Map.of("name", m.info().name(), "sha256", m.info().sha256(),
                        "device", m.info().device()));
            }
            List<PromptSpec> ps = cfg.prompts();
            for (int start = 0; start < ps.size(); start += cfg.batch()) {
                int end = Math.min(ps.size(), start + cfg.batch());
                List<PromptSpec> chunk = ps.subList(start, end);
                List<Long> traj = new ArrayList<>();
                List<String> text = new ArrayList<>();
                for (int i = start; i < end; i++) {
                    traj.add(cfg.seed() + i);
                    text.add(promptText(ps.get(i), cfg.seed() + i));
                }
                List<StepRequest> q = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    q.add(req(traj.get(i), Step.THINK, 0, text.get(i), null, null, null, cfg.sampling()));
                }
                List<String> thoughts = texts(timed(think, q, seconds, items));
                if (cfg.wrongPlans()) {
                    List<String> wrong = new ArrayList<>(thoughts.size());
                    for (int i = 0; i < thoughts.size(); i++) {
                        wrong.add(wrongPlan(chunk.get(i), thoughts.get(i), traj.get(i)));
                    }
                    thoughts = wrong;
                }
                List<RgbImage> noThink = new ArrayList<>();
                if (cfg.noThinkRow()) {
                    q.clear();
                    for (int i = 0; i < chunk.size(); i++) {
                        q.add(req(traj.get(i), Step.DRAW, 0, text.get(i), "", null, null, cfg.sampling()));
                    }
                    // not timed: the seconds per item are those of the IRG steps
                    noThink = images(draw.run(q));
                }
                q.clear();
                for (int i = 0; i < chunk.size(); i++) {
                    q.add(req(traj.get(i), Step.DRAW, 0, text.get(i), thoughts.get(i), null, null, cfg.sampling()));
                }
                List<RgbImage> drafts = images(timed(draw, q, seconds, items));
                q.clear();
                for (int i = 0; i < chunk.size(); i++) {
                    q.add(req(traj.get(i), Step.REFLECT, 1, text.get(i), thoughts.get(i), drafts.get(i), null,
                            cfg.sampling()));
                }
                List<String> reflections = texts(timed(reflect, q, seconds, items));
                q.clear();
                List<Integer> toRefine = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    if (Verdict.of(reflections.get(i)) == Verdict.NEEDS_CHANGES) {
                        toRefine.add(i);
                        q.add(req(traj.get(i), Step.REFINE, 1, text.get(i), thoughts.get(i), drafts.get(i),
                                reflections.get(i), cfg.sampling()));
                    }
                }
                List<RgbImage> finals = new ArrayList<>(drafts);
                if (!q.isEmpty()) {
                    List<RgbImage> refined = images(timed(refine, q, seconds, items));
                    for (int k = 0; k < toRefine.size(); k++) {
                        finals.set(toRefine.get(k), refined.get(k));
                    }
                }
                q.clear();
                for (int i : toRefine) {
                    q.add(req(traj.get(i), Step.REFLECT, 2, text.get(i), thoughts.get(i), finals.get(i), null,
                            cfg.sampling()));
                }
                List<RgbImage> finals2 = new ArrayList<>(finals);
                List<Verdict> verdicts2 = new ArrayList<>();
                for (int i = 0; i < chunk.size(); i++) {
                    verdicts2.add(Verdict.of(reflections.get(i)));
                }
                if (!q.isEmpty()) {
                    List<String> reflections2 = texts(timed(reflect, q, seconds, items));
                    List<StepRequest> q2 = new ArrayList<>();
                    List<Integer> again = new ArrayList<>();
                    for (int k = 0; k < toRefine.size(); k++) {
                        int i = toRefine.get(k);
                        verdicts2.set(i, Verdict.of(reflections2.get(k)));
                        if (verdicts2.get(i) == Verdict.NEEDS_CHANGES) {
                            again.add(i);
                            q2.add(req(traj.get(i), Step.REFINE, 2, text.get(i), thoughts.get(i), finals.get(i),
                                    reflections2.get(k), cfg.sampling()));
                        }
                    }
                    if (!q2.isEmpty()) {
                        List<RgbImage> refined2 = images(timed(refine, q2, seconds, items));
                        for (int k = 0; k < again.size(); k++) {
                            finals2.set(again.get(k), refined2.get(k));
                        }
                    }
                }
                for (int i = 0; i < chunk.size(); i++) {
                    PromptSpec p = chunk.get(i);
                    RgbImage nt = cfg.noThinkRow() ? noThink.get(i) : null;
                    boolean finalPass = ev.passes(p, finals.get(i));
                    runs.add(new Trajectory(p, text.get(i), thoughts.get(i), ThinkQuality.good(p, thoughts.get(i)), nt,
                            nt != null && ev.passes(p, nt), drafts.get(i), ev.passes(p, drafts.get(i)),
                            reflections.get(i), Verdict.of(reflections.get(i)), finals.get(i), finalPass,
                            verdicts2.get(i), finals2.get(i),
                            finals2.get(i) == finals.get(i) ? finalPass : ev.passes(p, finals2.get(i))));
                }
                out.printf("eval: %d/%d trajectories%n", end, ps.size());
            }
        }
        Map<String, Object> report = report(cfg, runs, seconds, items);
        report.put("models", models);
        out.print(table(report));
        if (cfg.outDir() != null) {
            try {
                Files.createDirectories(cfg.outDir());
                JSON.writeValue(cfg.outDir().resolve("eval.json").toFile(), report);
                writeSheet(cfg.outDir().resolve("contact-sheet.png"), runs, cfg.sheetPerCategory());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the eval output in " + cfg.outDir(), e);
            }
            out.println("eval: wrote " + cfg.outDir().resolve("eval.json") + " and "
                    + cfg.outDir().resolve("contact-sheet.png"));
        }
        return report;
    }

    /**
     * The plan with one injected mistake that breaks the prompt (wrong color, wrong shape, a missing, extra or moved
     * object, as in refine's training data): the kind to try first cycles with the trajectory, the details come from
     * its seed, and the first mistake whose plan no longer satisfies the prompt is taken. The plan is returned as it
     * is when it does not parse into a valid scene, or when no such mistake is found (e.g. nothing can be moved).
     * A stand-in for a plan that went wrong, e.g. at a high think temperature.
     */
    static String wrongPlan(PromptSpec prompt, String thought, long trajectorySeed) {
        Scene plan;
        try {
            plan = ThoughtFormat.parse(thought);
        } catch (IllegalArgumentException notAValidPlan) {
            return thought;
        }
        if (plan.objects().isEmpty()) {
            return thought;
        }
        Random rnd = new Random(trajectorySeed * 0x9E3779B97F4A7C15L + 17);
        Mistakes.Kind[] kinds = Mistakes.Kind.values();
        int first = (int) Math.floorMod(trajectorySeed, (long) kinds.length);
        for (int attempt = 0; attempt < 4 * kinds.length; attempt++) {
            Mistakes.Kind kind = kinds[(first + attempt) % kinds.length];
            List<SceneObject> wrong = Mistakes.inject(plan, kind, rnd);
            if (!wrong.isEmpty() && Scene.isValid(wrong)) {
                String text = ThoughtFormat.format(new Scene(wrong));
                if (!ThinkQuality.good(prompt, text)) {
                    return text;
                }
            }
        }
        return thought;
    }

    private static StepRequest req(long traj, Step step, int round, String prompt, String thought, RgbImage img,
                                   String refl, Sampling s) {
        return new StepRequest("eval-" + traj, Seeds.stepSeed(traj, step, round), prompt, thought, img, refl, s);
    }

    private static List<StepResult> timed(StepModel m, List<StepRequest> q, Map<Step, Double> secs,
                                          Map<Step, Integer> items) {
        long t0 = System.nanoTime();
        List<StepResult> r = m.run(q);
        secs.merge(m.step(), (System.nanoTime() - t0) / 1e9, Double::sum);
        items.merge(m.step(), q.size(), Integer::sum);
        return r;
    }

    private static List<String> texts(List<StepResult> r) {
        return r.stream().map(StepResult::text).toList();
    }

    private static List<RgbImage> images(List<StepResult> r) {
        return r.stream().map(StepResult::image).toList();
    }

    static Map<String, Object> report(Config cfg, List<Trajectory> runs, Map<Step, Double> secs,
                                      Map<Step, Integer> items) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("prompts", runs.size());
        if (cfg.wrongPlans()) {
            r.put("wrong_plans", true);
        }
        r.put("seed", cfg.seed());
        r.put("sampling", Map.of("temperature", cfg.sampling().temperature(), "steps", cfg.sampling().steps(),
                "cfg_text", cfg.sampling().cfgText(), "cfg_image", cfg.sampling().cfgImage()));
        Map<String, Object> rows = new LinkedHashMap<>();
        for (int row = 0; row < ROWS.length; row++) {
            if (row == 0 && !cfg.noThinkRow()) {
                continue;
            }
            Map<String, Object> cols = new LinkedHashMap<>();
            double sum = 0;
            int cats = 0;
            double gsum = 0;
            int gcats = 0;
            for (Category c : Category.values()) {
                int n = 0;
                int pass = 0;
                for (Trajectory t : runs) {
                    if (t.prompt().category() == c) {
                        n++;
                        boolean ok = switch (row) {
                            case 0 -> t.noThinkPass();
                            case 1 -> t.draftPass();
                            case 2 -> t.finalPass();
                            default -> t.final2Pass();
                        };
                        pass += ok ? 1 : 0;
                    }
                }
                if (n > 0) {
                    double s = pass / (double) n;
                    cols.put(c.id(), s);
                    sum += s;
                    cats++;
                    if (c.geneval()) {
                        gsum += s;
                        gcats++;
                    }
                }
            }
            cols.put("geneval_overall", gcats == 0 ? null : gsum / gcats);
            cols.put("compositional_overall", cats == 0 ? 0.0 : sum / cats);
            rows.put(ROWS[row], cols);
        }
        r.put("scores", rows);
        int tp = 0;
        int nc = 0;
        int fail = 0;
        int agree = 0;
        int fixed = 0;
        int broken = 0;
        int good = 0;
        for (Trajectory t : runs) {
            boolean needs = t.verdict() == Verdict.NEEDS_CHANGES;
            nc += needs ? 1 : 0;
            fail += t.draftPass() ? 0 : 1;
            tp += needs && !t.draftPass() ? 1 : 0;
            agree += needs != t.draftPass() ? 1 : 0;
            fixed += !t.draftPass() && t.finalPass() ? 1 : 0;
            broken += t.draftPass() && !t.finalPass() ? 1 : 0;
            good += t.thoughtGood() ? 1 : 0;
        }
        Map<String, Object> refl = new LinkedHashMap<>();
        refl.put("agreement", runs.isEmpty() ? 0.0 : agree / (double) runs.size());
        refl.put("needs_changes_precision", nc == 0 ? 1.0 : tp / (double) nc);
        refl.put("needs_changes_recall", fail == 0 ? 1.0 : tp / (double) fail);
        refl.put("needs_changes", nc);
        refl.put("failed_drafts", fail);
        r.put("reflect", refl);
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("fixed_fraction_of_failed_drafts", fail == 0 ? 1.0 : fixed / (double) fail);
        ref.put("fixed", fixed);
        ref.put("broken_passing_drafts", broken);
        r.put("refine", ref);
        r.put("think_validity", runs.isEmpty() ? 0.0 : good / (double) runs.size());
        Map<String, Object> time = new LinkedHashMap<>();
        double total = 0;
        for (Step s : Step.values()) {
            if (items.getOrDefault(s, 0) > 0) {
                time.put(s.id() + "_seconds_per_item", secs.get(s) / items.get(s));
                total += secs.get(s);
            }
        }
        // all four models' time (every round; the no-think baseline's drafts are not timed) over the trajectories
        time.put("model_seconds_per_trajectory", runs.isEmpty() ? 0.0 : total / runs.size());
        r.put("time", time);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Trajectory t : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", t.text());
            m.put("parsed", t.prompt().text());
            m.put("category", t.prompt().category().id());
            m.put("thought", t.thought());
            m.put("thought_good", t.thoughtGood());
            if (cfg.noThinkRow()) {
                m.put("no_think_pass", t.noThinkPass());
            }
            m.put("draft_pass", t.draftPass());
            m.put("draft_seen", EVALUATOR.detect(t.draft()).stream().map(DetectedObject::toString).toList());
            m.put("verdict", t.verdict().name());
            m.put("final_pass", t.finalPass());
            if (t.fin() != t.draft()) {
                m.put("final_seen", EVALUATOR.detect(t.fin()).stream().map(DetectedObject::toString).toList());
            }
            m.put("reflection", t.reflection());
            if (t.verdict() == Verdict.NEEDS_CHANGES) {
                m.put("verdict_round_2", t.verdict2().name());
                m.put("final_2_rounds_pass", t.final2Pass());
            }
            list.add(m);
        }
        r.put("trajectories", list);
        return r;
    }

    /** The score table (a row per category, a column per pipeline) and reflection numbers as text. */
    @SuppressWarnings("unchecked")
    public static String table(Map<String, Object> report) {
        StringBuilder sb = new StringBuilder();
        Map<String, Object> rows = (Map<String, Object>) report.get("scores");
        sb.append(String.format("%-22s", "category"));
        for (String row : rows.keySet()) {
            sb.append(String.format("%22s", row));
        }
        sb.append(System.lineSeparator());
        List<String> keys = new ArrayList<>();
        for (Category c : Category.values()) {
            keys.add(c.id());
        }
        keys.add("geneval_overall");
        keys.add("compositional_overall");
        for (String k : keys) {
            boolean any = false;
            StringBuilder line = new StringBuilder(String.format("%-22s", k.replace("_overall", " overall")));
            for (Object v : rows.values()) {
                Object x = ((Map<String, Object>) v).get(k);
                any |= x != null;
                line.append(x == null ? String.format("%22s", "-") : String.format("%22.3f", (Double) x));
            }
            if (any) {
                sb.append(line).append(System.lineSeparator());
            }
        }
        Map<String, Object> refl = (Map<String, Object>) report.get("reflect");
        Map<String, Object> ref = (Map<String, Object>) report.get("refine");
        sb.append(String.format("reflect vs evaluator: agreement %.3f, NEEDS_CHANGES precision %.3f recall %.3f"
                        + " (%s flagged, %s drafts failed)%n", refl.get("agreement"),
                refl.get("needs_changes_precision"), refl.get("needs_changes_recall"), refl.get("needs_changes"),
                refl.get("failed_drafts")));
        sb.append(String.format("refine fixed %.3f of the failed drafts (%s); passing drafts broken: %s%n",
                ref.get("fixed_fraction_of_failed_drafts"), ref.get("fixed"), ref.get("broken_passing_drafts")));
        sb.append(String.format("think validity (valid plan satisfying the prompt): %.3f%n",
                report.get("think_validity")));
        sb.append("seconds per item: ").append(report.get("time")).append(System.lineSeparator());
        return sb.toString();
    }

    /**
     * Writes the contact sheet: per row the prompt, a thought excerpt, the draft, the verdict and the final image; per
     * category the trajectories where IRG had something to do (a failed draft or final, or a NEEDS_CHANGES verdict)
     * first, then the others in prompt order.
     */
    static void writeSheet(Path file, List<Trajectory> runs, int perCategory) throws IOException {
        List<Trajectory> rows = new ArrayList<>();
        for (Category c : Category.values()) {
            runs.stream().filter(t -> t.prompt().category() == c)
                    .sorted(java.util.Comparator.comparing((Trajectory t) -> t.draftPass() && t.finalPass()
                            && t.verdict() == Verdict.SATISFIED))
                    .limit(perCategory).forEach(rows::add);
        }
        int scale = 2;
        int img = 64 * scale;
        int textW = 520;
        int rowH = img + 8;
        int w = textW + 3 * (img + 8) + 8;
        int h = 28 + rows.size() * rowH;
        BufferedImage sheet = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new java.awt.Color(40, 40, 40));
        g.fillRect(0, 0, w, h);
        g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 11));
        g.setColor(java.awt.Color.WHITE);
        g.drawString("prompt / thought / verdict", 8, 18);
        g.drawString("no-think draft", textW + 8, 18);
        g.drawString("think draft", textW + img + 16, 18);
        g.drawString("IRG final (1 round)", textW + 2 * (img + 8) + 8, 18);
        int y = 28;
        for (Trajectory t : rows) {
            g.setColor(java.awt.Color.WHITE);
            g.drawString(t.text(), 8, y + 14);
            String th = t.thought();
            List<String> lines = wrap(th.length() > 220 ? th.substring(0, 217) + "..." : th, 80);
            for (int i = 0; i < lines.size() && i < 4; i++) {
                g.setColor(new java.awt.Color(190, 190, 190));
                g.drawString(lines.get(i), 8, y + 30 + 13 * i);
            }
            g.setColor(t.verdict() == Verdict.SATISFIED ? new java.awt.Color(120, 220, 120)
                    : new java.awt.Color(240, 170, 80));
            g.drawString("verdict: " + t.verdict() + "   draft " + (t.draftPass() ? "PASS" : "FAIL") + " -> final "
                    + (t.finalPass() ? "PASS" : "FAIL"), 8, y + 96);
            draw(sheet, t.noThink(), textW + 8, y, scale);
            draw(sheet, t.draft(), textW + img + 16, y, scale);
            draw(sheet, t.fin(), textW + 2 * (img + 8) + 8, y, scale);
            y += rowH;
        }
        g.dispose();
        ImageIO.write(sheet, "png", file.toFile());
    }

    private static List<String> wrap(String s, int width) {
        List<String> out = new ArrayList<>();
        String rest = s;
        while (rest.length() > width) {
            int cut = rest.lastIndexOf(' ', width);
            cut = cut <= 0 ? width : cut;
            out.add(rest.substring(0, cut));
            rest = rest.substring(cut).trim();
        }
        out.add(rest);
        return out;
    }

    private static void draw(BufferedImage sheet, RgbImage img, int x0, int y0, int scale) {
        if (img == null) {
            return;
        }
        for (int y = 0; y < img.height() * scale; y++) {
            for (int x = 0; x < img.width() * scale; x++) {
                int px = x / scale;
                int py = y / scale;
                int rgb = (img.get(px, py, 0) << 16) | (img.get(px, py, 1) << 8) | img.get(px, py, 2);
                sheet.setRGB(x0 + x, y0 + y, rgb);
            }
        }
    }

    /**
     * The draft-budget sweep: for each (Euler steps, think temperature) setting, the think-draft and IRG-final
     * overall scores and the seconds per trajectory of each part, on the given prompts (no no-think row).
     */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> sweep(Config base, int[] steps, double[] temperatures, PrintStream out) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < steps.length; i++) {
            Sampling s = new Sampling(temperatures[i], steps[i], base.sampling().cfgText(), base.sampling().cfgImage());
            Config c = new Config(base.modelDir(), base.prompts(), null, base.seed(), s, base.batch(), 0, false, false);
            Map<String, Object> r = run(c, out);
            Map<String, Object> scores = (Map<String, Object>) r.get("scores");
            Map<String, Object> time = (Map<String, Object>) r.get("time");
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("steps", steps[i]);
            row.put("temperature", temperatures[i]);
            row.put("draft_overall", ((Map<String, Object>) scores.get("think draft")).get("compositional_overall"));
            row.put("final_overall", ((Map<String, Object>) scores.get(IRG_FINAL)).get("compositional_overall"));
            row.put("reflect_agreement", ((Map<String, Object>) r.get("reflect")).get("agreement"));
            row.put("time", time);
            rows.add(row);
        }
        out.println("draft-budget sweep (compositional overall scores; draw seconds per draft; all models' seconds per"
                + " trajectory):");
        out.printf("%6s %6s %8s %8s %10s %10s %12s%n", "steps", "T", "draft", "final", "agreement", "draw s", "model s/traj");
        for (Map<String, Object> r : rows) {
            Map<String, Object> t = (Map<String, Object>) r.get("time");
            out.printf("%6s %6s %8.3f %8.3f %10.3f %10.3f %12.3f%n", r.get("steps"), r.get("temperature"),
                    r.get("draft_overall"), r.get("final_overall"), r.get("reflect_agreement"),
                    (Double) t.getOrDefault("draw_seconds_per_item", 0.0),
                    (Double) t.getOrDefault("model_seconds_per_trajectory", 0.0));
        }
        return rows;
    }

    /**
     * Per-step speed (items per second) on 16 prompts, at batch 1 (each prompt a call of its own) and at batch 16 (all
     * in one call), with the runtime's thread settings: think on the prompts, draw on their thoughts, reflect on the
     * drafts, refine on the drafts with a NEEDS_CHANGES reflection. Each step is warmed up with {@value #BENCH_WARMUP}
     * calls of each batch size first: TorchScript's profiling executor specializes a method over its first calls,
     * and one warm-up call leaves the second still optimizing (measured: think's first batch-1 call after one
     * warm-up 26 ms, after three 8 ms).
     *
     * @param prompts the prompts (the first 16 are used); the default is 16 of the held-out generator's, spread over
     *                the categories
     */
    public static Map<String, Object> bench(Path modelDir, List<String> prompts, Sampling s, PrintStream out) {
        if (prompts.size() < BENCH_ITEMS) {
            throw new IllegalArgumentException("the benchmark needs " + BENCH_ITEMS + " prompts, got " + prompts.size());
        }
        List<String> ps = prompts.subList(0, BENCH_ITEMS);
        Map<String, Object> res = new LinkedHashMap<>();
        try (StepModel think = load(modelDir, Step.THINK); StepModel draw = load(modelDir, Step.DRAW);
             StepModel reflect = load(modelDir, Step.REFLECT);
             StepModel refine = load(modelDir, Step.REFINE)) {
            List<StepRequest> q = new ArrayList<>();
            for (int i = 0; i < BENCH_ITEMS; i++) {
                q.add(req(i, Step.THINK, 0, ps.get(i), null, null, null, s));
            }
            double[] tThink = speeds(think, q);
            List<String> th = texts(think.run(q));
            q = new ArrayList<>();
            for (int i = 0; i < BENCH_ITEMS; i++) {
                q.add(req(i, Step.DRAW, 0, ps.get(i), th.get(i), null, null, s));
            }
            double[] tDraw = speeds(draw, q);
            List<RgbImage> dr = images(draw.run(q));
            q = new ArrayList<>();
            for (int i = 0; i < BENCH_ITEMS; i++) {
                q.add(req(i, Step.REFLECT, 1, ps.get(i), th.get(i), dr.get(i), null, s));
            }
            double[] tReflect = speeds(reflect, q);
            List<String> rf = texts(reflect.run(q));
            q = new ArrayList<>();
            for (int i = 0; i < BENCH_ITEMS; i++) {
                String forced = rf.get(i).replace("Verdict: SATISFIED", "Verdict: NEEDS_CHANGES");
                q.add(req(i, Step.REFINE, 1, ps.get(i), th.get(i), dr.get(i), forced, s));
            }
            double[] tRefine = speeds(refine, q);
            int[] sizes = {1, BENCH_ITEMS};
            for (int k = 0; k < 2; k++) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("think_per_s", tThink[k]);
                row.put("draw_per_s", tDraw[k]);
                row.put("reflect_per_s", tReflect[k]);
                row.put("refine_per_s", tRefine[k]);
                res.put("batch_" + sizes[k], row);
                out.printf("batch %2d: think %.1f texts/s, draw %.1f images/s, reflect %.1f texts/s, refine %.1f"
                        + " images/s (%d Euler steps)%n", sizes[k], tThink[k], tDraw[k], tReflect[k], tRefine[k],
                        s.steps());
            }
        }
        return res;
    }

    private static final int BENCH_ITEMS = 16;
    private static final int BENCH_WARMUP = 3;

    /**
     * Items per second of {@code m} on {@code q}: [0] with each request a call of its own (all of them, three times),
     * [1] with the whole list as one call (three calls); both after {@value #BENCH_WARMUP} warm-up calls of each size.
     */
    private static double[] speeds(StepModel m, List<StepRequest> q) {
        for (int w = 0; w < BENCH_WARMUP; w++) {
            m.run(List.of(q.get(w % q.size())));
            m.run(q);
        }
        double[] perSecond = new double[2];
        long t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            for (StepRequest r : q) {
                m.run(List.of(r));
            }
        }
        perSecond[0] = 3.0 * q.size() / ((System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            m.run(q);
        }
        perSecond[1] = 3.0 * q.size() / ((System.nanoTime() - t0) / 1e9);
        return perSecond;
    }

    /**
     * {@code java ... ShapesEval [--models DIR] [--prompts FILE] [--per-category N] [--out DIR] [--seed N]
     * [--steps N] [--temperature T] [--sweep | --bench | --wrong-plans] [--record-manifest]}: the evaluation
     * (optionally recorded in the models' manifest.json), the draft-budget sweep (4, 8, 20 Euler steps at T=0.3 and 20
     * at T=1.0), the per-step speed benchmark, or the evaluation with a mistake injected in every plan.
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        Path models = Path.of("models/shapes");
        Path outDir = Path.of("irg-out/eval");
        Path promptFile = null;
        int per = PromptSet.DEFAULT_PER_CATEGORY;
        long seed = Config.defaults(models, outDir).seed();
        Sampling s = Sampling.DEFAULTS;
        boolean sweep = false;
        boolean bench = false;
        boolean record = false;
        boolean wrongPlans = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = Path.of(args[++i]);
                case "--prompts" -> promptFile = Path.of(args[++i]);
                case "--per-category" -> per = Integer.parseInt(args[++i]);
                case "--out" -> outDir = Path.of(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--steps" -> s = new Sampling(s.temperature(), Integer.parseInt(args[++i]), s.cfgText(),
                        s.cfgImage());
                case "--temperature" -> s = new Sampling(Double.parseDouble(args[++i]), s.steps(), s.cfgText(),
                        s.cfgImage());
                case "--sweep" -> sweep = true;
                case "--bench" -> bench = true;
                case "--record-manifest" -> record = true;
                case "--wrong-plans" -> wrongPlans = true;
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "': expected --models,"
                        + " --prompts, --per-category, --out, --seed, --steps, --temperature, --sweep, --bench, --wrong-plans or"
                        + " --record-manifest");
            }
        }
        List<PromptSpec> prompts = promptFile != null ? PromptSet.read(promptFile) : PromptSet.heldOut(per);
        Config cfg = new Config(models, prompts, outDir, seed, s, 16, 4, true, false);
        if (wrongPlans) {
            if (record || sweep || bench) {
                throw new IllegalArgumentException("--wrong-plans is an evaluation of its own: it does not go with"
                        + " --record-manifest, --sweep or --bench");
            }
            cfg = cfg.withWrongPlans();
        }
        if (bench) {
            List<PromptSpec> benchSet = promptFile != null ? prompts : PromptSet.generate(3, 99);
            bench(models, benchSet.stream().map(PromptSpec::text).toList(), s, System.out);
        } else if (sweep) {
            sweep(cfg, new int[]{4, 8, 20, 20}, new double[]{0.3, 0.3, 0.3, 1.0}, System.out);
        } else {
            Map<String, Object> report = run(cfg, System.out);
            if (record) {
                Map<String, Object> summary = new LinkedHashMap<>(report);
                summary.remove("trajectories");
                summary.put("recorded_at", java.time.Instant.now().toString());
                io.irgstream.shapes.train.Training.recordEval(models, summary);
                System.out.println("eval: recorded the scores in " + models.resolve("manifest.json"));
            }
        }
    }
}
