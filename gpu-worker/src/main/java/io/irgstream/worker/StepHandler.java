package io.irgstream.worker;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.ModelOutputException;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.schemas.Revisions;
import io.irgstream.schemas.RoundControl;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.images.Png;
import org.apache.avro.specific.SpecificRecord;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What one step reads and writes: it turns an input event into a {@link StepRequest} and a model result into the
 * output event. The worker loop is the same for every step; only the handler differs (think also asks its model which
 * prompts it rejects). Handlers know the event schemas, not the model's domain. A model result they cannot use throws
 * {@link ModelOutputException}; an input they cannot use throws {@link BadInputException}.
 *
 * @param <I> input event type
 * @param <O> output event type
 */
public abstract sealed class StepHandler<I extends SpecificRecord, O extends SpecificRecord> {
    private final Step step;

    private StepHandler(Step step) {
        this.step = step;
    }

    public final Step step() {
        return step;
    }

    /** The topics this step reads, with the event type of each. */
    public abstract Map<String, Class<? extends I>> inputs(Topics topics);

    /** The topic this step writes. */
    public abstract String output(Topics topics);

    /**
     * Whether {@code in} needs no work from this step (its offset is committed, nothing is written): every step skips
     * revisions (events with a revision &gt; 0, written by {@code ./irg redrive}: a redriven draft must not be reflected
     * on, a redriven final must not start another round), and reflect skips final images that end their trajectory.
     */
    public final boolean skip(I in) {
        return Revisions.isRevision(in) || skipInput(in);
    }

    /** Step-specific inputs that need no work; {@link #skip} adds the revisions. */
    boolean skipInput(I in) {
        return false;
    }

    /** The trajectory the input belongs to. */
    public abstract TrajectoryContext context(I in);

    /** The reflection round of the input's output (0 for think and draw). */
    public int round(I in) {
        return 0;
    }

    /** The model request for {@code in}; reads (and verifies) input images. */
    public abstract StepRequest request(I in, long stepSeed, ImageStore images);

    /**
     * Which of {@code prompts} the model rejects, and why: one entry per prompt, {@code ""} where it is accepted (see
     * {@link StepModel#rejections}). Only think asks its model; the other steps accept every prompt that reached them.
     */
    public List<String> rejections(StepModel model, List<String> prompts) {
        return Collections.nCopies(prompts.size(), "");
    }

    /** A result that needs no model call, or null. Refine keeps the judged image when the verdict is SATISFIED. */
    public StepResult withoutModel(I in, StepRequest request) {
        return null;
    }

    /** The output event; stores output images. */
    public abstract O output(I in, StepResult result, Provenance provenance, ImageStore images) throws IOException;

    /** The handler of {@code step}. */
    public static StepHandler<?, ?> of(Step step) {
        return switch (step) {
            case THINK -> new Think();
            case DRAW -> new Draw();
            case REFLECT -> new Reflect();
            case REFINE -> new Refine();
        };
    }

    static Sampling sampling(TrajectoryContext ctx) {
        SamplerParams p = ctx.getSampler();
        try {
            return new Sampling(p.getTemperature(), p.getSteps(), p.getCfgText(), p.getCfgImage());
        } catch (IllegalArgumentException outOfRange) {
            throw new BadInputException("the sampler parameters are invalid: " + outOfRange.getMessage(), outOfRange);
        }
    }

    static String requireText(StepResult r, Step step) {
        if (r.text() == null) {
            throw new ModelOutputException(step.id() + " model returned no text");
        }
        return r.text();
    }

    static RgbImage requireImage(StepResult r, Step step) {
        if (r.image() == null) {
            throw new ModelOutputException(step.id() + " model returned no image");
        }
        return r.image();
    }

    /** {@code text} on one line, at most 300 characters, for a message that quotes a model's answer. */
    static String shorten(String text) {
        String line = text.replace('\n', ' ');
        return line.length() <= 300 ? line : line.substring(0, 297) + "...";
    }

    /** think: PromptSubmitted -> ThoughtProduced. */
    public static final class Think extends StepHandler<PromptSubmitted, ThoughtProduced> {
        Think() {
            super(Step.THINK);
        }

        @Override
        public Map<String, Class<? extends PromptSubmitted>> inputs(Topics t) {
            return Map.of(t.prompts().name(), PromptSubmitted.class);
        }

        @Override
        public String output(Topics t) {
            return t.thoughts().name();
        }

        @Override
        public TrajectoryContext context(PromptSubmitted in) {
            return in.getContext();
        }

        @Override
        public StepRequest request(PromptSubmitted in, long seed, ImageStore images) {
            TrajectoryContext c = in.getContext();
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), null, null, null, sampling(c));
        }

        @Override
        public List<String> rejections(StepModel model, List<String> prompts) {
            List<String> reasons = model.rejections(prompts);
            if (reasons == null || reasons.size() != prompts.size()) {
                throw new ModelOutputException("think model returned " + (reasons == null ? "null" : reasons.size()
                        + " answers") + " from its prompt check for " + prompts.size() + " prompts");
            }
            return reasons;
        }

        @Override
        public ThoughtProduced output(PromptSubmitted in, StepResult r, Provenance p, ImageStore images) {
            return ThoughtProduced.newBuilder().setContext(in.getContext()).setThought(requireText(r, Step.THINK))
                    .setProvenance(p).build();
        }
    }

    /** draw: ThoughtProduced -> DraftImageProduced. */
    public static final class Draw extends StepHandler<ThoughtProduced, DraftImageProduced> {
        Draw() {
            super(Step.DRAW);
        }

        @Override
        public Map<String, Class<? extends ThoughtProduced>> inputs(Topics t) {
            return Map.of(t.thoughts().name(), ThoughtProduced.class);
        }

        @Override
        public String output(Topics t) {
            return t.draftImages().name();
        }

        @Override
        public TrajectoryContext context(ThoughtProduced in) {
            return in.getContext();
        }

        @Override
        public StepRequest request(ThoughtProduced in, long seed, ImageStore images) {
            TrajectoryContext c = in.getContext();
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), in.getThought(), null, null, sampling(c));
        }

        @Override
        public DraftImageProduced output(ThoughtProduced in, StepResult r, Provenance p, ImageStore images)
                throws IOException {
            return DraftImageProduced.newBuilder().setContext(in.getContext()).setThought(in.getThought())
                    .setImage(Png.store(images, requireImage(r, Step.DRAW))).setProvenance(p).build();
        }
    }

    /**
     * reflect: DraftImageProduced -> ReflectionProduced (round 1), and FinalImageProduced of round r ->
     * ReflectionProduced of round r+1 when {@link RoundControl} asks for another round.
     */
    public static final class Reflect extends StepHandler<SpecificRecord, ReflectionProduced> {
        Reflect() {
            super(Step.REFLECT);
        }

        @Override
        public Map<String, Class<? extends SpecificRecord>> inputs(Topics t) {
            return Map.of(t.draftImages().name(), DraftImageProduced.class, t.finalImages().name(), FinalImageProduced.class);
        }

        @Override
        public String output(Topics t) {
            return t.reflections().name();
        }

        @Override
        boolean skipInput(SpecificRecord in) {
            return in instanceof FinalImageProduced f && RoundControl.isLast(f);
        }

        @Override
        public TrajectoryContext context(SpecificRecord in) {
            return in instanceof DraftImageProduced d ? d.getContext() : ((FinalImageProduced) in).getContext();
        }

        @Override
        public int round(SpecificRecord in) {
            return in instanceof FinalImageProduced f ? RoundControl.nextRound(f).orElse(f.getRound() + 1) : 1;
        }

        private static String thought(SpecificRecord in) {
            return in instanceof DraftImageProduced d ? d.getThought() : ((FinalImageProduced) in).getThought();
        }

        private static ImageRef judged(SpecificRecord in) {
            return in instanceof DraftImageProduced d ? d.getImage() : ((FinalImageProduced) in).getImage();
        }

        @Override
        public StepRequest request(SpecificRecord in, long seed, ImageStore images) {
            TrajectoryContext c = context(in);
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), thought(in), Png.load(images, judged(in)),
                    null, sampling(c));
        }

        @Override
        public ReflectionProduced output(SpecificRecord in, StepResult r, Provenance p, ImageStore images) {
            String text = requireText(r, Step.REFLECT);
            Verdict v = Verdict.find(text).orElseThrow(() -> new ModelOutputException("the reflection has no "
                    + "'Verdict: SATISFIED|NEEDS_CHANGES' line: \"" + shorten(text) + "\""));
            return ReflectionProduced.newBuilder().setContext(context(in)).setRound(round(in)).setThought(thought(in))
                    .setImage(judged(in)).setReflection(text)
                    .setVerdict(io.irgstream.events.Verdict.valueOf(v.name())).setProvenance(p).build();
        }
    }

    /** refine: ReflectionProduced -> FinalImageProduced; a SATISFIED verdict keeps the judged image. */
    public static final class Refine extends StepHandler<ReflectionProduced, FinalImageProduced> {
        Refine() {
            super(Step.REFINE);
        }

        @Override
        public Map<String, Class<? extends ReflectionProduced>> inputs(Topics t) {
            return Map.of(t.reflections().name(), ReflectionProduced.class);
        }

        @Override
        public String output(Topics t) {
            return t.finalImages().name();
        }

        @Override
        public TrajectoryContext context(ReflectionProduced in) {
            return in.getContext();
        }

        @Override
        public int round(ReflectionProduced in) {
            return in.getRound();
        }

        /** The result of a SATISFIED verdict: the judged image is kept as it is, so no pixels are needed. */
        private static final StepResult KEPT = new StepResult(null, null);

        private static boolean kept(ReflectionProduced in) {
            return in.getVerdict() == io.irgstream.events.Verdict.SATISFIED;
        }

        /**
         * The model request; for a SATISFIED verdict without the image's pixels: its bytes are read and verified (a
         * missing, unreadable or altered image fails here as for NEEDS_CHANGES) but not decoded, since the image is
         * kept byte for byte and reflect decoded these very bytes (the same sha256) to judge them.
         */
        @Override
        public StepRequest request(ReflectionProduced in, long seed, ImageStore images) {
            TrajectoryContext c = in.getContext();
            RgbImage image;
            if (kept(in)) {
                images.bytes(in.getImage());
                image = null;
            } else {
                image = Png.load(images, in.getImage());
            }
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), in.getThought(), image,
                    in.getReflection(), sampling(c));
        }

        @Override
        public StepResult withoutModel(ReflectionProduced in, StepRequest request) {
            return kept(in) ? KEPT : null;
        }

        @Override
        public FinalImageProduced output(ReflectionProduced in, StepResult r, Provenance p, ImageStore images)
                throws IOException {
            boolean kept = kept(in);
            return FinalImageProduced.newBuilder().setContext(in.getContext()).setRound(in.getRound())
                    .setThought(in.getThought()).setReflection(in.getReflection()).setVerdict(in.getVerdict())
                    .setSourceImage(in.getImage())
                    .setImage(kept ? in.getImage() : Png.store(images, requireImage(r, Step.REFINE)))
                    .setProvenance(p).build();
        }
    }
}
