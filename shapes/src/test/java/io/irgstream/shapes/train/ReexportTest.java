package io.irgstream.shapes.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.model.Sampling;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.think.ThinkModule;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReexportTest {
    @TempDir
    Path dir;

    @Test
    void shouldStoreThinkWeightsInHalfPrecisionAndRecordItInTheManifest() throws Exception {
        TorchSetup.init(1);
        JitModule fresh = ThinkModule.create(ThinkModule.Config.FULL, 7);
        Path file = dir.resolve("think.pt");
        fresh.save(file.toString());
        long before = Files.size(file);
        String sha = TorchScriptStepModel.sha256(file);
        Training.updateManifest(dir, Step.THINK, null, null);

        Reexport.run(Step.THINK, file, dir, "weights in float16");

        assertThat(Files.size(file)).as("float16 weights halve the file").isLessThan(before * 6 / 10);
        JitModule back = torch.load(file.toString());
        assertThat(ModuleParams.of(back).tensors()).allSatisfy(t ->
                assertThat(t.scalar_type().toString()).startsWith("Half"));
        try (StepModel m = StepModels.load(Step.THINK, file)) {
            StepRequest q = new StepRequest("t", 3, "a red circle left of a blue square", null, null, null,
                    Sampling.DEFAULTS);
            List<StepResult> out = m.run(List.of(q));
            assertThat(out.get(0).text()).matches("(\\w+ \\w+ at x \\d+ y \\d+ size \\d+)( ; .*)?");
        }
        JsonNode entry = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile()).get("models").get("think");
        assertThat(entry.get("sha256").asText()).isEqualTo(TorchScriptStepModel.sha256(file)).isNotEqualTo(sha);
        assertThat(entry.get("reexport").get("from_sha256").asText()).isEqualTo(sha);
        assertThat(entry.get("reexport").get("weights").asText()).contains("float16");
    }

    @Test
    void shouldNameTheMissingFile() {
        assertThatThrownBy(() -> Reexport.run(Step.REFLECT, dir.resolve("nope.pt"), dir, "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.pt");
    }
}
