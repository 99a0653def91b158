package io.irgstream.app.testing;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * The set-up most pipeline tests share: an embedded stack on the shared test broker (see
 * {@link PipelineHarness#stackOnFixture}), started, with a {@link TrajectoryWatcher} and a {@link TrajectoryClient}
 * on its topics. Closing it closes the client, the watcher and then the stack.
 *
 * <pre>{@code
 * try (RunningPipeline pipeline = RunningPipeline.start(dir, PipelineHarness.uniqueLayout("name", 1),
 *         stack -> stack.models(step -> new DeterministicTestModel(step, 0)))) {
 *     CollectedTrajectory t = pipeline.submitAndAwait(new Submission("a photo of a red circle", 1L, 1, null),
 *             Duration.ofSeconds(60));
 *     ...
 * }
 * }</pre>
 */
public final class RunningPipeline implements AutoCloseable {
    private final Path dataDir;
    private final EmbeddedStack stack;
    private final TrajectoryWatcher watcher;
    private final TrajectoryClient client;

    private RunningPipeline(Path dataDir, EmbeddedStack stack, TrajectoryWatcher watcher, TrajectoryClient client) {
        this.dataDir = dataDir;
        this.stack = stack;
        this.watcher = watcher;
        this.client = client;
    }

    /**
     * Starts a stack on the shared test broker with its data under {@code dataDir} and the topics of {@code layout},
     * set up further by {@code configure} (models, topology, settings), and opens a watcher and a client on it.
     */
    public static RunningPipeline start(Path dataDir, TopicLayout layout, UnaryOperator<EmbeddedStack.Builder> configure) {
        EmbeddedStack stack = configure.apply(PipelineHarness.stackOnFixture(dataDir, layout)).build().start();
        TrajectoryWatcher watcher = null;
        try {
            watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
            TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test");
            return new RunningPipeline(dataDir, stack, watcher, client);
        } catch (RuntimeException | Error e) {
            if (watcher != null) {
                watcher.close();
            }
            stack.close();
            throw e;
        }
    }

    public EmbeddedStack stack() {
        return stack;
    }

    public TrajectoryWatcher watcher() {
        return watcher;
    }

    public TrajectoryClient client() {
        return client;
    }

    /** Submits one prompt and waits until its trajectory has ended. */
    public CollectedTrajectory submitAndAwait(Submission submission, Duration timeout)
            throws TimeoutException, InterruptedException {
        PromptSubmitted prompt = client.event(submission);
        String id = prompt.getContext().getTrajectoryId();
        return submitAndAwait(List.of(prompt), timeout).get(id);
    }

    /** Watches and submits the prompts, then waits until every one's trajectory has ended; the trajectories by ID. */
    public Map<String, CollectedTrajectory> submitAndAwait(List<PromptSubmitted> prompts, Duration timeout)
            throws TimeoutException, InterruptedException {
        List<String> ids = prompts.stream().map(p -> p.getContext().getTrajectoryId()).toList();
        ids.forEach(watcher::watch);
        client.submitEvents(prompts);
        return watcher.awaitAll(ids, timeout, null);
    }

    /**
     * Runs {@code irg args...} in this JVM against this stack: with the options that point it at the stack's broker,
     * registry, topic prefix and data dir appended.
     */
    public InProcessCli.Result runCli(String... args) {
        List<String> withCluster = new ArrayList<>(List.of(args));
        withCluster.addAll(List.of("--bootstrap-servers", stack.bootstrapServers(), "--schema-registry", stack.registryUrl(),
                "--topic-prefix", stack.layout().prefix(), "--data-dir", dataDir.toString()));
        return InProcessCli.run(withCluster.toArray(String[]::new));
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            try {
                watcher.close();
            } finally {
                stack.close();
            }
        }
    }
}
