package io.irgstream.app.testing;

import io.irgstream.app.cli.IrgCli;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * The irg command line ({@link IrgCli#commandLine()}, with its error handling) run in the test's JVM, with what it
 * prints captured.
 */
public final class InProcessCli {
    private InProcessCli() {
    }

    /** What one run printed, and its exit code. */
    public record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code irg args...}. */
    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exitCode = cl.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }
}
