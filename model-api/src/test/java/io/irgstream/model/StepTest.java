package io.irgstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StepTest {
    @Test
    void shouldNameTheStepsInTrajectoryOrder() {
        assertThat(Step.IDS).containsExactly("think", "draw", "reflect", "refine");
        assertThat(Step.parse(" Reflect ")).isEqualTo(Step.REFLECT);
        assertThatThrownBy(() -> Step.parse("paint")).hasMessageContaining("'paint'")
                .hasMessageContaining("think, draw, reflect, refine");
    }

    @Test
    void shouldOrderStagesPromptThinkDrawThenReflectAndRefineByRound() {
        assertThat(Step.THINK.stage(0)).isEqualTo(1);
        assertThat(Step.DRAW.stage(0)).isEqualTo(2);
        assertThat(Step.REFLECT.stage(1)).isEqualTo(3);
        assertThat(Step.REFINE.stage(1)).isEqualTo(4);
        assertThat(Step.REFLECT.stage(2)).isEqualTo(5);
        assertThat(Step.REFINE.stage(2)).isEqualTo(6);
        assertThat(new Step[] {Step.after(0), Step.after(1), Step.after(2), Step.after(3), Step.after(4), Step.after(5)})
                .containsExactly(Step.THINK, Step.DRAW, Step.REFLECT, Step.REFINE, Step.REFLECT, Step.REFINE);
        for (Step s : Step.values()) {
            for (int round = 1; round <= 3; round++) {
                int stage = s.stage(round);
                assertThat(Step.after(stage - 1)).as("%s round %d comes after stage %d", s, round, stage - 1)
                        .isEqualTo(s);
            }
        }
        assertThatThrownBy(() -> Step.after(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
