package io.irgstream.app.cli;

import io.irgstream.events.TrajectoryStatus;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code ./irg export --status}: what it takes and what it exports without it. */
class ExportCommandTest {
    @Test
    void shouldExportEveryEndedStatusWhenNoStatusIsGiven() {
        assertThat(ExportCommand.parseStatuses(null)).containsExactlyInAnyOrder(TrajectoryStatus.COMPLETED,
                TrajectoryStatus.FAILED, TrajectoryStatus.CANCELLED, TrajectoryStatus.EXPIRED);
    }

    @Test
    void shouldTakeStatusesInAnyCaseAndNameTheValidOnesWhenOneIsUnknown() {
        assertThat(ExportCommand.parseStatuses(List.of("completed", " Failed"))).containsExactlyInAnyOrder(
                TrajectoryStatus.COMPLETED, TrajectoryStatus.FAILED);
        assertThatThrownBy(() -> ExportCommand.parseStatuses(List.of("DONE")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("unknown --status 'DONE'; one of SUBMITTED").hasMessageContaining("EXPIRED");
    }
}
