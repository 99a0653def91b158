package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.shapes.train.TrainOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Drafts painted by a trained draw model, for the training data of the steps that read drafts (reflect and refine):
 * their images have the painter's soft edges and slips, which rendered images do not. Training only.
 */
public final class RealDrafts {
    /** Requests per draw call. */
    static final int BATCH = 16;

    /** Euler steps of the drafts, cycled per draw call: cheap and default drafts both. */
    private static final int[] STEPS = {4, 8, 20};

    private RealDrafts() {
    }

    /** The sampling of the {@code index}-th request: IRG's temperature and guidance, 4, 8 or 20 Euler steps by batch. */
    public static Sampling sampling(int index) {
        return new Sampling(0.3, STEPS[(index / BATCH) % STEPS.length], 4.0, 2.0);
    }

    /**
     * The draw model whose drafts join a trainer's data: {@code draw.pt} in the output folder (the one this training
     * run wrote, or the set being extended), else the file named by the environment variable {@code envVar} (e.g. a
     * draw checkpoint still in training), else none, which is logged.
     *
     * @param step the training step that asks, for the log line
     */
    public static Path drawModel(TrainOptions opts, String envVar, String step) {
        Path draw = opts.outDir().resolve("draw.pt");
        if (Files.exists(draw)) {
            return draw;
        }
        String env = System.getenv(envVar);
        if (env != null && !env.isBlank() && Files.exists(Path.of(env))) {
            return Path.of(env);
        }
        opts.log().accept(step + ": no " + draw + " (nor " + envVar + "), training on rendered images only");
        return null;
    }

    /**
     * Paints every request (each with its own prompt, thought, seed and sampling) with the draw model, {@value #BATCH}
     * at a time, in order.
     *
     * @throws RuntimeException when the model cannot be loaded or fails
     */
    public static List<RgbImage> paint(Path drawModel, List<StepRequest> requests) {
        List<RgbImage> out = new ArrayList<>(requests.size());
        try (StepModel m = StepModels.load(Step.DRAW, drawModel)) {
            for (int start = 0; start < requests.size(); start += BATCH) {
                for (StepResult r : m.run(requests.subList(start, Math.min(requests.size(), start + BATCH)))) {
                    out.add(r.image());
                }
            }
        }
        return out;
    }
}
