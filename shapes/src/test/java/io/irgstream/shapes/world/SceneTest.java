package io.irgstream.shapes.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SceneTest {

    @Test
    void shouldRejectSceneWhenBoxesAreCloserThanTwoPixels() {
        SceneObject a = new SceneObject(Shape.SQUARE, Color.RED, 0, 0, 10);
        SceneObject b = new SceneObject(Shape.CIRCLE, Color.BLUE, 11, 0, 10);
        assertThatThrownBy(() -> new Scene(List.of(a, b))).hasMessageContaining("closer than 2 px");
        assertThat(Scene.isValid(List.of(a, b.at(12, 0)))).isTrue();
    }

    @Test
    void shouldRejectSceneWhenObjectLeavesCanvasOrCountIsWrong() {
        assertThatThrownBy(() -> new Scene(List.of(new SceneObject(Shape.SQUARE, Color.RED, 50, 0, 15))))
                .hasMessageContaining("inside");
        assertThatThrownBy(() -> new Scene(List.of())).hasMessageContaining("1 to 4");
        assertThatThrownBy(() -> new SceneObject(Shape.SQUARE, Color.RED, 0, 0, 9)).hasMessageContaining("size");
    }

    @Test
    void shouldAlwaysProduceValidScenesWhenSampling() {
        Random rnd = new Random(7);
        int[] counts = new int[5];
        for (int i = 0; i < 2000; i++) {
            Scene s = SceneSampler.random(rnd);
            counts[s.objects().size()]++;
            for (SceneObject o : s.objects()) {
                assertThat(o.inside(64, 64)).isTrue();
                for (SceneObject p : s.objects()) {
                    if (o != p) {
                        assertThat(o.gapTo(p)).isGreaterThanOrEqualTo(2);
                    }
                }
            }
        }
        for (int n = 1; n <= 4; n++) {
            assertThat(counts[n]).isGreaterThan(350);
        }
    }

    @Test
    void shouldSatisfyRelationWhenPlacingWithConstraint() {
        Random rnd = new Random(3);
        for (Relation rel : Relation.values()) {
            for (int i = 0; i < 50; i++) {
                Scene s = SceneSampler.place(List.of(Shape.CIRCLE, Shape.CROSS), List.of(Color.RED, Color.PINK),
                        List.of(new SceneSampler.Constraint(0, rel, 1)), rnd);
                assertThat(rel.holds(s.objects().get(0), s.objects().get(1))).isTrue();
                assertThat(s.objects().get(1).shape()).isEqualTo(Shape.CROSS);
            }
        }
    }
}
