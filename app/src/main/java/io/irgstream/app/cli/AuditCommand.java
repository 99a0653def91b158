package io.irgstream.app.cli;

import io.irgstream.app.client.AuditReport;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code irg audit ID --html FILE}: one self-contained HTML page about a trajectory. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Write one self-contained HTML file (images embedded) with the trajectory's prompt, thought, each "
                + "draft/reflection/final, verdicts, provenance (models, workers, attempts, seeds), timings and the "
                + "integrity result; --verify also re-runs every step as replay --verify does.")
public final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Option(names = "--html", required = true, paramLabel = "FILE")
    Path html;

    @Option(names = "--verify", description = "Re-run every step with its recorded model and compare.")
    boolean verify;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        cluster.requireExternal();
        CollectedTrajectory t = Replay.collect(cluster.bootstrapServers, new HttpSchemaRegistryClient(cluster.schemaRegistry),
                cluster.topicPrefix, id, java.time.Instant.EPOCH);
        if (t.prompt() == null) {
            throw new IllegalArgumentException("trajectory " + id + " is not on " + cluster.topicPrefix + "prompts");
        }
        ImageStore images = new ImageStore(new FileSystemBlobStore(cluster.dataDir.resolve("blobs")), 0);
        try (ModelsBySha models = verify ? new ModelsBySha(cluster.modelDir) : null) {
            var checks = Replay.verify(t, images, models);
            Path tmp = html.resolveSibling(html.getFileName() + ".partial");
            Files.writeString(tmp, AuditReport.html(t, images, checks), StandardCharsets.UTF_8);
            Files.move(tmp, html, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            spec.commandLine().getOut().println(html.toAbsolutePath());
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
