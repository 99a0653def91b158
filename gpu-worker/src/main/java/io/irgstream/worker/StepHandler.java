package io.irgstream.worker;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.images.Png;
import org.apache.avro.specific.SpecificRecord;

import java.io.IOException;

/**
 * What one step reads and writes: it turns an input event into a {@link StepRequest} and a model result into the
 * output event. The worker loop is the same for every step; only the handler differs. Handlers know the event schemas,
 * not the model's domain.
 *
 * @param <I> input event type
 * @param <O> output event type
 */
public abstract sealed class StepHandler<I extends SpecificRecord, O extends SpecificRecord> {
    private final Step step;
    private final Class<I> inputType;

    private StepHandler(Step step, Class<I> inputType) {
        this.step = step;
        this.inputType = inputType;
    }

    public final Step step() {
        return step;
    }

    public final Class<I> inputType() {
        return inputType;
    }

    /** The trajectory the input belongs to. */
    public abstract TrajectoryContext context(I in);

    /** The reflection round of the input's output (0 for think and draw). */
    public int round(I in) {
        return 0;
    }

    /** The model request for {@code in}; reads (and verifies) input images. */
    public abstract StepRequest request(I in, long stepSeed, ImageStore images);

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
        return new Sampling(p.getTemperature(), p.getSteps(), p.getCfgText(), p.getCfgImage());
    }

    static String requireText(StepResult r, Step step) {
        if (r.text() == null) {
            throw new IllegalStateException(step.id() + " model returned no text");
        }
        return r.text();
    }

    /** think: PromptSubmitted -> ThoughtProduced. */
    public static final class Think extends StepHandler<PromptSubmitted, ThoughtProduced> {
        Think() {
            super(Step.THINK, PromptSubmitted.class);
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
        public ThoughtProduced output(PromptSubmitted in, StepResult r, Provenance p, ImageStore images) {
            return ThoughtProduced.newBuilder().setContext(in.getContext()).setThought(requireText(r, Step.THINK))
                    .setProvenance(p).build();
        }
    }

    /** draw: ThoughtProduced -> DraftImageProduced. */
    public static final class Draw extends StepHandler<ThoughtProduced, DraftImageProduced> {
        Draw() {
            super(Step.DRAW, ThoughtProduced.class);
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
            if (r.image() == null) {
                throw new IllegalStateException("draw model returned no image");
            }
            return DraftImageProduced.newBuilder().setContext(in.getContext()).setThought(in.getThought())
                    .setImage(Png.store(images, r.image())).setProvenance(p).build();
        }
    }

    /** reflect: DraftImageProduced -> ReflectionProduced (round 1). */
    public static final class Reflect extends StepHandler<DraftImageProduced, ReflectionProduced> {
        Reflect() {
            super(Step.REFLECT, DraftImageProduced.class);
        }

        @Override
        public TrajectoryContext context(DraftImageProduced in) {
            return in.getContext();
        }

        @Override
        public int round(DraftImageProduced in) {
            return 1;
        }

        @Override
        public StepRequest request(DraftImageProduced in, long seed, ImageStore images) {
            TrajectoryContext c = in.getContext();
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), in.getThought(),
                    Png.load(images, in.getImage()), null, sampling(c));
        }

        @Override
        public ReflectionProduced output(DraftImageProduced in, StepResult r, Provenance p, ImageStore images) {
            String text = requireText(r, Step.REFLECT);
            Verdict v = Verdict.of(text);
            return ReflectionProduced.newBuilder().setContext(in.getContext()).setRound(1).setThought(in.getThought())
                    .setImage(in.getImage()).setReflection(text)
                    .setVerdict(io.irgstream.events.Verdict.valueOf(v.name())).setProvenance(p).build();
        }
    }

    /** refine: ReflectionProduced -> FinalImageProduced; a SATISFIED verdict keeps the judged image. */
    public static final class Refine extends StepHandler<ReflectionProduced, FinalImageProduced> {
        Refine() {
            super(Step.REFINE, ReflectionProduced.class);
        }

        @Override
        public TrajectoryContext context(ReflectionProduced in) {
            return in.getContext();
        }

        @Override
        public int round(ReflectionProduced in) {
            return in.getRound();
        }

        @Override
        public StepRequest request(ReflectionProduced in, long seed, ImageStore images) {
            TrajectoryContext c = in.getContext();
            return new StepRequest(c.getTrajectoryId(), seed, c.getPrompt(), in.getThought(),
                    Png.load(images, in.getImage()), in.getReflection(), sampling(c));
        }

        @Override
        public StepResult withoutModel(ReflectionProduced in, StepRequest request) {
            return in.getVerdict() == io.irgstream.events.Verdict.SATISFIED ? StepResult.image(request.image()) : null;
        }

        @Override
        public FinalImageProduced output(ReflectionProduced in, StepResult r, Provenance p, ImageStore images)
                throws IOException {
            if (r.image() == null) {
                throw new IllegalStateException("refine model returned no image");
            }
            boolean kept = in.getVerdict() == io.irgstream.events.Verdict.SATISFIED;
            return FinalImageProduced.newBuilder().setContext(in.getContext()).setRound(in.getRound())
                    .setThought(in.getThought()).setReflection(in.getReflection()).setVerdict(in.getVerdict())
                    .setSourceImage(in.getImage())
                    .setImage(kept ? in.getImage() : Png.store(images, r.image()))
                    .setProvenance(p).build();
        }
    }
}
