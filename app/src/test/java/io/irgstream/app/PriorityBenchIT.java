package io.irgstream.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.bench.PriorityBench;
import io.irgstream.worker.testing.DeterministicTestModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./irg bench --simulated-device --priority-backlog}'s code path on a tiny load (test-double models, 20 ms per
 * batch, backlogs of 40): one run with the scheduler and one without; it checks that every figure is produced and
 * nothing was lost, never how fast anything is.
 */
class PriorityBenchIT {
    @TempDir
    Path dir;

    @Test
    void shouldMeasureEachRunAndWriteTheFigures() throws Exception {
        List<PriorityBench.Prompt> prompts = List.of(new PriorityBench.Prompt("bench prompt 0", 1),
                new PriorityBench.Prompt("bench prompt 1", 2));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PriorityBench bench = new PriorityBench(step -> new DeterministicTestModel(step, 20), prompts, 20,
                dir.resolve("work"), new PrintStream(log, true), new PriorityBench.Settings(40, 40, 2, 2, 4, 2, 2));
        List<PriorityBench.Run> runs = bench.run(new int[] {2, 0});
        System.out.println(log);
        assertThat(runs).extracting(PriorityBench.Run::window).containsExactly(2, 0);
        for (PriorityBench.Run r : runs) {
            assertThat(r.idleMs()).hasSize(3);
            assertThat(r.idleMs()[0]).isPositive();
            assertThat(r.interactiveMs()).hasSize(3);
            assertThat(r.tenantMs()).hasSize(3);
            assertThat(r.interactiveSamples()).isBetween(1, 2);
            assertThat(r.batchDrainSeconds()).isPositive();
            assertThat(r.tenantDrainSeconds()).isPositive();
            assertThat(r.lost()).isZero();
        }
        Path json = dir.resolve("bench.json");
        bench.writeJson(runs, json);
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertThat(root.get("runs")).hasSize(2);
        assertThat(root.get("runs").get(0).get("interactiveMsP50P95Max")).hasSize(3);
        assertThat(root.get("runs").get(1).get("windowPerPartition").asInt()).isZero();
        assertThat(bench.table(runs)).contains("| 2 |", "| 0 (no scheduler) |", "interactive behind 40 batch");
    }
}
