package io.irgstream.shapes.world;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.RgbImage;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RendererTest {

    @Test
    void shouldUseOnlyExactColorsAndBlackWhenRenderingRandomScenes() {
        Random rnd = new Random(1);
        for (int n = 0; n < 200; n++) {
            Scene scene = SceneSampler.random(rnd);
            RgbImage img = Renderer.render(scene);
            Set<Color> used = EnumSet.noneOf(Color.class);
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int r = img.get(x, y, 0), g = img.get(x, y, 1), b = img.get(x, y, 2);
                    if (r == 0 && g == 0 && b == 0) {
                        continue;
                    }
                    Color c = Color.nearest(r, g, b);
                    assertThat(new int[] {r, g, b}).containsExactly(c.r(), c.g(), c.b());
                    used.add(c);
                }
            }
            for (SceneObject o : scene.objects()) {
                assertThat(used).contains(o.color());
            }
        }
    }

    @Test
    void shouldPaintOnlyInsideEachBoxWhenRenderingOneObject() {
        for (Shape shape : Shape.values()) {
            SceneObject o = new SceneObject(shape, Color.GREEN, 20, 30, 15);
            RgbImage img = Renderer.render(new Scene(List.of(o)));
            int painted = 0;
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    boolean lit = img.get(x, y, 1) != 0;
                    boolean inBox = x >= 20 && x < 35 && y >= 30 && y < 45;
                    if (lit) {
                        assertThat(inBox).as("%s pixel %d,%d", shape, x, y).isTrue();
                        painted++;
                    }
                }
            }
            assertThat(painted).as(shape.word()).isBetween(40, 225);
        }
    }

    @Test
    void shouldFillWholeBoxWhenShapeIsSquareAndPointUpWhenTriangle() {
        RgbImage sq = Renderer.render(new Scene(List.of(new SceneObject(Shape.SQUARE, Color.RED, 0, 0, 10))));
        assertThat(sq.get(0, 0, 0)).isEqualTo(230);
        assertThat(sq.get(9, 9, 0)).isEqualTo(230);
        assertThat(sq.get(10, 10, 0)).isZero();
        RgbImage tri = Renderer.render(new Scene(List.of(new SceneObject(Shape.TRIANGLE, Color.RED, 0, 0, 20))));
        assertThat(tri.get(0, 0, 0)).isZero();
        assertThat(tri.get(10, 1, 0)).isEqualTo(230);
        assertThat(tri.get(0, 19, 0)).isEqualTo(230);
        assertThat(tri.get(19, 19, 0)).isEqualTo(230);
    }

    @Test
    void shouldLeaveCornersEmptyWhenShapeIsCircleDiamondOrCross() {
        for (Shape s : List.of(Shape.CIRCLE, Shape.DIAMOND, Shape.CROSS)) {
            RgbImage img = Renderer.render(new Scene(List.of(new SceneObject(s, Color.WHITE, 10, 10, 18))));
            assertThat(img.get(10, 10, 0)).as(s.word()).isZero();
            assertThat(img.get(19, 19, 0)).as(s.word()).isEqualTo(245);
        }
    }
}
