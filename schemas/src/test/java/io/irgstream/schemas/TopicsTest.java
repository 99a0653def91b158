package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.DeadLetter;
import io.irgstream.events.PromptSubmitted;
import org.junit.jupiter.api.Test;

class TopicsTest {

    @Test
    void shouldUseArchitectureNamesWhenPrefixIsDefault() {
        Topics topics = Topics.defaults();

        assertThat(topics.all()).extracting(Topic::name).startsWith("irg.prompts", "irg.thoughts",
                "irg.draft-images", "irg.reflections", "irg.final-images", "irg.trajectories", "irg.dead-letters",
                "irg.cancellations", "irg.retry-think-1", "irg.retry-think-2", "irg.retry-think-3", "irg.retry-draw-1")
                .endsWith("irg.submissions").hasSize(9 + 4 * Topics.RETRY_TIERS);
        assertThat(topics.retry("refine", 3).name()).isEqualTo("irg.retry-refine-3");
        assertThat(topics.prompts().valueClass()).contains(PromptSubmitted.class);
        assertThat(topics.deadLetters().valueClass()).contains(DeadLetter.class);
        assertThat(topics.prompts().valueSubject()).isEqualTo("irg.prompts-value");
        assertThat(topics).isEqualTo(Topics.withPrefix("irg."));
    }

    @Test
    void shouldMarkOnlyTrajectoriesCompactedWhenListingTopics() {
        Topics topics = Topics.defaults();

        assertThat(topics.all()).filteredOn(Topic::compacted).containsExactly(topics.trajectories());
        assertThat(topics.trajectories().valueClass()).contains(io.irgstream.events.Trajectory.class);
        assertThat(topics.cancellations().valueClass()).contains(io.irgstream.events.CancellationRequested.class);
    }

    @Test
    void shouldReplacePrefixWhenTenantPrefixIsGiven() {
        Topics topics = Topics.withPrefix("tenant1.irg.");

        assertThat(topics.draftImages().name()).isEqualTo("tenant1.irg.draft-images");
        assertThat(topics.draftImages().baseName()).isEqualTo("draft-images");
        assertThat(topics.byName("tenant1.irg.final-images")).contains(topics.finalImages());
        assertThat(topics.byName("irg.final-images")).isEmpty();
        assertThat(topics.all()).allSatisfy(t -> assertThat(t.name()).startsWith("tenant1.irg."));
    }

    @Test
    void shouldRejectPrefixWhenItHasIllegalCharacters() {
        assertThatThrownBy(() -> Topics.withPrefix("tenant 1/"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid topic prefix 'tenant 1/': only letters, digits, '.', '_' and '-' are allowed");
    }
}
