package io.irgstream.app;

import io.irgstream.app.bench.PipelineBench;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark's code path, end to end on a small load with test-double models: it measures every figure and
 * writes bench.json. (It checks that the figures exist, never how fast anything is.)
 */
class PipelineBenchIT {
    @TempDir
    Path dir;

    @Test
    void shouldMeasureEveryFigureAndWriteBenchJson() throws Exception {
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            prompts.add("bench prompt " + i);
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PipelineBench bench = new PipelineBench(step -> new DeterministicTestModel(step, 5), prompts, dir,
                new PrintStream(log, true));
        List<PipelineBench.Run> runs = bench.run(new int[]{4, 1}, 3);
        assertThat(runs).hasSize(2);
        PipelineBench.Run main = runs.get(0);
        assertThat(main.directPerSec()).isPositive();
        assertThat(main.pipelinePerSec()).isPositive();
        assertThat(main.hopLoadMs()).hasSize(3);
        assertThat(main.hopIdleMs()).hasSize(3);
        assertThat(main.endToEndMs()).hasSize(3);
        assertThat(runs.get(1).hopIdleMs()).isEmpty();
        String table = PipelineBench.table(runs, prompts.size());
        assertThat(table).contains("| 4 |", "| 1 |", "ratio");
        Path json = dir.resolve("bench.json");
        PipelineBench.writeJson(runs, prompts.size(), json);
        assertThat(Files.readString(json)).contains("\"maxBatchSize\" : 4", "perHopIdleMsP50P95P99", "ratio");
    }
}
