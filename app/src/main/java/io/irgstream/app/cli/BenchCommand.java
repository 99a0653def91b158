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

    @Option(names = "--out", defaultValue = "bench.json", paramLabel = "FILE|DIR", description = "Where to write the "
            + "figures: a file ending in .json, or a folder (created if missing) that gets bench.json; checked before "
            + "the bench starts (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (n < 1) {
            throw new IllegalArgumentException("--prompts must be at least 1");
        }
        Models.requirePresent(modelDir);
        Path outFile = benchFile(out); // before minutes of work: a wrong --out fails now
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

    /**
     * The file {@code --out} names: {@code out} itself when it ends in {@code .json} (its folder created if missing),
     * else {@code out/bench.json} (the folder created if missing). Checks that the file can be written, leaving no file
     * behind that was not there.
     *
     * @throws IllegalArgumentException naming {@code --out} when it cannot be written
     */
    static Path benchFile(Path out) {
        Path file = out.getFileName() != null && out.getFileName().toString().endsWith(".json") && !Files.isDirectory(out)
                ? out : out.resolve("bench.json");
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException("--out " + out + ": " + file + " is a folder");
            }
            if (Files.exists(file)) {
                if (!Files.isWritable(file)) {
                    throw new IllegalArgumentException("--out " + out + ": " + file + " is not writable");
                }
            } else {
                Files.delete(Files.createFile(file)); // can a file be created there?
            }
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--out " + out + ": cannot write " + file + ": " + e, e);
        }
        return file;
    }
}
