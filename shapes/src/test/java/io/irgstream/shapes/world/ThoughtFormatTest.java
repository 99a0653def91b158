package io.irgstream.shapes.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ThoughtFormatTest {

    @Test
    void shouldRoundTripWhenFormattingAndParsingRandomScenes() {
        Random rnd = new Random(11);
        for (int i = 0; i < 1000; i++) {
            Scene s = SceneSampler.random(rnd);
            assertThat(ThoughtFormat.parse(ThoughtFormat.format(s))).isEqualTo(s);
        }
    }

    @Test
    void shouldWriteCentersWhenFormatting() {
        Scene s = new Scene(java.util.List.of(new SceneObject(Shape.CIRCLE, Color.RED, 11, 25, 14),
                new SceneObject(Shape.SQUARE, Color.BLUE, 38, 23, 17)));
        assertThat(ThoughtFormat.format(s)).isEqualTo("red circle at x 18 y 32 size 14 ; blue square at x 46 y 31 size 17");
    }

    @Test
    void shouldNameBadPartWhenThoughtIsMalformed() {
        assertThatThrownBy(() -> ThoughtFormat.parse("red circle at x 18 y 32"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("red circle at x 18 y 32");
        assertThatThrownBy(() -> ThoughtFormat.parse("teal circle at x 18 y 32 size 14"))
                .hasMessageContaining("teal");
        assertThatThrownBy(() -> ThoughtFormat.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> ThoughtFormat.parse("red circle at x 2 y 32 size 14"))
                .hasMessageContaining("not a valid scene");
    }
}
