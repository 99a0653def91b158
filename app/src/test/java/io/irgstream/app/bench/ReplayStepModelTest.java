package io.irgstream.app.bench;

import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulated device's replay model: it answers with exactly the recorded outputs, takes at least the device time
 * of the batch size, and refuses what was not recorded. (The recorded models here are test doubles.)
 */
class ReplayStepModelTest {
    private static final List<String> PROMPTS = List.of("a red circle", "a blue square", "two green triangles",
            "a yellow star", "a red circle left of a blue square");

    @TempDir
    Path dir;

    private static RecordedTraces record(int rounds) {
        return RecordedTraces.record(step -> new DeterministicTestModel(step, 0), PROMPTS, 1000, rounds, 2, null);
    }

    /** A profile slow enough to measure: think 30 ms at batch 1, 90 ms at batch 16; the other steps 1 ms. */
    private static DeviceProfile slowThink() {
        DeviceProfile.StepTime fast = new DeviceProfile.StepTime(1, 1);
        return new DeviceProfile("test-device", "test", Map.of(Step.THINK, new DeviceProfile.StepTime(30, 90),
                Step.DRAW, fast, Step.REFLECT, fast, Step.REFINE, fast));
    }

    @Test
    void shouldRecordIrgAsTheWorkersRunIt() {
        RecordedTraces t = record(2);
        assertThat(t.prompts()).containsExactlyElementsOf(PROMPTS);
        for (String p : PROMPTS) {
            assertThat(t.get(new RecordedTraces.Key(p, Step.THINK, 0))).isNotNull();
            assertThat(t.get(new RecordedTraces.Key(p, Step.DRAW, 0))).isNotNull();
            RecordedTraces.Call reflect1 = t.get(new RecordedTraces.Key(p, Step.REFLECT, 1));
            assertThat(reflect1.request().image()).as("round 1 reflects on the draft")
                    .isEqualTo(t.get(new RecordedTraces.Key(p, Step.DRAW, 0)).result().image());
            RecordedTraces.Call refine1 = t.get(new RecordedTraces.Key(p, Step.REFINE, 1));
            boolean needsChanges = reflect1.result().text().contains("NEEDS_CHANGES");
            assertThat(refine1 != null).as("refine only on NEEDS_CHANGES: " + p).isEqualTo(needsChanges);
            RecordedTraces.Call reflect2 = t.get(new RecordedTraces.Key(p, Step.REFLECT, 2));
            assertThat(reflect2 != null).as("a second round only after a refine").isEqualTo(needsChanges);
            if (needsChanges) {
                assertThat(reflect2.request().image()).as("round 2 reflects on the refined image")
                        .isEqualTo(refine1.result().image());
                assertThat(reflect2.request().stepSeed()).isEqualTo(Seeds.stepSeed(t.seedOf(p), Step.REFLECT, 2));
            }
        }
        assertThat(t.calls().stream().filter(c -> c.key().step() == Step.REFINE)).as("both paths ran").isNotEmpty();
    }

    @Test
    void shouldAnswerWithExactlyTheRecordedOutputs() {
        RecordedTraces t = record(2);
        Map<Step, StepModel> replay = new java.util.EnumMap<>(Step.class);
        for (Step s : Step.values()) {
            replay.put(s, new ReplayStepModel(s, t, slowThink()));
        }
        // every recorded call, asked again as a worker would (another trajectory id), in one batch per step
        for (Step s : Step.values()) {
            List<RecordedTraces.Call> calls = t.calls().stream().filter(c -> c.key().step() == s).toList();
            List<StepRequest> asked = calls.stream().map(c -> new StepRequest("other-trajectory", c.request().stepSeed(),
                    c.request().prompt(), c.request().thought(), c.request().image(), c.request().reflection(),
                    Sampling.DEFAULTS)).toList();
            List<StepResult> got = replay.get(s).run(asked);
            assertThat(got).as(s.id()).containsExactlyElementsOf(calls.stream().map(RecordedTraces.Call::result).toList());
            // the same objects a fresh real model call returns, bit for bit
            StepModel real = new DeterministicTestModel(s, 0);
            assertThat(got).as(s.id() + " equals a fresh call of the recorded model").containsExactlyElementsOf(real.run(asked));
        }
        assertThat(replay.get(Step.DRAW).info().name()).isEqualTo("replay of test-draw on simulated test-device");
        assertThat(replay.get(Step.DRAW).info().backend()).isEqualTo(ReplayStepModel.BACKEND);
        assertThat(replay.get(Step.DRAW).info().device()).isEqualTo("simulated:test-device");
        assertThat(replay.get(Step.THINK).rejections(PROMPTS)).containsOnly("");
    }

    @Test
    void shouldTakeTheDeviceTimeOfTheBatchSize() {
        RecordedTraces t = record(1);
        ReplayStepModel think = new ReplayStepModel(Step.THINK, t, slowThink());
        assertThat(think.deviceNanos(1)).isEqualTo(30_000_000L);
        assertThat(think.deviceNanos(4)).isEqualTo(42_000_000L); // 30 + (90 - 30) * 3 / 15
        assertThat(think.deviceNanos(16)).isEqualTo(90_000_000L);
        assertThat(think.deviceNanos(32)).isEqualTo(180_000_000L); // 90 * 32 / 16
        for (int b : new int[]{1, 4, 5}) {
            List<StepRequest> batch = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                String p = PROMPTS.get(i);
                batch.add(new StepRequest("t" + i, Seeds.stepSeed(t.seedOf(p), Step.THINK, 0), p, null, null, null,
                        Sampling.DEFAULTS));
            }
            long t0 = System.nanoTime();
            assertThat(think.run(batch)).hasSize(b);
            long took = System.nanoTime() - t0;
            assertThat(took).as("batch %d took %d ns", b, took).isGreaterThanOrEqualTo(think.deviceNanos(b))
                    .isLessThan(think.deviceNanos(b) + 2_000_000_000L); // a loaded 2-core machine may wake it late
        }
        assertThat(think.calls()).isEqualTo(3);
        assertThat(think.items()).isEqualTo(10);
        assertThat(think.deviceNanos()).isEqualTo(think.deviceNanos(1) + think.deviceNanos(4) + think.deviceNanos(5));
    }

    @Test
    void shouldRefuseARequestThatWasNotRecorded() {
        RecordedTraces t = record(1);
        ReplayStepModel think = new ReplayStepModel(Step.THINK, t, slowThink());
        assertThatThrownBy(() -> think.run(List.of(new StepRequest("t-9", 5, "a purple hexagon", null, null, null,
                Sampling.DEFAULTS)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no recorded output for the think step of prompt \"a purple hexagon\"")
                .hasMessageContaining("t-9");
        String p = PROMPTS.get(0);
        assertThatThrownBy(() -> think.run(List.of(new StepRequest("t-1", 12345, p, null, null, null, Sampling.DEFAULTS))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("step seed 12345")
                .hasMessageContaining("recorded trajectory seed " + t.seedOf(p));
        ReplayStepModel draw = new ReplayStepModel(Step.DRAW, t, slowThink());
        assertThatThrownBy(() -> draw.run(List.of(new StepRequest("t-2", Seeds.stepSeed(t.seedOf(p), Step.DRAW, 0), p,
                "another thought", null, null, Sampling.DEFAULTS)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("had another thought");
        ReplayStepModel refine = new ReplayStepModel(Step.REFINE, t, slowThink());
        assertThatThrownBy(() -> refine.run(List.of(new StepRequest("t-3", Seeds.stepSeed(t.seedOf(p), Step.REFINE, 3),
                p, "x", null, "y", Sampling.DEFAULTS)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no recorded output for the refine step");
        assertThatThrownBy(() -> think.rejections(List.of("a purple hexagon"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a purple hexagon");
    }

    @Test
    void shouldReadTheDefaultProfileAndAFileAndNameWhatIsWrong() throws Exception {
        DeviceProfile h200 = DeviceProfile.defaultProfile();
        assertThat(h200.device()).isEqualTo("h200");
        assertThat(h200.nanos(Step.DRAW, 1)).isEqualTo(60_000_000L);
        assertThat(h200.nanos(Step.DRAW, 16)).isEqualTo(82_000_000L);
        assertThat(16 / (h200.nanos(Step.DRAW, 16) / 1e9)).as("images/s at batch 16").isBetween(195.0, 195.2);
        assertThat(h200.source()).contains("docs/models.md");

        Path file = Files.writeString(dir.resolve("p.json"), "{\"device\": \"a100\", \"steps\": {"
                + "\"think\": {\"batch1Ms\": 1, \"batch16Ms\": 2}, \"draw\": {\"batch1Ms\": 50, \"batch16Ms\": 70},"
                + "\"reflect\": {\"batch1Ms\": 3, \"batch16Ms\": 3}, \"refine\": {\"batch1Ms\": 60, \"batch16Ms\": 90}}}");
        assertThat(DeviceProfile.read(file).nanos(Step.REFINE, 16)).isEqualTo(90_000_000L);
        Path missing = Files.writeString(dir.resolve("q.json"), "{\"device\": \"a100\", \"steps\": {"
                + "\"think\": {\"batch1Ms\": 1, \"batch16Ms\": 2}}}");
        assertThatThrownBy(() -> DeviceProfile.read(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("no time for the draw step");
        Path negative = Files.writeString(dir.resolve("r.json"), "{\"device\": \"x\", \"steps\": {"
                + "\"think\": {\"batch1Ms\": -1, \"batch16Ms\": 2}}}");
        assertThatThrownBy(() -> DeviceProfile.read(negative)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("positive");
    }
}
