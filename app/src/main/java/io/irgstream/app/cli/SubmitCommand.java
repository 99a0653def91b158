package io.irgstream.app.cli;

import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.events.PromptSubmitted;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code irg submit}: put prompts on the submissions topic of a running cluster, where its topology's admission
 * scheduler releases them by priority class and tenant (or, with {@code --direct}, straight on the prompts topic), and
 * print their trajectory ids.
 */
@Command(name = "submit", description = "Submit prompts to a running cluster; prints one trajectory id per prompt.",
        mixinStandardHelpOptions = true)
public final class SubmitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PROMPT")
    List<String> prompts;

    @Option(names = "--seed", description = "Trajectory seed (default: drawn); seed+i for the i-th prompt.")
    Long seed;

    @Option(names = "--rounds", defaultValue = "1", description = "Reflection rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Mixin
    ClusterOptions cluster;

    @Mixin
    SamplingOptions samplingOptions;

    @Mixin
    DeadlineOptions deadlineOptions;

    @Mixin
    CallbackOptions callbackOptions;

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Submit at most once per KEY and "
            + "tenant: the trajectory id is derived from them, and a repeat of the same PROMPT with the same KEY "
            + "prints the same id and runs nothing again (think workers drop it). One PROMPT only.")
    String idempotencyKey;

    @Option(names = "--tenant", paramLabel = "NAME", description = "Whose trajectories these are (default: default).")
    String tenant;

    @Option(names = "--priority", paramLabel = "CLASS", description = "Priority class: interactive, normal "
            + "(default) or batch; the topology's admission scheduler serves higher classes first and gives batch "
            + "at least 1 in 10 admissions while others wait (docs/scheduling.md).")
    String priority;

    @Option(names = "--direct", description = "Write straight to the prompts topic, past the admission scheduler "
            + "(for a cluster that runs no topology; the class is recorded, not scheduled).")
    boolean direct;

    @Override
    public Integer call() {
        cluster.requireExternal();
        java.time.Instant deadline = deadlineOptions.deadline(java.time.Instant.now());
        String callbackUrl = callbackOptions.callbackUrl();
        io.irgstream.schemas.client.Priority priorityClass = CliPriority.parse(priority);
        if (idempotencyKey != null && prompts.size() > 1) {
            throw new IllegalArgumentException("--idempotency-key names one submission: give one PROMPT, got "
                    + prompts.size());
        }
        List<Submission> subs = new ArrayList<>();
        for (String p : prompts) {
            subs.add(new Submission(p, seed == null ? null : seed + subs.size(), rounds, samplingOptions.sampler(),
                    deadline, tenant, idempotencyKey, callbackUrl, priorityClass));
        }
        try (TrajectoryClient client = new TrajectoryClient(cluster.kafka(),
                cluster.registry(), cluster.topicPrefix, "cli")) {
            for (PromptSubmitted e : client.submitAll(subs, !direct)) {
                spec.commandLine().getOut().println(e.getContext().getTrajectoryId());
            }
        }
        return 0;
    }
}
