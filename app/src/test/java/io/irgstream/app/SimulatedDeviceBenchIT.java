package io.irgstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.app.bench.DeviceProfile;
import io.irgstream.app.bench.RecordedTraces;
import io.irgstream.app.bench.SimulatedDeviceBench;
import io.irgstream.schemas.AvroJson;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ./irg bench --simulated-device}'s code path, end to end on a tiny load: outputs recorded from test-double
 * models, replayed through real brokers and workers with 1 and 2 workers per step; it writes bench.json with a
 * {@code scale_out} list. (It checks that the figures exist, never how fast anything is.)
 */
class SimulatedDeviceBenchIT {
    @TempDir
    Path dir;

    @Test
    void shouldRunEachWorkerCountAndWriteScaleOut() throws Exception {
        List<String> prompts = List.of("bench prompt 0", "bench prompt 1", "bench prompt 2", "bench prompt 3");
        RecordedTraces traces = RecordedTraces.record(step -> new DeterministicTestModel(step, 0), prompts, 1000, 2, 4, null);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        SimulatedDeviceBench bench = new SimulatedDeviceBench(traces, DeviceProfile.defaultProfile(), dir.resolve("work"),
                new PrintStream(log, true), new SimulatedDeviceBench.Settings(4, 0.05, 8, 12, 2));
        List<SimulatedDeviceBench.Run> runs = bench.run(new int[]{2});
        System.out.println(log);
        assertThat(runs).extracting(SimulatedDeviceBench.Run::workers).containsExactly(1, 2);
        for (SimulatedDeviceBench.Run r : runs) {
            assertThat(r.trajectories()).isBetween(8, 12);
            assertThat(r.throughput()).isPositive();
            assertThat(r.efficiency()).isPositive();
            assertThat(r.hopLoadMs()).hasSize(3);
            assertThat(r.hopIdleMs()).hasSize(3);
            assertThat(r.incidents().duplicateEvents()).as("read_committed: no event seen twice").isZero();
            assertThat(r.devices().get(io.irgstream.model.Step.DRAW).meanBatch()).isBetween(1.0, 4.0);
            assertThat(r.devices().get(io.irgstream.model.Step.DRAW).busy()).isPositive();
        }
        assertThat(runs.get(0).efficiency()).isEqualTo(1.0);
        Path json = dir.resolve("bench.json");
        bench.writeJson(runs, json);
        JsonNode root = AvroJson.MAPPER.readTree(Files.readString(json));
        assertThat(root.get("scale_out")).hasSize(2);
        assertThat(root.get("scale_out").get(1).get("workers").asInt()).isEqualTo(2);
        assertThat(root.get("scale_out").get(1).has("throughput")).isTrue();
        assertThat(root.get("scale_out").get(1).has("efficiency")).isTrue();
        assertThat(root.get("scale_out").get(1).get("incidents").has("workerRestarts")).isTrue();
        assertThat(root.get("perHopIdleMsP50P95P99")).hasSize(3);
        assertThat(root.get("device").get("name").asText()).isEqualTo("h200");
        assertThat(root.get("recordedModels").get("draw").asText()).startsWith("test-draw");
        assertThat(SimulatedDeviceBench.table(runs, DeviceProfile.defaultProfile(), 4)).contains("| 1 |", "| 2 |", "efficiency");
    }
}
