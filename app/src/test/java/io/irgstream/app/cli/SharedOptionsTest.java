package io.irgstream.app.cli;

import io.irgstream.app.testing.InProcessCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The options that several commands share through mixins ({@link TrajectoryTopicsOptions},
 * {@link TrajectoryApiOptions}, {@link DeadLetterOptions}) are parsed, checked and reported the same in each
 * command; none of these cases reaches a cluster.
 */
class SharedOptionsTest {
    private static final String UNREACHABLE = "127.0.0.1:1";

    @TempDir
    Path dir;

    @Test
    void shouldRequireTheTrajectoryId() {
        for (String command : new String[]{"replay", "audit", "get", "watch"}) {
            InProcessCli.Result r = InProcessCli.run(command);
            assertThat(r.exitCode()).as(command).isEqualTo(2);
            assertThat(r.err()).as(command).contains("Missing required parameter: 'ID'");
        }
    }

    @Test
    void shouldRequireAnExternalClusterToReadTrajectoriesAndDeadLetters() {
        String[][] commands = {{"replay", "some-id"}, {"audit", "some-id", "--html", dir.resolve("a.html").toString()},
                {"dead-letters"}, {"retry-dead-letters"}};
        for (String[] args : commands) {
            InProcessCli.Result r = InProcessCli.run(args);
            assertThat(r.exitCode()).as(args[0]).isEqualTo(2);
            assertThat(r.err()).isEqualTo("irg " + args[0] + ": --bootstrap-servers and --schema-registry are both "
                    + "required here" + System.lineSeparator());
        }
        assertThat(dir.resolve("a.html")).doesNotExist();
    }

    @Test
    void shouldRefuseASinceThatIsNeitherADurationNorAnInstant() {
        for (String command : new String[]{"replay some-id", "dead-letters", "retry-dead-letters"}) {
            String[] args = (command + " --since yesterday --bootstrap-servers " + UNREACHABLE
                    + " --schema-registry http://" + UNREACHABLE).split(" ");
            InProcessCli.Result r = InProcessCli.run(args);
            assertThat(r.exitCode()).as(command).isEqualTo(2);
            assertThat(r.err()).isEqualTo("irg " + args[0] + ": --since 'yesterday' is neither an ISO-8601 duration "
                    + "(PT1H) nor an instant (2026-11-26T10:00:00Z)" + System.lineSeparator());
        }
    }

    @Test
    void shouldNameTheApiItCannotReach() {
        for (String command : new String[]{"get", "watch"}) {
            InProcessCli.Result r = InProcessCli.run(command, "some-id", "--api", "http://" + UNREACHABLE);
            assertThat(r.exitCode()).as(command).isEqualTo(1);
            assertThat(r.err()).as(command).startsWith("irg " + command + ": cannot reach the trajectory API at http://"
                    + UNREACHABLE + " (is ./irg dev running? --api)");
        }
    }
}
