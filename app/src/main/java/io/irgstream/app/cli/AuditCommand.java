package io.irgstream.app.cli;

import io.irgstream.app.client.AuditReport;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg audit ID --html FILE}: one self-contained HTML page about a trajectory. */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Write one self-contained HTML file (images embedded) with the trajectory's prompt, thought, each "
                + "draft/reflection/final, verdicts, provenance (models, workers, attempts, seeds), timings and the "
                + "integrity result; --verify also re-runs every step as replay --verify does.")
public final class AuditCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    TrajectoryTopicsOptions trajectory;

    @Option(names = "--html", required = true, paramLabel = "FILE")
    Path html;

    @Option(names = "--verify", description = "Re-run every step with its recorded model and compare.")
    boolean verify;

    @Override
    public Integer call() throws Exception {
        CollectedTrajectory t = trajectory.collect();
        ImageStore images = trajectory.images();
        List<Replay.StepCheck> checks = trajectory.check(t, images, verify);
        Path tmp = html.resolveSibling(html.getFileName() + ".partial");
        Files.writeString(tmp, AuditReport.html(t, images, checks), StandardCharsets.UTF_8);
        Files.move(tmp, html, StandardCopyOption.REPLACE_EXISTING);
        spec.commandLine().getOut().println(html.toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
