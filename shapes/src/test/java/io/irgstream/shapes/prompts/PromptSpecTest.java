package io.irgstream.shapes.prompts;

import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static io.irgstream.shapes.world.Color.BLUE;
import static io.irgstream.shapes.world.Color.RED;
import static io.irgstream.shapes.world.Shape.CIRCLE;
import static io.irgstream.shapes.world.Shape.SQUARE;
import static io.irgstream.shapes.world.Shape.TRIANGLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PromptSpecTest {
    private static DetectedObject obj(Shape s, Color c, int cx, int cy) {
        return new DetectedObject(s, c, cx, cy, 14, 150);
    }

    @Test
    void shouldParseEveryCategoryWhenPromptFollowsGrammar() {
        assertThat(PromptSpec.parse("a photo of a circle")).isEqualTo(PromptSpec.single(CIRCLE));
        assertThat(PromptSpec.parse("A photo of a circle and a square.")).isEqualTo(PromptSpec.two(CIRCLE, SQUARE));
        assertThat(PromptSpec.parse("a photo of three crosses")).isEqualTo(PromptSpec.counting(3, Shape.CROSS));
        assertThat(PromptSpec.parse("a photo of an orange diamond"))
                .isEqualTo(PromptSpec.colors(Color.ORANGE, Shape.DIAMOND));
        assertThat(PromptSpec.parse("a photo of a circle left of a square"))
                .isEqualTo(PromptSpec.position(CIRCLE, Relation.LEFT_OF, SQUARE));
        assertThat(PromptSpec.parse("a photo of a triangle below a circle"))
                .isEqualTo(PromptSpec.position(TRIANGLE, Relation.BELOW, CIRCLE));
        assertThat(PromptSpec.parse("a photo of a red circle and a blue square"))
                .isEqualTo(PromptSpec.colorAttr(RED, CIRCLE, BLUE, SQUARE));
    }

    @Test
    void shouldRoundTripTextWhenSampled() {
        Random rnd = new Random(3);
        for (Category c : Category.values()) {
            for (int i = 0; i < 200; i++) {
                PromptSpec p = PromptSpec.sample(c, rnd);
                assertThat(p.category()).isEqualTo(c);
                assertThat(PromptSpec.parse(p.text())).isEqualTo(p);
            }
        }
    }

    @Test
    void shouldFailWithGrammarWhenPromptIsOutsideIt() {
        assertThatThrownBy(() -> PromptSpec.parse("a photo of a dog"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a photo of a dog' is outside the shapes-world grammar")
                .hasMessageContaining("expected one of");
        assertThatThrownBy(() -> PromptSpec.parse("a photo of a circle and a circle"))
                .hasMessageContaining("two different shapes");
        assertThatThrownBy(() -> PromptSpec.parse("a photo of two circle")).hasMessageContaining("plural");
        assertThatThrownBy(() -> PromptSpec.parse("draw something")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldApplyThreePixelMarginWhenJudgingRelations() {
        PromptSpec left = PromptSpec.position(CIRCLE, Relation.LEFT_OF, SQUARE);
        assertThat(left.passes(List.of(obj(CIRCLE, RED, 20, 30), obj(SQUARE, BLUE, 24, 10)))).isTrue();
        assertThat(left.passes(List.of(obj(CIRCLE, RED, 20, 30), obj(SQUARE, BLUE, 23, 10)))).isFalse();
        PromptSpec above = PromptSpec.position(CIRCLE, Relation.ABOVE, SQUARE);
        assertThat(above.passes(List.of(obj(CIRCLE, RED, 5, 10), obj(SQUARE, BLUE, 50, 14)))).isTrue();
        assertThat(above.passes(List.of(obj(CIRCLE, RED, 5, 10), obj(SQUARE, BLUE, 50, 13)))).isFalse();
        PromptSpec below = PromptSpec.position(CIRCLE, Relation.BELOW, SQUARE);
        assertThat(below.passes(List.of(obj(CIRCLE, RED, 5, 14), obj(SQUARE, BLUE, 50, 10)))).isTrue();
    }

    @Test
    void shouldCountOnlyTheNamedShapeWhenCounting() {
        PromptSpec two = PromptSpec.counting(2, CIRCLE);
        assertThat(two.passes(List.of(obj(CIRCLE, RED, 10, 10), obj(CIRCLE, BLUE, 40, 10), obj(SQUARE, RED, 40, 40))))
                .isTrue();
        assertThat(two.passes(List.of(obj(CIRCLE, RED, 10, 10), obj(CIRCLE, BLUE, 40, 10), obj(CIRCLE, RED, 40, 40))))
                .isFalse();
        assertThat(two.passes(List.of(obj(CIRCLE, RED, 10, 10)))).isFalse();
    }

    @Test
    void shouldNeedTwoDistinctObjectsWhenPromptNamesTwo() {
        PromptSpec attr = PromptSpec.colorAttr(RED, CIRCLE, BLUE, CIRCLE);
        assertThat(attr.passes(List.of(obj(CIRCLE, RED, 10, 10)))).isFalse();
        assertThat(attr.passes(List.of(obj(CIRCLE, RED, 10, 10), obj(CIRCLE, BLUE, 40, 40)))).isTrue();
        assertThat(PromptSpec.colors(RED, CIRCLE).passes(List.of(obj(CIRCLE, BLUE, 1, 1), obj(SQUARE, RED, 9, 9))))
                .isFalse();
        assertThat(PromptSpec.two(CIRCLE, SQUARE).passes(List.of(obj(CIRCLE, BLUE, 1, 1), obj(null, RED, 9, 9))))
                .isFalse();
    }

    @Test
    void shouldGiveFixedHeldOutSetWhenGenerated() {
        List<PromptSpec> a = PromptSet.heldOut(50);
        assertThat(a).hasSize(300).isEqualTo(PromptSet.heldOut(50));
        for (Category c : Category.values()) {
            assertThat(a.stream().filter(p -> p.category() == c)).hasSize(50);
        }
    }
}
