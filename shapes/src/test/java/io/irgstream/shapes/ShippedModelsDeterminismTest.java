package io.irgstream.shapes;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.torch.StepModels;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped model set (models/shapes) serves all four steps, and a result is a function of its inputs and seed
 * alone: the same bytes in two fresh JVMs, and the same result whether it ran in a batch of 1 or of 16.
 */
class ShippedModelsDeterminismTest {
    private static final Path MODELS = Path.of("..", "models", "shapes");
    private static final List<String> PROMPTS = List.of(
            "a photo of a diamond", "a photo of a square and a circle", "a photo of three crosses",
            "a photo of a pink triangle", "a photo of a circle left of a square", "a photo of a red circle and a blue square",
            "a photo of a cross", "a photo of a triangle and a diamond", "a photo of four circles",
            "a photo of a white square", "a photo of a diamond above a cross", "a photo of a green cross and a yellow circle",
            "a photo of a triangle", "a photo of two squares", "a photo of a square below a triangle",
            "a photo of an orange diamond");

    /** The four steps over the prompts in one batch each; refine runs on every draft (its reflection forced). */
    record Run(List<String> thoughts, List<RgbImage> drafts, List<String> reflections, List<RgbImage> finals) {
    }

    static Run run(List<String> prompts, int batch) {
        return run(prompts, batch, Sampling.DEFAULTS);
    }

    static Run run(List<String> prompts, int batch, Sampling sampling) {
        try (StepModel think = StepModels.load(Step.THINK, MODELS.resolve("think.pt"));
             StepModel draw = StepModels.load(Step.DRAW, MODELS.resolve("draw.pt"));
             StepModel reflect = StepModels.load(Step.REFLECT, MODELS.resolve("reflect.pt"));
             StepModel refine = StepModels.load(Step.REFINE, MODELS.resolve("refine.pt"))) {
            List<String> thoughts = texts(chunks(think, prompts.size(), batch,
                    i -> req(i, Step.THINK, 0, prompts.get(i), null, null, null, sampling)));
            List<RgbImage> drafts = images(chunks(draw, prompts.size(), batch,
                    i -> req(i, Step.DRAW, 0, prompts.get(i), thoughts.get(i), null, null, sampling)));
            List<String> reflections = texts(chunks(reflect, prompts.size(), batch,
                    i -> req(i, Step.REFLECT, 1, prompts.get(i), thoughts.get(i), drafts.get(i), null, sampling)));
            List<RgbImage> finals = images(chunks(refine, prompts.size(), batch,
                    i -> req(i, Step.REFINE, 1, prompts.get(i), thoughts.get(i), drafts.get(i),
                            reflections.get(i).replace("Verdict: SATISFIED", "Verdict: NEEDS_CHANGES"), sampling)));
            return new Run(thoughts, drafts, reflections, finals);
        }
    }

    private static StepRequest req(int i, Step step, int round, String prompt, String thought, RgbImage image,
                                   String reflection, Sampling sampling) {
        return new StepRequest("det-" + i, Seeds.stepSeed(4242L + i, step, round), prompt, thought, image, reflection,
                sampling);
    }

    private static List<StepResult> chunks(StepModel m, int n, int batch, java.util.function.IntFunction<StepRequest> req) {
        List<StepResult> out = new ArrayList<>();
        for (int from = 0; from < n; from += batch) {
            List<StepRequest> q = new ArrayList<>();
            for (int i = from; i < Math.min(n, from + batch); i++) {
                q.add(req.apply(i));
            }
            out.addAll(m.run(q));
        }
        return out;
    }

    private static List<String> texts(List<StepResult> r) {
        return r.stream().map(StepResult::text).toList();
    }

    private static List<RgbImage> images(List<StepResult> r) {
        return r.stream().map(StepResult::image).toList();
    }

    /** Child JVM: the four steps over the first four prompts, then the sha256 of every text and pixel. */
    public static void main(String[] args) throws Exception {
        Run r = run(PROMPTS.subList(0, 4), 4);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (int i = 0; i < 4; i++) {
            md.update(r.thoughts().get(i).getBytes(StandardCharsets.UTF_8));
            md.update(r.drafts().get(i).pixels());
            md.update(r.reflections().get(i).getBytes(StandardCharsets.UTF_8));
            md.update(r.finals().get(i).pixels());
        }
        System.out.println("DIGEST " + HexFormat.of().formatHex(md.digest()));
    }

    private static String childDigest() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ShippedModelsDeterminismTest.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().filter(l -> l.startsWith("DIGEST ")).findFirst().orElseThrow(() -> new AssertionError(out));
    }

    @Test
    void shouldGiveIdenticalBytesInTwoFreshJvmsWhenSeedsAreSame() throws Exception {
        Assumptions.assumeTrue(Files.exists(MODELS.resolve("refine.pt")), "no shipped models");
        String first = childDigest();
        String second = childDigest();
        assertThat(first).hasSize("DIGEST ".length() + 64).isEqualTo(second);
    }

    @Test
    void shouldGiveTheSameResultInABatchOfOneAsInABatchOfSixteen() {
        Assumptions.assumeTrue(Files.exists(MODELS.resolve("refine.pt")), "no shipped models");
        // 8 Euler steps (not the default 20): the same batched code paths at 40% of the cost, which kept this test
        // near 4 minutes of the suite on 2 cores; the two-JVM test above runs the defaults
        Sampling eight = new Sampling(Sampling.DEFAULTS.temperature(), 8, Sampling.DEFAULTS.cfgText(),
                Sampling.DEFAULTS.cfgImage());
        Run sixteen = run(PROMPTS, 16, eight);
        Run ones = run(PROMPTS, 1, eight);
        assertThat(ones.thoughts()).isEqualTo(sixteen.thoughts());
        for (String t : sixteen.thoughts()) {
            assertThat(t).contains(" at x ");
        }
        assertThat(ones.reflections()).isEqualTo(sixteen.reflections());
        int[] draft = diff(ones.drafts(), sixteen.drafts());
        int[] fin = diff(ones.finals(), sixteen.finals());
        System.out.printf("batch 1 vs 16: draft max |diff| %d, pixels differing %d; final max |diff| %d, differing %d%n",
                draft[0], draft[1], fin[0], fin[1]);
        // float tolerance: reductions over a batch of 16 may round differently from a batch of 1, and the Euler
        // steps carry that on (measured 2026-11-27: drafts max 1 level in 1 channel, finals max 1 level in 4)
        assertThat(draft[0]).isLessThanOrEqualTo(8);
        assertThat(fin[0]).isLessThanOrEqualTo(8);
        int channels = PROMPTS.size() * 64 * 64 * 3;
        assertThat(draft[1]).isLessThan(channels / 1000);
        assertThat(fin[1]).isLessThan(channels / 1000);
    }

    /** Largest absolute channel difference and how many channels differ, over all images. */
    private static int[] diff(List<RgbImage> a, List<RgbImage> b) {
        int max = 0;
        int count = 0;
        for (int i = 0; i < a.size(); i++) {
            byte[] x = a.get(i).pixels();
            byte[] y = b.get(i).pixels();
            assertThat(x).hasSameSizeAs(y);
            for (int k = 0; k < x.length; k++) {
                int d = Math.abs((x[k] & 0xff) - (y[k] & 0xff));
                if (d > 0) {
                    count++;
                    max = Math.max(max, d);
                }
            }
        }
        return new int[]{max, count};
    }
}
