package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.train.TorchSetup;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PaintExportTest {

    @Test
    void shouldDrawNearlySameImageWhenExportedWithHalfWeights(@TempDir Path dir) throws Exception {
        TorchSetup.init(2);
        torch.manual_seed(9);
        JitModule m = DrawModel.create(DrawModel.Config.QUICK);
        Path full = dir.resolve("ema.pt");
        m.save(full.toString());
        Path half = dir.resolve("draw.pt");
        PaintExport.export("draw", full, half, 1.0, true, 24.0);
        assertThat(Files.size(half)).isLessThan(Files.size(full));

        Scene scene = new Scene(List.of(new SceneObject(Shape.CROSS, Color.ORANGE, 30, 12, 18)));
        RgbImage a = PainterCheck.drawPlans(torch.load(full.toString()), List.of(scene), 1, 4, 4.0).get(0);
        RgbImage b = PainterCheck.drawPlans(torch.load(half.toString()), List.of(scene), 1, 4, 4.0).get(0);
        double meanDiff = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            meanDiff += Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff));
        }
        assertThat(meanDiff / a.pixels().length).isLessThan(2.0);
    }
}
