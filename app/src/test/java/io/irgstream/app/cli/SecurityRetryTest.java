package io.irgstream.app.cli;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecurityRetryTest {
    final List<String> lines = new ArrayList<>();
    final List<Long> waits = new ArrayList<>();
    final SecurityRetry retry = new SecurityRetry(1_000, 3_000, 4, lines::add, waits::add);

    @Test
    void triesARefusedStartAgainWithADoublingBackoffAndOneLineEach() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        String started = retry.call(() -> {
            if (tries.incrementAndGet() < 4) {
                throw new IllegalStateException("cannot describe the irg topics", new SaslAuthenticationException(
                        "Authentication failed during authentication due to invalid credentials"));
            }
            return "running";
        });
        assertThat(started).isEqualTo("running");
        assertThat(waits).containsExactly(1_000L, 2_000L, 3_000L);
        assertThat(lines).hasSize(3).allSatisfy(l -> assertThat(l).contains("refused the SASL login",
                "sasl.jaas.config"));
        assertThat(lines.get(0)).endsWith("trying again in 1000 ms (attempt 1 of 4)");
    }

    @Test
    void keepsAMessageThatAlreadySaysWhatToFix() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        retry.call(() -> {
            if (tries.incrementAndGet() < 2) {
                throw new IllegalStateException("cannot describe the irg topics on k:9093: Kafka at k:9093 refused "
                        + "the SASL login of user 'irg-topology': check the user name and password in sasl.jaas.config",
                        new SaslAuthenticationException("Authentication failed"));
            }
            return "running";
        });
        assertThat(lines).containsExactly("cannot describe the irg topics on k:9093: Kafka at k:9093 refused the SASL "
                + "login of user 'irg-topology': check the user name and password in sasl.jaas.config; trying again "
                + "in 1000 ms (attempt 1 of 4)");
    }

    @Test
    void givesUpAfterItsAttemptsAndThrowsOtherFailuresAtOnce() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> retry.call(() -> {
            tries.incrementAndGet();
            throw new KafkaException("denied", new TopicAuthorizationException(Set.of("irg.trajectories")));
        })).hasRootCauseInstanceOf(TopicAuthorizationException.class);
        assertThat(tries).hasValue(4);
        assertThat(lines).hasSize(3).allSatisfy(l -> assertThat(l).contains("./irg acls"));

        tries.set(0);
        assertThatThrownBy(() -> retry.call(() -> {
            tries.incrementAndGet();
            throw new IllegalStateException("a topic of [irg.prompts] does not exist");
        })).hasMessageContaining("does not exist");
        assertThat(tries).hasValue(1);
    }
}
