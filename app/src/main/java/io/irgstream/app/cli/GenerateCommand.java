package io.irgstream.app.cli;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.OutputWriter;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code irg generate}: run prompts through IRG and write each trajectory to a folder. */
@Command(name = "generate", description = "Run prompts (or a file of prompts) through think -> draw -> reflect -> refine "
        + "and write each trajectory to DIR/<trajectoryId>/.", mixinStandardHelpOptions = true)
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "PROMPT", description = "One or more prompts, each in quotes, e.g. "
            + "\"a red circle left of a blue square\" \"two yellow crosses\"; all are submitted at once (with --seed, "
            + "seed+i for the i-th).")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--prompts-file", paramLabel = "FILE", description = "One prompt per line; all are submitted at once. Blank lines and lines starting with # are skipped.")
    Path promptsFile;

    @Option(names = "--seed", description = "Trajectory seed (default: drawn at random; with --prompts-file, seed+i for line i).")
    Long seed;

    @Option(names = "--rounds", defaultValue = "1", description = "Reflection rounds (default: ${DEFAULT-VALUE}, as IRG).")
    int rounds;

    @Option(names = "--out", defaultValue = "irg-out", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up after this long (ISO-8601 duration, default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    SamplingOptions samplingOptions;

    @Mixin
    DeadlineOptions deadlineOptions;

    @Mixin
    CallbackOptions callbackOptions;

    @Mixin
    BackendOptions backend;

    @Option(names = "--priority", paramLabel = "CLASS", description = "Priority class: interactive, normal "
            + "(default) or batch. Against a cluster (--bootstrap-servers) the prompts go to its topology's admission "
            + "scheduler, which orders them by class and tenant; the embedded stack runs no scheduler and only "
            + "records the class.")
    String priority;

    @Override
    public Integer call() throws Exception {
        PrintWriter outw = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Submission> submissions = submissions();
        if (cluster.external()) {
            cluster.requireExternal();
            SchemaRegistryClient registry = cluster.registry();
            ImageStore images = new ImageStore(cluster.openBlobStore(), 256 * 1024);
            return run(cluster.kafka(), registry, cluster.topicPrefix, images, submissions, outw, err);
        }
        EmbeddedStack.Builder builder = EmbeddedStack.builder(cluster.dataDir).kafkaPort(0).registryPort(0)
                .models(backend.loader(cluster.modelDir));
        cluster.blobStore.forEach(builder::workerSetting); // --blob-store: where the workers keep large images
        try (EmbeddedStack stack = builder.build().start()) {
            return run(stack.kafkaClientSettings(), stack.registryClient(), stack.layout().prefix(), stack.imageStore(),
                    submissions, outw, err);
        }
    }

    private int run(KafkaClientSettings bootstrap, SchemaRegistryClient registry, String prefix, ImageStore images,
                    List<Submission> submissions, PrintWriter outw, PrintWriter err) throws Exception {
        try (TrajectoryWatcher watcher = new TrajectoryWatcher(bootstrap, registry, prefix);
             TrajectoryClient client = new TrajectoryClient(bootstrap, registry, prefix, "cli")) {
            List<PromptSubmitted> events = new ArrayList<>();
            for (Submission s : submissions) {
                events.add(client.event(s));
            }
            List<String> ids = new ArrayList<>();
            for (PromptSubmitted e : events) {
                ids.add(e.getContext().getTrajectoryId());
                watcher.watch(e.getContext().getTrajectoryId());
            }
            client.submitEvents(events, cluster.external()); // a cluster's topology schedules them
            Progress progress = submissions.size() > 1 ? new Progress(err, submissions.size()) : null;
            Map<String, CollectedTrajectory> done = watcher.awaitAll(ids, timeout,
                    progress == null ? null : progress::update);
            OutputWriter writer = new OutputWriter(out, images);
            StringBuilder index = new StringBuilder("prompt\ttrajectory_id\tfolder\tstatus\n");
            int failed = 0;
            for (int i = 0; i < ids.size(); i++) {
                CollectedTrajectory t = done.get(ids.get(i));
                Path folder = writer.write(t);
                String status = (t.failed() ? TrajectoryStatus.FAILED
                        : t.expiry() != null ? TrajectoryStatus.EXPIRED : TrajectoryStatus.COMPLETED).name();
                if (t.failed()) {
                    failed++;
                    err.println("trajectory " + t.id() + " failed at step " + t.deadLetters().get(0).getStep() + ": "
                            + t.deadLetters().get(0).getErrorMessage());
                } else if (t.expiry() != null) {
                    failed++;
                    err.println("trajectory " + t.id() + " expired: " + t.expiry().getReason());
                }
                index.append(submissions.get(i).prompt().replace('\t', ' ')).append('\t').append(t.id()).append('\t')
                        .append(folder).append('\t').append(status).append('\n');
                if (submissions.size() == 1) {
                    outw.println(t.id());
                    outw.println(folder);
                }
            }
            if (submissions.size() > 1) {
                Path idx = out.resolve("index.tsv");
                Path tmp = out.resolve(".index.tsv.partial");
                Files.writeString(tmp, index, StandardCharsets.UTF_8);
                Files.move(tmp, idx, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                outw.println((ids.size() - failed) + " of " + ids.size() + " trajectories completed; index: " + idx);
            }
            outw.flush();
            return failed == 0 ? 0 : 1;
        }
    }

    private List<Submission> submissions() throws IOException {
        if (prompts.isEmpty() == (promptsFile == null)) {
            throw new IllegalArgumentException("give either PROMPT... or --prompts-file FILE");
        }
        java.time.Instant deadline = deadlineOptions.deadline(java.time.Instant.now());
        String callbackUrl = callbackOptions.callbackUrl();
        io.irgstream.schemas.client.Priority priorityClass = CliPriority.parse(priority);
        if (callbackUrl != null && !cluster.external()) {
            throw new IllegalArgumentException("--callback-url needs a cluster whose topology calls it (give "
                    + "--bootstrap-servers and --schema-registry); the embedded stack of ./irg generate runs no "
                    + "topology, use ./irg dev and the API instead");
        }
        if (!prompts.isEmpty()) {
            List<Submission> out = new ArrayList<>();
            for (String p : prompts) {
                try {
                    out.add(new Submission(p, seed == null ? null : seed + out.size(), rounds, samplingOptions.sampler(),
                        deadline, null, null, callbackUrl, priorityClass));
                } catch (IllegalArgumentException e) {
                    throw prompts.size() == 1 ? e
                            : new IllegalArgumentException("prompt " + (out.size() + 1) + ": " + e.getMessage(), e);
                }
            }
            return out;
        }
        if (!Files.isReadable(promptsFile)) {
            throw new IllegalArgumentException("cannot read prompts file " + promptsFile);
        }
        List<Submission> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(promptsFile, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank() || line.strip().startsWith("#")) {
                continue;
            }
            try {
                out.add(new Submission(line, seed == null ? null : seed + out.size(), rounds, samplingOptions.sampler(),
                        deadline, null, null, callbackUrl, priorityClass));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(promptsFile + " line " + lineNo + ": " + e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("prompts file " + promptsFile + " has no prompts");
        }
        return out;
    }
}
