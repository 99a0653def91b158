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
import io.irgstream.events.Verdict;
import io.irgstream.model.Step;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Revisions (events written by ./irg redrive) are never work for a step; originals are, as before. */
class StepHandlerRevisionTest {
    private static TrajectoryContext context(int rounds) {
        return TrajectoryContext.newBuilder().setTrajectoryId("t-1").setPrompt("a photo of a red circle").setSeed(5)
                .setRounds(rounds).setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(Instant.EPOCH).build();
    }

    private static Provenance provenance(String step, int revision) {
        return Provenance.newBuilder().setStep(step).setModelName("m").setModelSha256("ab".repeat(32)).setWorkerId("w")
                .setStepSeed(1).setBatchSize(1).setQueueWaitMs(0).setComputeMs(0).setProducedAt(Instant.EPOCH)
                .setRevision(revision).setRedrivenModelSha256(revision > 0 ? "cd".repeat(32) : null).build();
    }

    private static final ImageRef IMAGE = ImageRef.newBuilder().setSha256("ef".repeat(32)).setMediaType("image/png")
            .setWidth(1).setHeight(1).setSizeBytes(1).setInline(ByteBuffer.wrap(new byte[] {1})).build();

    private static ThoughtProduced thought(int revision) {
        return ThoughtProduced.newBuilder().setContext(context(1)).setThought("plan").setProvenance(provenance("think", revision)).build();
    }

    private static DraftImageProduced draft(int revision) {
        return DraftImageProduced.newBuilder().setContext(context(1)).setThought("plan").setImage(IMAGE)
                .setProvenance(provenance("draw", revision)).build();
    }

    private static ReflectionProduced reflection(int revision) {
        return ReflectionProduced.newBuilder().setContext(context(1)).setRound(1).setThought("plan").setImage(IMAGE)
                .setReflection("r\nVerdict: NEEDS_CHANGES").setVerdict(Verdict.NEEDS_CHANGES)
                .setProvenance(provenance("reflect", revision)).build();
    }

    private static FinalImageProduced finalImage(int rounds, int revision) {
        return FinalImageProduced.newBuilder().setContext(context(rounds)).setRound(1).setThought("plan")
                .setReflection("r").setVerdict(Verdict.NEEDS_CHANGES).setSourceImage(IMAGE).setImage(IMAGE)
                .setProvenance(provenance("refine", revision)).build();
    }

    @SuppressWarnings("unchecked")
    private static boolean skips(Step step, SpecificRecord in) {
        return ((StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(step)).skip(in);
    }

    @Test
    void shouldSkipEveryRevisionAndKeepWorkingOnOriginals() {
        assertThat(skips(Step.THINK, PromptSubmitted.newBuilder().setContext(context(1)).build())).isFalse();
        assertThat(skips(Step.DRAW, thought(0))).isFalse();
        assertThat(skips(Step.DRAW, thought(1))).as("a redriven thought is not drawn").isTrue();
        assertThat(skips(Step.REFLECT, draft(0))).isFalse();
        assertThat(skips(Step.REFLECT, draft(1))).as("a redriven draft is not reflected on").isTrue();
        assertThat(skips(Step.REFINE, reflection(0))).isFalse();
        assertThat(skips(Step.REFINE, reflection(3))).as("a redriven reflection is not refined").isTrue();
        // round 1 of 2: the original final starts round 2, a redriven one must not
        assertThat(skips(Step.REFLECT, finalImage(2, 0))).isFalse();
        assertThat(skips(Step.REFLECT, finalImage(2, 1))).isTrue();
        // the last round's final ends the trajectory either way
        assertThat(skips(Step.REFLECT, finalImage(1, 0))).isTrue();
    }
}
