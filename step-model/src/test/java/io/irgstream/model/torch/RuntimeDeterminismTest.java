package io.irgstream.model.torch;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A step result depends on its request alone, not on the runtime's state: the first call of a freshly loaded module
 * (the JIT's profiling run) gives the same bytes as later calls, and the same request run from three other Java
 * threads gives them too, for each of the four shipped modules (models/shapes, whatever version is there).
 *
 * <p>The bug this guards: on this CPU (2 threads, AVX-512) draw/refine intermittently returned an all-black image
 * (NaN inside the network, turned into 0 by the uint8 conversion), most often on a module's first call, sometimes
 * later or on another thread; reflect then found nothing in the image. It passed once with oneDNN off
 * ({@code setUserEnabledMkldnn(false)}, 3-5x slower draw at batch 16). The runtime now computes a batch with a flat
 * image again ({@link TorchScriptStepModel#MAX_REDRAWS}), which this test checks end to end.
 */
class RuntimeDeterminismTest {
    private static final Path MODELS = Path.of("..", "models", "shapes");
    private static final String PROMPT = "a photo of a red circle left of a blue square";

    @Test
    void shouldGiveTheSameBytesOnTheFirstCallLaterCallsAndOtherThreadsForEachStep() throws Exception {
        for (String f : List.of("think.pt", "draw.pt", "reflect.pt", "refine.pt")) {
            Assumptions.assumeTrue(Files.exists(MODELS.resolve(f)), "no shipped " + f);
        }
        // The inputs of each step come from a separate warm chain, so every model below is fresh at its first call.
        String thought;
        RgbImage draft;
        String reflection;
        try (StepModel think = StepModels.load(Step.THINK, MODELS.resolve("think.pt"));
             StepModel draw = StepModels.load(Step.DRAW, MODELS.resolve("draw.pt"));
             StepModel reflect = StepModels.load(Step.REFLECT, MODELS.resolve("reflect.pt"))) {
            think.run(List.of(req(Step.THINK, 0, null, null, null)));
            thought = think.run(List.of(req(Step.THINK, 0, null, null, null))).get(0).text();
            draw.run(List.of(req(Step.DRAW, 0, thought, null, null)));
            draft = draw.run(List.of(req(Step.DRAW, 0, thought, null, null))).get(0).image();
            reflect.run(List.of(req(Step.REFLECT, 1, thought, draft, null)));
            reflection = reflect.run(List.of(req(Step.REFLECT, 1, thought, draft, null))).get(0).text()
                    .replace("Verdict: SATISFIED", "Verdict: NEEDS_CHANGES");
        }
        assertThat(thought).contains(" at x ");
        assertThat(distinctValues(draft)).as("the draft is a picture, not one flat color").isGreaterThan(8);

        List<String> failures = new ArrayList<>();
        failures.addAll(check(Step.THINK, req(Step.THINK, 0, null, null, null)));
        failures.addAll(check(Step.DRAW, req(Step.DRAW, 0, thought, null, null)));
        failures.addAll(check(Step.REFLECT, req(Step.REFLECT, 1, thought, draft, null)));
        failures.addAll(check(Step.REFINE, req(Step.REFINE, 1, thought, draft, reflection)));
        assertThat(failures).isEmpty();
    }

    /** Loads the step's module fresh, then: first call, two more on this thread, one on each of three threads. */
    private static List<String> check(Step step, StepRequest request) throws Exception {
        List<String> failures = new ArrayList<>();
        try (StepModel m = StepModels.load(step, MODELS.resolve(step.id() + ".pt"))) {
            StepResult first = m.run(List.of(request)).get(0);
            if (first.image() != null && distinctValues(first.image()) <= 8) {
                failures.add(step.id() + ": first call returned a flat image (" + distinctValues(first.image())
                        + " distinct channel values)");
            }
            String expected = digest(first);
            for (int k = 2; k <= 3; k++) {
                String d = digest(m.run(List.of(request)).get(0));
                if (!d.equals(expected)) {
                    failures.add(step.id() + ": call " + k + " gave " + d + ", first call " + expected);
                }
            }
            List<Future<String>> others = new ArrayList<>();
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                for (int t = 0; t < 3; t++) {
                    // one task per thread: a fixed pool of 3 with 3 tasks submitted together runs each on its own
                    others.add(pool.submit(() -> digest(m.run(List.of(request)).get(0))
                            + " on " + Thread.currentThread().getName()));
                }
                for (Future<String> f : others) {
                    String d = f.get();
                    if (!d.startsWith(expected + " on ")) {
                        failures.add(step.id() + ": " + d + " differs from the first call " + expected);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        return failures;
    }

    private static StepRequest req(Step step, int round, String thought, RgbImage image, String reflection) {
        return new StepRequest("rt-det", Seeds.stepSeed(4242L, step, round), PROMPT, thought, image, reflection,
                Sampling.DEFAULTS);
    }

    private static String digest(StepResult r) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(r.image() != null ? r.image().pixels() : r.text().getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }

    private static int distinctValues(RgbImage img) {
        boolean[] seen = new boolean[256];
        int n = 0;
        for (byte b : img.pixels()) {
            if (!seen[b & 0xff]) {
                seen[b & 0xff] = true;
                n++;
            }
        }
        return n;
    }
}
