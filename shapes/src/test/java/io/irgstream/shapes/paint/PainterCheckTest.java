package io.irgstream.shapes.paint;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import io.irgstream.shapes.world.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PainterCheckTest {

    @Test
    void shouldAcceptRenderedSceneWhenImageIsTheTruth() {
        Random rnd = new Random(2);
        int ok = 0;
        for (int i = 0; i < 300; i++) {
            Scene s = SceneSampler.random(rnd);
            ok += PainterCheck.matches(Renderer.render(s), s) ? 1 : 0;
        }
        assertThat(ok).isEqualTo(300);
    }

    @Test
    void shouldRejectImageWhenColorShapePlaceOrCountIsWrong() {
        Random rnd = new Random(3);
        int rejected = 0;
        int total = 0;
        for (int i = 0; i < 200; i++) {
            Scene s = SceneSampler.random(rnd);
            for (Mistakes.Kind k : Mistakes.Kind.values()) {
                List<SceneObject> wrong = Mistakes.inject(s, k, rnd);
                if (wrong.equals(s.objects())) {
                    continue;
                }
                total++;
                rejected += PainterCheck.matches(Renderer.renderObjects(wrong), s) ? 0 : 1;
            }
        }
        assertThat(rejected / (double) total).isGreaterThan(0.97);
    }

    @Test
    void shouldRejectCircleWhenTruthIsSquare() {
        SceneObject sq = new SceneObject(Shape.SQUARE, Color.BLUE, 20, 20, 16);
        Scene truth = new Scene(List.of(sq));
        assertThat(PainterCheck.matches(Renderer.render(new Scene(new ArrayList<>(List.of(sq.withShape(Shape.CIRCLE))))), truth))
                .isFalse();
    }
}
