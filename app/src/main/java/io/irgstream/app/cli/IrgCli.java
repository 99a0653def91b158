package io.irgstream.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code irg} command. */
@Command(name = "irg", mixinStandardHelpOptions = true, version = "irg-stream 0.1.0",
        description = "Interleaving Reasoning Generation (think -> draw -> reflect -> refine) as a Kafka stream.",
        subcommands = {GenerateCommand.class, DevCommand.class, SubmitCommand.class, WorkerCommand.class, ServeModelsCommand.class, TopicsCommand.class, TopologyCommand.class, TrainCommand.class, EvalCommand.class, BenchCommand.class, DeadLettersCommand.class, RetryDeadLettersCommand.class, ReplayCommand.class, RedriveCommand.class, AuditCommand.class, ExportCommand.class, GetCommand.class, WatchCommand.class, AclsCommand.class, ApiKeysCommand.class,
                CommandLine.HelpCommand.class})
public final class IrgCli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The command line with irg's error handling: a user error prints one line and exits non-zero. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new IrgCli());
        cl.setExecutionExceptionHandler((e, cmd, parse) -> {
            PrintWriter err = cmd.getErr();
            err.println("irg " + cmd.getCommandName() + ": " + message(e));
            if (System.getenv("IRG_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.flush();
            return e instanceof IllegalArgumentException || e instanceof org.apache.kafka.common.config.ConfigException ? 2 : 1;
        });
        return cl;
    }

    static String message(Throwable e) {
        if (io.irgstream.schemas.KafkaClientSettings.isSecurityFailure(e)) {
            // a refused login or a denied permission: say which setting or ACL to fix (a wrapper that already
            // does, with the servers and the user, e.g. the topology's start-up check, is kept)
            for (Throwable t = e; t != null && !(t instanceof org.apache.kafka.common.errors.AuthenticationException
                    || t instanceof org.apache.kafka.common.errors.AuthorizationException); t = t.getCause()) {
                String m = t.getMessage();
                if (m != null && (m.contains("sasl.jaas.config") || m.contains("ssl.truststore")
                        || m.contains("./irg acls"))) {
                    return m.replace('\n', ' ');
                }
            }
            return io.irgstream.schemas.KafkaClientSettings.from(java.util.Map.of()).explain(e);
        }
        Throwable t = e;
        while ((t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replace('\n', ' ');
    }

    public static void main(String[] args) {
        String command = args.length > 0 ? args[0] : "cli";
        io.opentelemetry.sdk.OpenTelemetrySdk sdk = io.irgstream.app.metrics.Tracing.installIfConfigured(System.getenv(),
                "irg-" + command);
        if (sdk != null) {
            Runtime.getRuntime().addShutdownHook(new Thread(sdk::close, "irg-tracing-flush"));
        } else {
            // tracing off: a no-op global, so nothing looks for (and logs about) an SDK to auto-configure
            io.opentelemetry.api.GlobalOpenTelemetry.set(io.opentelemetry.api.OpenTelemetry.noop());
        }
        System.exit(commandLine().execute(args));
    }
}
