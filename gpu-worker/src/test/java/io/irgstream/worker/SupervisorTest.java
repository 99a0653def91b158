package io.irgstream.worker;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Recovery: new client sessions after recoverable errors, bounded; none after errors no new client fixes. */
class SupervisorTest {
    private final WorkerStats stats = new WorkerStats();
    private final AtomicBoolean running = new AtomicBoolean(true);

    private Supervisor supervisor(int maxAttempts) {
        Map<String, Object> p = new HashMap<>();
        p.put(WorkerConfig.STEP, "think");
        p.put(WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092");
        p.put(WorkerConfig.SCHEMA_REGISTRY_URL, "http://unused");
        p.put(WorkerConfig.WORKER_ID, "think-0");
        p.put(WorkerConfig.RECOVERY_MAX_ATTEMPTS, maxAttempts);
        p.put(WorkerConfig.RECOVERY_BACKOFF_MS, 1L);
        p.put(WorkerConfig.RECOVERY_BACKOFF_MAX_MS, 2L);
        return new Supervisor(new WorkerConfig(p), new NoClients(), stats, running::get, new CountDownLatch(1));
    }

    @Test
    void shouldStartANewSessionAfterARecoverableErrorAndEndWhenTheWorkerStops() {
        AtomicInteger lives = new AtomicInteger();
        supervisor(3).supervise(life -> {
            if (lives.incrementAndGet() < 3) {
                throw new TimeoutException("broker away");
            }
            running.set(false); // the third session runs until the worker stops
        });
        assertThat(lives).hasValue(3);
        assertThat(stats.restarts()).isEqualTo(2);
    }

    @Test
    void shouldStopAfterRecoveryMaxAttemptsInARowThatCommitNothing() {
        AtomicInteger lives = new AtomicInteger();
        assertThatThrownBy(() -> supervisor(3).supervise(life -> {
            lives.incrementAndGet();
            throw new TransactionalCommitter.BatchAbortedException(4, new TimeoutException("record too large for the broker"));
        })).isInstanceOf(TransactionalCommitter.BatchAbortedException.class);
        assertThat(lives).as("the first session and three recoveries").hasValue(4);
    }

    @Test
    void shouldCountRecoveriesInARowFromTheLastSessionThatCommitted() {
        AtomicInteger lives = new AtomicInteger();
        // every other session commits, so no more than 2 recoveries in a row commit nothing: it never stops
        supervisor(2).supervise(life -> {
            int n = lives.incrementAndGet();
            if (n == 5) {
                running.set(false);
                return;
            }
            life.committed = n % 2 == 0; // every other session commits a batch before failing
            throw new TimeoutException("flaky broker");
        });
        assertThat(lives).hasValue(5);
    }

    @Test
    void shouldNotRecoverFromAMissingPermission() {
        AtomicInteger lives = new AtomicInteger();
        assertThatThrownBy(() -> supervisor(10).supervise(life -> {
            lives.incrementAndGet();
            throw new AuthorizationException("not allowed to write irg.thoughts");
        })).isInstanceOf(AuthorizationException.class);
        assertThat(lives).hasValue(1);
        assertThat(stats.restarts()).isZero();
    }

    /** No session here creates a client. */
    private static final class NoClients implements WorkerClients {
        @Override
        public Consumer<byte[], byte[]> consumer(Map<String, Object> config) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Producer<byte[], byte[]> producer(Map<String, Object> config) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Admin admin(Map<String, Object> config) {
            throw new UnsupportedOperationException();
        }
    }
}
