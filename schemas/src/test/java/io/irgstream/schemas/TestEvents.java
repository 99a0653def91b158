package io.irgstream.schemas;

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
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import javax.imageio.ImageIO;

/** Realistic events of one trajectory, as the workers would produce them. */
final class TestEvents {

    static final String TRAJECTORY_ID = "7f3c2a9e-5b1d-4e8a-9c61-2d0f4b7a1e35";
    static final Instant SUBMITTED = Instant.ofEpochMilli(1_767_225_600_123L);
    static final String THOUGHT = "A red circle, large, centered; a blue square, small, top-left of the circle.";
    static final String REFLECTION = "Detailed Explanation of Required Improvements: the square is too large.\n"
            + "Step-by-Step Modification Guidance: shrink the square to a quarter of the circle's width.\n"
            + "Final Comprehensive Prompt for the Improved Image: a large red circle in the center and a small "
            + "blue square at its top-left.\nVerdict: NEEDS_CHANGES";

    private TestEvents() {
    }

    static TrajectoryContext context() {
        return TrajectoryContext.newBuilder()
                .setTrajectoryId(TRAJECTORY_ID)
                .setPrompt("a large red circle with a small blue square to its top-left — «ünïcødé» ok")
                .setSeed(-4_611_686_018_427_387_904L)
                .setRounds(1)
                .setSampler(SamplerParams.newBuilder().setSteps(50).build())
                .setSubmittedAt(SUBMITTED)
                .setSource(null)
                .build();
    }

    static Provenance provenance(String step, int batchSize) {
        return Provenance.newBuilder()
                .setStep(step)
                .setModelName("shapes-" + step + "-v1")
                .setModelSha256(sha256((step + " model").getBytes(StandardCharsets.UTF_8)))
                .setDevice("cuda:0")
                .setWorkerId(step + "-worker-2")
                .setAttempt(2)
                .setStepSeed(91_823_749_123L)
                .setBatchSize(batchSize)
                .setQueueWaitMs(37)
                .setComputeMs(1_204)
                .setProducedAt(SUBMITTED.plusMillis(5_000))
                .build();
    }

    static ImageRef inlinePng(Color color) {
        byte[] png = png(color);
        return ImageRef.newBuilder()
                .setSha256(sha256(png))
                .setMediaType("image/png")
                .setWidth(64)
                .setHeight(64)
                .setSizeBytes(png.length)
                .setInline(ByteBuffer.wrap(png))
                .setUri(null)
                .build();
    }

    static ImageRef blobRef() {
        String sha = sha256("a 1024x1024 image".getBytes(StandardCharsets.UTF_8));
        return ImageRef.newBuilder()
                .setSha256(sha)
                .setMediaType("image/png")
                .setWidth(1024)
                .setHeight(1024)
                .setSizeBytes(1_874_223L)
                .setInline(null)
                .setUri("file:///var/lib/irg/blobs/" + sha.substring(0, 2) + "/" + sha)
                .build();
    }

    static PromptSubmitted prompt() {
        return PromptSubmitted.newBuilder().setContext(context()).build();
    }

    static ThoughtProduced thought() {
        return ThoughtProduced.newBuilder().setContext(context()).setThought(THOUGHT)
                .setProvenance(provenance("think", 8)).build();
    }

    static DraftImageProduced draft() {
        return DraftImageProduced.newBuilder().setContext(context()).setThought(THOUGHT)
                .setImage(inlinePng(Color.RED)).setProvenance(provenance("draw", 4)).build();
    }

    static ReflectionProduced reflection() {
        return ReflectionProduced.newBuilder().setContext(context()).setRound(1).setThought(THOUGHT)
                .setImage(inlinePng(Color.RED)).setReflection(REFLECTION).setVerdict(Verdict.NEEDS_CHANGES)
                .setProvenance(provenance("reflect", 1)).build();
    }

    static FinalImageProduced finalImage() {
        return FinalImageProduced.newBuilder().setContext(context()).setRound(1).setThought(THOUGHT)
                .setReflection(REFLECTION).setVerdict(Verdict.NEEDS_CHANGES).setSourceImage(inlinePng(Color.RED))
                .setImage(blobRef()).setProvenance(provenance("refine", 2)).build();
    }

    static DeadLetter deadLetter(boolean withBytes) {
        return DeadLetter.newBuilder()
                .setStep("draw")
                .setTrajectoryId(withBytes ? TRAJECTORY_ID : null)
                .setTopic("irg.thoughts")
                .setPartition(3)
                .setOffset(1_234_567_890_123L)
                .setKey(withBytes ? ByteBuffer.wrap(TRAJECTORY_ID.getBytes(StandardCharsets.UTF_8)) : null)
                .setValue(withBytes ? ByteBuffer.wrap(new byte[] {0x7b, 0x22, 0x00, (byte) 0xff}) : null)
                .setErrorClass("org.apache.kafka.common.errors.SerializationException")
                .setErrorMessage("not Confluent wire format: magic byte 0x7b, expected 0x00")
                .setAttempts(5)
                .setFirstFailedAt(SUBMITTED.plusSeconds(1))
                .setLastFailedAt(SUBMITTED.plusSeconds(31))
                .setWorkerId("draw-worker-0")
                .build();
    }

    static byte[] png(Color color) {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 64, 64);
        g.setColor(color);
        g.fillOval(16, 16, 32, 32);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
