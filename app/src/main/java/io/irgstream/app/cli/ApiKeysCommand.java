package io.irgstream.app.cli;

import io.irgstream.topology.ApiKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code irg api-keys}: the HTTP API's keys ({@code http.auth.keys.file}, docs/security.md). {@code create} prints a
 * new key once and stores only its hash; {@code list} shows the keys without their secrets.
 */
@Command(name = "api-keys", mixinStandardHelpOptions = true,
        description = "Manage the HTTP API's keys (the file of setting http.auth.keys.file; docs/security.md).",
        subcommands = {ApiKeysCommand.Create.class, ApiKeysCommand.ListKeys.class})
public final class ApiKeysCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** The key file every subcommand uses unless given {@code --file}. */
    static final String DEFAULT_FILE = ".irg/api-keys";

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code irg api-keys create --role submit [--tenant T] [--file F]}. */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an API key: print it once (only its SHA-256 is stored) and append it to the key file.")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--role", required = true, paramLabel = "ROLE",
                description = "read (GET routes, event streams, images), submit (read + submit and cancel) or admin (everything).")
        String role;

        @Option(names = "--tenant", paramLabel = "TENANT",
                description = "Bind the key to a tenant: its submissions are for this tenant, another one in the body gets 403 (default: any tenant).")
        String tenant;

        @Option(names = "--file", paramLabel = "FILE", defaultValue = DEFAULT_FILE,
                description = "The key file, as http.auth.keys.file names it (default: ${DEFAULT-VALUE}).")
        Path file;

        @Override
        public Integer call() {
            ApiKeys.Created created = ApiKeys.create(file, ApiKeys.Role.parse(role), tenant);
            PrintWriter out = spec.commandLine().getOut();
            out.println(created.key());
            out.flush();
            PrintWriter err = spec.commandLine().getErr();
            err.println("API key " + created.entry().id() + " (role " + created.entry().role().label() + ", tenant "
                    + created.entry().tenant() + ") added to " + file + "; it is shown only now: send it as "
                    + "'Authorization: Bearer <key>'. Delete its line from the file to revoke it.");
            err.flush();
            return 0;
        }
    }

    /** {@code irg api-keys list [--file F]}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys of the key file (ids, roles, tenants; never the keys).")
    static final class ListKeys implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--file", paramLabel = "FILE", defaultValue = DEFAULT_FILE,
                description = "The key file (default: ${DEFAULT-VALUE}).")
        Path file;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no key file " + file + ": create a key with ./irg api-keys create");
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("id        role    tenant  created");
            for (ApiKeys.Key k : ApiKeys.load(file).keys()) {
                out.printf("%-9s %-7s %-7s %s%n", k.id(), k.role().label(), k.tenant(), k.created());
            }
            out.flush();
            return 0;
        }
    }
}
