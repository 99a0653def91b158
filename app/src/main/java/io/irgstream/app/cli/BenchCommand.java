package io.irgstream.app.cli;

import io.irgstream.app.bench.PipelineBench;
import io.irgstream.shapes.prompts.PromptSet;
import io.irgstream.shapes.prompts.PromptSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg bench}: what the pipeline costs over its models (docs/benchmarks.md). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure the pipeline against the models called "
        + "directly: throughput ratio, per-hop latency under load and idle, and a max.batch.size sweep. Prints a table "
        + "and writes bench.json.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--prompts", defaultValue = "200", description = "Trajectories per run (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--batch-sizes", split = ",", defaultValue = "16,1,4", description = "max.batch.size values; the first is the main run, with idle latency (default: ${DEFAULT-VALUE}).")
    int[] batchSizes;

    @Option(names = "--idle", defaultValue = "50", description = "Trajectories run one at a time for the idle latency (default: ${DEFAULT-VALUE}).")
    int idle;

    @Option(names = "--models", defaultValue = "${env:IRG_MODELS:-models/shapes}", description = "Model folder.")
    Path modelDir;

    @Option(names = "--out", defaultValue = "bench.json", description = "Where to write the figures (default: ${DEFAULT-VALUE}).")
    Path outFile;

    @Override
    public Integer call() throws Exception {
        if (n < 1) {
            throw new IllegalArgumentException("--prompts must be at least 1");
        }
        Models.requirePresent(modelDir);
        List<String> prompts = new ArrayList<>();
        List<PromptSpec> specs = PromptSet.heldOut((n + 5) / 6);
        for (int i = 0; i < n; i++) {
            prompts.add(specs.get(i % specs.size()).text());
        }
        Path work = Files.createTempDirectory("irg-bench");
        try {
            PipelineBench bench = new PipelineBench(Models.loader(modelDir), prompts, work, System.out);
            List<PipelineBench.Run> runs = bench.run(batchSizes, idle);
            spec.commandLine().getOut().println();
            spec.commandLine().getOut().print(PipelineBench.table(runs, n));
            PipelineBench.writeJson(runs, n, outFile);
            spec.commandLine().getOut().println("\nwrote " + outFile);
            spec.commandLine().getOut().flush();
        } finally {
            io.irgstream.app.client.OutputWriter.deleteRecursively(work);
        }
        return 0;
    }
}
