package io.irgstream.app.cli;

import io.irgstream.topology.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code irg api-keys create|list}: the key is printed once, only its hash is stored. */
class ApiKeysCommandTest {
    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = IrgCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    @Test
    void shouldPrintANewKeyOnceAndStoreOnlyItsHash() throws Exception {
        Path file = dir.resolve("secure/api-keys");
        assertThat(run("api-keys", "create", "--role", "submit", "--tenant", "shop", "--file", file.toString()))
                .isEqualTo(0);
        String key = out.toString().strip();
        assertThat(key).matches("irg_[0-9a-f]{8}_[A-Za-z0-9_-]{43}");
        assertThat(err.toString()).contains("role submit, tenant shop").contains("shown only now");
        assertThat(Files.readString(file)).doesNotContain(key);
        assertThat(ApiKeys.load(file).authenticate(key)).get().extracting(ApiKeys.Key::role)
                .isEqualTo(ApiKeys.Role.SUBMIT);

        out.getBuffer().setLength(0);
        assertThat(run("api-keys", "list", "--file", file.toString())).isEqualTo(0);
        assertThat(out.toString()).contains(key.substring(4, 12) + "  submit  shop").doesNotContain(key);
    }

    @Test
    void shouldRefuseToServeTheApiOnEveryInterfaceWithoutKeysUnlessInsecure() {
        assertThat(run("topology", "--bootstrap-servers", "127.0.0.1:1", "--schema-registry", "http://127.0.0.1:1",
                "--set", "http.host=0.0.0.0", "--set", "state.dir=" + dir.resolve("state"))).isEqualTo(2);
        assertThat(err.toString()).startsWith("irg topology: refusing to serve the HTTP API on 0.0.0.0 without API keys")
                .contains("http.auth.keys.file").contains("./irg topology --insecure");
    }

    @Test
    void shouldRefuseAnUnknownRoleWithOneLine() {
        assertThat(run("api-keys", "create", "--role", "owner", "--file", dir.resolve("k").toString())).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("irg create: unknown role 'owner': expected read, submit or admin"
                + System.lineSeparator());
        assertThat(dir.resolve("k")).doesNotExist();
    }
}
