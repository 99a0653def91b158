package io.irgstream.app.cli;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.model.StepModel;
import io.irgstream.model.torch.StepModels;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code irg replay ID}: rebuild a trajectory from the topics, check its images, optionally re-run every step. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rebuild a trajectory from the topics alone, check every image against its sha256, and with "
                + "--verify re-run every step from its recorded input, seed, sampler parameters and model file (found "
                + "by its sha256 under --models), reporting identical, within tolerance (max pixel difference) or different.")
public final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--verify", description = "Re-run every step and compare.")
    boolean verify;

    @Option(names = "--since", defaultValue = "1970-01-01T00:00:00Z", description = "Read the topics from this instant or ISO-8601 duration ago (default: the beginning).")
    String since;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        cluster.requireExternal();
        Instant from = DeadLettersCommand.parseSince(since);
        CollectedTrajectory t = Replay.collect(cluster.bootstrapServers, new HttpSchemaRegistryClient(cluster.schemaRegistry),
                cluster.topicPrefix, id, from);
        if (t.prompt() == null) {
            throw new IllegalArgumentException("trajectory " + id + " is not on " + cluster.topicPrefix + "prompts (since " + from + ")");
        }
        ImageStore images = new ImageStore(new FileSystemBlobStore(cluster.dataDir.resolve("blobs")), 0);
        Map<String, Path> bySha = verify ? modelFiles(cluster.modelDir) : Map.of();
        Map<Path, StepModel> loaded = new HashMap<>();
        try {
            List<Replay.StepCheck> checks = Replay.verify(t, images, verify
                    ? (step, sha) -> Optional.ofNullable(bySha.get(sha)).map(p -> loaded.computeIfAbsent(p, f -> StepModels.load(step, f)))
                    : null);
            PrintWriter out = spec.commandLine().getOut();
            out.println("trajectory " + id + ": \"" + t.prompt().getContext().getPrompt() + "\" seed " + t.prompt().getContext().getSeed());
            out.println("step\tround\tproduced at\tmodel\tworker\tattempt\tseed\timage\treplay");
            boolean bad = false;
            for (Replay.StepCheck c : checks) {
                out.println(c.step() + "\t" + c.round() + "\t" + c.producedAt() + "\t" + c.provenance().getModelName() + "@"
                        + c.provenance().getModelSha256().substring(0, 12) + "\t" + c.provenance().getWorkerId() + "\t"
                        + c.provenance().getAttempt() + "\t" + c.provenance().getStepSeed() + "\t" + c.imageCheck() + "\t"
                        + c.outcome() + (c.detail().isEmpty() ? "" : " (" + c.detail() + ")"));
                bad |= c.imageCheck().startsWith("TAMPERED") || c.outcome() == Replay.Outcome.DIFFERENT
                        || c.outcome() == Replay.Outcome.MODEL_MISSING;
            }
            t.deadLetters().forEach(d -> out.println("dead letter\t" + d.getStep() + "\t" + d.getLastFailedAt() + "\t" + d.getErrorMessage()));
            out.flush();
            return bad ? 1 : 0;
        } finally {
            loaded.values().forEach(StepModel::close);
        }
    }

    /** The .pt files under {@code dir} by their sha256. */
    static Map<String, Path> modelFiles(Path dir) throws IOException {
        Map<String, Path> out = new HashMap<>();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("model folder " + dir + " does not exist (--models)");
        }
        try (Stream<Path> s = Files.walk(dir, 2)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".pt")).toList()) {
                MessageDigest md;
                try {
                    md = MessageDigest.getInstance("SHA-256");
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                out.put(HexFormat.of().formatHex(md.digest()), p);
            }
        }
        return out;
    }
}
