package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.ThoughtFormat;
import java.util.List;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DrawModelTest {
    private static JitModule module;

    @BeforeAll
    static void create() {
        TorchSetup.init(2);
        torch.manual_seed(3);
        module = DrawModel.create(DrawModel.Config.QUICK);
    }

    private static double sum(Tensor t) {
        return t.sum().item_double();
    }

    @Test
    void shouldMarkObjectBoxInLayoutWhenThoughtNamesIt() {
        try (PointerScope s = new PointerScope()) {
            Tensor lay = Jit.call(module, "layout", Jit.strings(List.of("red circle at x 18 y 32 size 14 ; "
                    + "white cross at x 50 y 10 size 11", "", "purple blob at x 5 y 5 size 12 ; red circle at x y 3"))).toTensor();
            assertThat(lay.sizes().vec().get()).containsExactly(3, 16, 64, 64);
            Tensor row = lay.select(0, 0);
            assertThat(sum(row.select(0, 13))).isEqualTo(14 * 14 + 11 * 11);
            assertThat(sum(row.select(0, 0))).isEqualTo(14 * 14);
            assertThat(sum(row.select(0, 4))).isEqualTo(11 * 11);
            assertThat(sum(row.select(0, 5))).isEqualTo(14 * 14);
            assertThat(sum(row.select(0, 12))).isEqualTo(11 * 11);
            SceneObject o = ThoughtFormat.parseObjects("red circle at x 18 y 32 size 14").get(0);
            assertThat(row.select(0, 13).select(0, o.y()).select(0, o.x()).item_double()).isEqualTo(1.0);
            assertThat(row.select(0, 13).select(0, o.y() - 1).select(0, o.x()).item_double()).isEqualTo(0.0);
            assertThat(row.select(0, 14).max().item_double()).isLessThan(1.0);
            assertThat(row.select(0, 14).min().item_double()).isGreaterThan(-1.0);
            assertThat(sum(lay.select(0, 1))).isZero();
            assertThat(sum(lay.select(0, 2))).isZero();
        }
    }

    @Test
    void shouldTokenizePromptWhenWordsAreKnownOrUnknown() {
        try (PointerScope s = new PointerScope()) {
            Tensor ids = Jit.call(module, "prompt_ids", Jit.strings(List.of("A photo of a red circle", "zebra", ""))).toTensor();
            assertThat(ids.sizes().vec().get()).containsExactly(3, FlowUNet.PROMPT_TOKENS);
            assertThat(ids.select(0, 0).select(0, 4).item_long()).isEqualTo(List.of(FlowUNet.WORDS).indexOf("red") + 2);
            assertThat(ids.select(0, 0).select(0, 6).item_long()).isZero();
            assertThat(ids.select(0, 1).select(0, 0).item_long()).isEqualTo(1);
            assertThat(sum(ids.select(0, 2))).isZero();
        }
    }

    @Test
    void shouldGiveSameImageForRowWhenDrawnAloneOrInBatch() {
        Scene scene = new Scene(List.of(new SceneObject(io.irgstream.shapes.world.Shape.DIAMOND,
                io.irgstream.shapes.world.Color.YELLOW, 20, 20, 16)));
        List<RgbImage> batch = PainterCheck.drawPlans(module, List.of(scene, scene, scene), 5, 3, 4.0);
        List<RgbImage> alone = PainterCheck.drawPlans(module, List.of(scene), 5, 3, 4.0);
        int maxDiff = 0;
        for (int i = 0; i < alone.get(0).pixels().length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((alone.get(0).pixels()[i] & 0xff) - (batch.get(0).pixels()[i] & 0xff)));
        }
        assertThat(maxDiff).isLessThanOrEqualTo(1);
    }

    @Test
    void shouldReportContractWhenAsked() {
        try (PointerScope s = new PointerScope()) {
            assertThat(Jit.call(module, "contract_version").toInt()).isEqualTo(1);
            assertThat(Jit.call(module, "image_shape").toList().size()).isEqualTo(3);
        }
    }
}
