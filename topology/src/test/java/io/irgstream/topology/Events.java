package io.irgstream.topology;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.DeadLetter;
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
import io.irgstream.schemas.images.ImageStore;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import javax.imageio.ImageIO;

/** The events of one trajectory, as the workers would produce them; images are real 8x8 PNGs. */
final class Events {

    static final Instant SUBMITTED_AT = Instant.parse("2026-01-01T00:00:00Z");
    static final String THOUGHT = "A red circle, large, centered.";

    final String id;
    final int rounds;
    private final ImageStore images;
    /** The deadline every event's context carries; null: none. */
    Instant deadline;

    /** Events with inline images. */
    Events(String id, int rounds) {
        this(id, rounds, null);
    }

    /** Events whose images are put into {@code images} (inline or blob store, by its inline limit). */
    Events(String id, int rounds, ImageStore images) {
        this.id = id;
        this.rounds = rounds;
        this.images = images;
    }

    TrajectoryContext context() {
        return TrajectoryContext.newBuilder().setTrajectoryId(id).setPrompt("a large red circle").setSeed(42L)
                .setRounds(rounds).setSampler(SamplerParams.newBuilder().build()).setSubmittedAt(SUBMITTED_AT)
                .setSource("test").setDeadline(deadline).build();
    }

    /** Provenance of a step produced {@code secondsAfterSubmit} after the submission. */
    static Provenance provenance(String step, int secondsAfterSubmit, int attempt) {
        return Provenance.newBuilder().setStep(step).setModelName("shapes-" + step).setModelSha256("ab".repeat(32))
                .setDevice("cpu").setWorkerId(step + "-worker-0").setAttempt(attempt).setStepSeed(7L)
                .setBatchSize(4).setQueueWaitMs(10L * secondsAfterSubmit).setComputeMs(100L * secondsAfterSubmit)
                .setProducedAt(SUBMITTED_AT.plusSeconds(secondsAfterSubmit)).build();
    }

    PromptSubmitted prompt() {
        return PromptSubmitted.newBuilder().setContext(context()).build();
    }

    ThoughtProduced thought() {
        return ThoughtProduced.newBuilder().setContext(context()).setThought(THOUGHT)
                .setProvenance(provenance("think", 1, 1)).build();
    }

    DraftImageProduced draft() {
        return DraftImageProduced.newBuilder().setContext(context()).setThought(THOUGHT).setImage(image(0, "draft"))
                .setProvenance(provenance("draw", 2, 1)).build();
    }

    ReflectionProduced reflection(int round, Verdict verdict) {
        return ReflectionProduced.newBuilder().setContext(context()).setRound(round).setThought(THOUGHT)
                .setImage(judged(round)).setReflection(reflectionText(round, verdict)).setVerdict(verdict)
                .setProvenance(provenance("reflect", 1 + 2 * round, 1)).build();
    }

    FinalImageProduced finalImage(int round, Verdict verdict) {
        ImageRef source = judged(round);
        return FinalImageProduced.newBuilder().setContext(context()).setRound(round).setThought(THOUGHT)
                .setReflection(reflectionText(round, verdict)).setVerdict(verdict).setSourceImage(source)
                .setImage(verdict == Verdict.SATISFIED ? source : image(round, "final"))
                .setProvenance(provenance("refine", 2 + 2 * round, 1)).build();
    }

    DeadLetter deadLetter(String step, long offset, Instant lastFailedAt) {
        return DeadLetter.newBuilder().setStep(step).setTrajectoryId(id).setTopic("irg.thoughts").setPartition(0)
                .setOffset(offset).setErrorClass("java.lang.IllegalStateException")
                .setErrorMessage("model returned NaN pixels").setAttempts(3)
                .setFirstFailedAt(lastFailedAt.minusSeconds(2)).setLastFailedAt(lastFailedAt)
                .setWorkerId(step + "-worker-0").build();
    }

    CancellationRequested cancel() {
        return CancellationRequested.newBuilder().setTrajectoryId(id).setRequestedAt(SUBMITTED_AT.plusSeconds(3))
                .setRequestedBy("test").setReason("changed my mind").build();
    }

    /** A {@code step} worker's report that it skipped the trajectory past {@link #deadline}. */
    CancellationRequested expiryReport(String step) {
        return CancellationRequested.newBuilder().setTrajectoryId(id).setRequestedAt(deadline.plusSeconds(1))
                .setRequestedBy(step + " worker " + step + "-worker-0").setReason("the deadline passed")
                .setDeadline(deadline).setStep(step).build();
    }

    /** The image reflected on in {@code round}: the draft in round 1, else the previous round's final image. */
    ImageRef judged(int round) {
        return round == 1 ? image(0, "draft") : image(round - 1, "final");
    }

    ImageRef image(int round, String kind) {
        byte[] png = png(new Color(kind.hashCode() * 31 + round * 77 + id.hashCode()));
        if (images != null) {
            try {
                return images.put(png, "image/png", 8, 8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ImageRef.newBuilder().setSha256(ImageStore.sha256(png)).setMediaType("image/png").setWidth(8)
                .setHeight(8).setSizeBytes(png.length).setInline(ByteBuffer.wrap(png)).setUri(null).build();
    }

    private static String reflectionText(int round, Verdict verdict) {
        return "Round " + round + ": Detailed Explanation of Required Improvements: none.\nVerdict: " + verdict;
    }

    private static byte[] png(Color color) {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.setRGB(x, y, (x + y) % 2 == 0 ? color.getRGB() : Color.WHITE.getRGB());
            }
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
