package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.Step;
import io.irgstream.model.Verdict;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** The wire schema and the model contract spell the step vocabulary the same way. */
class VocabularyTest {
    @Test
    void shouldSpellVerdictsAlikeOnTheWireAndInTheModelContract() {
        assertThat(Arrays.stream(io.irgstream.events.Verdict.values()).map(Enum::name))
                .containsExactlyElementsOf(Arrays.stream(Verdict.values()).map(Enum::name).toList());
    }

    @Test
    void shouldNameRetryTopicsAfterTheModelContractsSteps() {
        assertThat(Topics.STEPS).isEqualTo(Step.IDS);
        Topics t = Topics.withPrefix("irg");
        for (String step : Step.IDS) {
            assertThat(t.retry(step, 1).name()).contains(step);
        }
    }
}
