package io.irgstream.app.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.DeadLetter;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A webhook dead letter (the topology's callback that kept failing) does not make a trajectory failed or done. */
class CollectedTrajectoryTest {

    private static DeadLetter deadLetter(String step) {
        return DeadLetter.newBuilder().setStep(step).setTrajectoryId("t-1").setTopic("irg.x").setPartition(0)
                .setOffset(1).setErrorClass("E").setErrorMessage("m").setAttempts(1).setFirstFailedAt(Instant.EPOCH)
                .setLastFailedAt(Instant.EPOCH).setWorkerId("w").build();
    }

    @Test
    void shouldNotCountAWebhookDeadLetterAsAFailure() {
        CollectedTrajectory t = new CollectedTrajectory("t-1");
        t.add(deadLetter("webhook"));
        assertThat(t.failed()).isFalse();
        assertThat(t.isDone()).isFalse();
        assertThat(t.deadLetters()).hasSize(1);
        t.add(deadLetter("draw"));
        assertThat(t.failed()).isTrue();
        assertThat(t.isDone()).isTrue();
    }
}
