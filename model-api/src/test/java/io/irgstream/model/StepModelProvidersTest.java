package io.irgstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StepModelProvidersTest {
    @Test
    void shouldNameTheBackendAndTheEnginesFoundWhenNoneMatches() {
        // the contract module alone carries no engine
        assertThat(StepModelProviders.available()).isEmpty();
        assertThatThrownBy(() -> StepModelProviders.find("torchscript")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.backend=torchscript").hasMessageContaining("engines found: []");
    }
}
