package io.irgstream.shapes.paint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.torch.StepModels;
import io.irgstream.shapes.eval.Evaluator;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.train.TorchSetup;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * Measures the no-think draw: for N prompts per category of the prompt language (seeded, {@link PromptSpec#sample}),
 * draws with an empty thought through the served draw module ({@link StepModels#load}, the workers' path: noise from
 * each request's step seed) and scores each image with the pixels-only {@link Evaluator}. Writes
 * {@code nothink-check.json} (per-category pass rates, GenEval overall over the first six categories, compositional
 * overall over all ten, every prompt with its result) and {@code nothink-sheet.png} (the first images of each
 * category, a green frame when the image passes). A developer tool; {@code ./irg eval} reports the same row.
 *
 * <p>Usage: {@code NoThinkCheck DRAW.pt OUT_DIR [--per-category 30] [--steps 20] [--cfg 4.0] [--seed 77]
 * [--batch 16] [--threads 2] [--sheet 32] [--no-mkldnn] [--categories single_object,colors]}. The prompts of a
 * category are the same whichever categories are chosen.
 */
public final class NoThinkCheck {
    private NoThinkCheck() {
    }

    /** Command-line entry. */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: NoThinkCheck DRAW.pt OUT_DIR [--per-category N] [--steps S] [--cfg C] [--seed S]"
                    + " [--batch B] [--threads T] [--sheet N]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Path out = Path.of(args[1]);
        int perCategory = 30;
        int steps = 20;
        double cfg = 4.0;
        long seed = 77;
        int batch = 16;
        int threads = 2;
        int sheet = 32;
        boolean mkldnn = true;
        java.util.Set<Category> cats = java.util.EnumSet.allOf(Category.class);
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--per-category" -> perCategory = Integer.parseInt(args[++i]);
                case "--steps" -> steps = Integer.parseInt(args[++i]);
                case "--cfg" -> cfg = Double.parseDouble(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--sheet" -> sheet = Integer.parseInt(args[++i]);
                case "--no-mkldnn" -> mkldnn = false;
                case "--categories" -> {
                    cats = java.util.EnumSet.noneOf(Category.class);
                    for (String c : args[++i].split(",")) {
                        cats.add(Category.parse(c));
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        TorchSetup.init(threads);
        if (!mkldnn) {
            org.bytedeco.pytorch.global.torch.globalContext().setUserEnabledMkldnn(false);
        }
        Random rnd = new Random(seed);
        List<PromptSpec> prompts = new ArrayList<>();
        for (Category c : Category.values()) {
            for (int i = 0; i < perCategory; i++) {
                PromptSpec p = PromptSpec.sample(c, rnd);
                if (cats.contains(c)) {
                    prompts.add(p);
                }
            }
        }
        Sampling sampling = new Sampling(0.3, steps, cfg, 2.0);
        Evaluator ev = new Evaluator();
        List<RgbImage> images = new ArrayList<>();
        List<Boolean> passes = new ArrayList<>();
        long t0 = System.nanoTime();
        try (StepModel draw = StepModels.load(Step.DRAW, model)) {
            for (int start = 0; start < prompts.size(); start += batch) {
                List<StepRequest> q = new ArrayList<>();
                for (int i = start; i < Math.min(prompts.size(), start + batch); i++) {
                    q.add(new StepRequest("nothink-" + i, Seeds.stepSeed(seed * 10_000 + i, Step.DRAW, 0),
                            prompts.get(i).text(), "", null, null, sampling));
                }
                for (StepResult r : draw.run(q)) {
                    images.add(r.image());
                    passes.add(ev.passes(prompts.get(images.size() - 1), r.image()));
                }
                System.out.printf(Locale.ROOT, "nothink-check: %d/%d%n", images.size(), prompts.size());
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> scores = new LinkedHashMap<>();
        double gen = 0;
        double comp = 0;
        int genN = 0;
        for (Category c : Category.values()) {
            int n = 0;
            int ok = 0;
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).category() == c) {
                    n++;
                    ok += passes.get(i) ? 1 : 0;
                }
            }
            double s = n == 0 ? 0 : ok / (double) n;
            if (n == 0) {
                continue;
            }
            scores.put(c.id(), s);
            comp += s;
            if (c.geneval()) {
                gen += s;
                genN++;
            }
        }
        if (cats.size() == Category.values().length) {
            scores.put("geneval_overall", gen / genN);
            scores.put("compositional_overall", comp / Category.values().length);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", model.toString());
        report.put("prompts", prompts.size());
        report.put("seed", seed);
        report.put("sampling", Map.of("steps", steps, "cfg_text", cfg));
        report.put("threads", threads);
        report.put("mkldnn", mkldnn);
        report.put("seconds", Math.round(seconds));
        report.put("scores", scores);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("prompt", prompts.get(i).text());
            m.put("category", prompts.get(i).category().id());
            m.put("pass", passes.get(i));
            m.put("seen", ev.detect(images.get(i)).stream().map(Object::toString).toList());
            rows.add(m);
        }
        report.put("items", rows);
        Files.createDirectories(out);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(out.resolve("nothink-check.json").toFile(), report);
        writeSheet(out.resolve("nothink-sheet.png"), prompts, images, passes, sheet);
        for (Map.Entry<String, Object> e : scores.entrySet()) {
            System.out.printf(Locale.ROOT, "%-22s %.3f%n", e.getKey(), (Double) e.getValue());
        }
        System.out.printf(Locale.ROOT, "nothink-check: %d prompts in %.0f s; wrote %s%n", prompts.size(), seconds, out);
    }

    /** Up to {@code n} images, the first of each category in turn, 4 per row, with the prompt and pass/fail. */
    static void writeSheet(Path file, List<PromptSpec> prompts, List<RgbImage> images, List<Boolean> passes, int n)
            throws IOException {
        List<Integer> pick = new ArrayList<>();
        int perCat = Math.max(1, (n + Category.values().length - 1) / Category.values().length);
        for (int k = 0; k < perCat && pick.size() < n; k++) {
            for (Category c : Category.values()) {
                int seen = 0;
                for (int i = 0; i < prompts.size() && pick.size() < n; i++) {
                    if (prompts.get(i).category() == c && seen++ == k) {
                        pick.add(i);
                        break;
                    }
                }
            }
        }
        int cols = 4;
        int scale = 3;
        int tile = 64 * scale;
        int cellW = tile + 190;
        int cellH = tile + 12;
        int rowsN = (pick.size() + cols - 1) / cols;
        BufferedImage sheet = new BufferedImage(cols * cellW, Math.max(1, rowsN) * cellH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new java.awt.Color(40, 40, 40));
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int k = 0; k < pick.size(); k++) {
            int i = pick.get(k);
            int x0 = (k % cols) * cellW + 6;
            int y0 = (k / cols) * cellH + 6;
            g.setColor(passes.get(i) ? new java.awt.Color(40, 200, 60) : new java.awt.Color(220, 40, 40));
            g.fillRect(x0 - 3, y0 - 3, tile + 6, tile + 6);
            RgbImage img = images.get(i);
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int rgb = (img.get(x, y, 0) << 16) | (img.get(x, y, 1) << 8) | img.get(x, y, 2);
                    for (int dy = 0; dy < scale; dy++) {
                        for (int dx = 0; dx < scale; dx++) {
                            sheet.setRGB(x0 + x * scale + dx, y0 + y * scale + dy, rgb);
                        }
                    }
                }
            }
            g.setColor(java.awt.Color.WHITE);
            int ty = y0 + 14;
            g.drawString(prompts.get(i).category().id() + (passes.get(i) ? "  PASS" : "  fail"), x0 + tile + 8, ty);
            StringBuilder line = new StringBuilder();
            for (String w : prompts.get(i).text().split(" ")) {
                if (line.length() + w.length() > 26) {
                    ty += 15;
                    g.drawString(line.toString(), x0 + tile + 8, ty);
                    line.setLength(0);
                }
                line.append(line.length() == 0 ? "" : " ").append(w);
            }
            if (line.length() > 0) {
                g.drawString(line.toString(), x0 + tile + 8, ty + 15);
            }
        }
        g.dispose();
        ImageIO.write(sheet, "png", file.toFile());
    }
}
