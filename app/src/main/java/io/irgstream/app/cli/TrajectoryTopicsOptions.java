package io.irgstream.app.cli;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * One trajectory read back from the topics of an external cluster: the {@code ID} parameter and the cluster options,
 * shared by {@code irg replay} and {@code irg audit}. Include it with {@code @Mixin}.
 */
public final class TrajectoryTopicsOptions {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Mixin
    ClusterOptions cluster;

    /**
     * The trajectory as the topics hold it, from their beginning.
     *
     * @throws IllegalArgumentException when the cluster options are incomplete or the trajectory has no prompt there
     */
    CollectedTrajectory collect() {
        return collect(Instant.EPOCH, "");
    }

    /**
     * The trajectory as the topics hold it, from the records written at or after {@code since} on.
     *
     * @throws IllegalArgumentException when the cluster options are incomplete or no prompt of the trajectory was
     *                                  written since then
     */
    CollectedTrajectory collectSince(Instant since) {
        return collect(since, " (since " + since + ")");
    }

    private CollectedTrajectory collect(Instant since, String window) {
        cluster.requireExternal();
        CollectedTrajectory t = Replay.collect(cluster.kafka(), cluster.registry(),
                cluster.topicPrefix, id, since);
        if (t.prompt() == null) {
            throw new IllegalArgumentException("trajectory " + id + " is not on " + cluster.topicPrefix + "prompts" + window);
        }
        return t;
    }

    /** The image store the trajectory's images were written to: {@code --blob-store}, else the blobs under {@code --data-dir}. */
    ImageStore images() {
        return new ImageStore(cluster.openBlobStore(), 0);
    }

    /**
     * Checks every image of {@code t} against its sha256; with {@code rerunSteps} also re-runs every step with the
     * model file of its recorded sha256 (found under {@code --models}) and compares the result.
     */
    List<Replay.StepCheck> check(CollectedTrajectory t, ImageStore images, boolean rerunSteps) throws IOException {
        try (ModelsBySha models = rerunSteps ? new ModelsBySha(cluster.modelDir) : null) {
            return Replay.verify(t, images, models);
        }
    }
}
