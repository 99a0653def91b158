package io.irgstream.worker;

import io.irgstream.schemas.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Keeps a worker's client sessions going: runs one {@link Life} of its Kafka clients after another until the worker
 * stops. A session that fails with a recoverable error (a fenced or timed-out producer, an aborted transaction, the
 * broker away) is followed, after a backoff that doubles, by a new one; the worker stops after
 * {@code recovery.max.attempts} recoveries in a row that commit nothing, on an error no new client fixes (a missing
 * permission, an unsupported broker, a configuration error), and when another live instance has its
 * {@code worker.id} (the two would fence each other in turn).
 */
final class Supervisor {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** One life of the worker's Kafka clients, from their creation to a stop or an error. */
    static final class Life {
        /** Whether this life committed a batch (a recovery that led to one succeeded). */
        volatile boolean committed;
        /** The consumer's group member id at its last assignment, null before one. */
        volatile String memberId;
        /** Buffered records dropped when the life failed. */
        int dropped;
    }

    private final WorkerConfig config;
    private final WorkerClients clients;
    private final WorkerStats stats;
    private final BooleanSupplier running;
    private final CountDownLatch stopRequested;

    /**
     * @param running       whether the worker should go on
     * @param stopRequested counted down when the worker is asked to stop (ends a backoff early)
     */
    Supervisor(WorkerConfig config, WorkerClients clients, WorkerStats stats, BooleanSupplier running,
               CountDownLatch stopRequested) {
        this.config = config;
        this.clients = clients;
        this.stats = stats;
        this.running = running;
        this.stopRequested = stopRequested;
    }

    /**
     * Runs {@code life} for one client session after another until the worker stops or an error is not recovered
     * from, which is thrown.
     */
    void supervise(Consumer<Life> life) {
        String step = config.step().id();
        String id = config.workerId();
        int failedRecoveries = 0;
        while (running.getAsBoolean()) {
            Life current = new Life();
            try {
                life.accept(current);
            } catch (WakeupException e) {
                // stop() during a poll: normal shutdown (the loop ends as running is false)
            } catch (RuntimeException e) {
                if (!running.getAsBoolean()) {
                    log.warn("{} worker {} failed while stopping: {}", step, id, StepWorker.oneLine(e));
                    return;
                }
                if (!recoverable(e)) {
                    log.error("{} worker {} failed and stops; its uncommitted input will be read again by the next"
                            + " owner: {}", step, id, describe(e));
                    throw e;
                }
                failedRecoveries = current.committed ? 1 : failedRecoveries + 1;
                if (failedRecoveries > config.recoveryMaxAttempts()) {
                    log.error("{} worker {} failed and stops after {} recoveries in a row that committed nothing"
                                    + " ({} = {}); its uncommitted input will be read again by the next owner: {}",
                            step, id, failedRecoveries - 1, WorkerConfig.RECOVERY_MAX_ATTEMPTS,
                            config.recoveryMaxAttempts(), describe(e));
                    throw e;
                }
                long delay = Math.min(config.recoveryBackoffMaxMs(),
                        config.recoveryBackoffMs() << Math.min(20, failedRecoveries - 1));
                stats.restarts.incrementAndGet();
                log.warn("{} worker {} hit {}: {}; closed its Kafka clients and dropped {} buffered records (read"
                                + " again from the committed offsets), re-creating them in {} ms (recovery {} of"
                                + " at most {} in a row)", step, id, e.getClass().getSimpleName(), describe(e),
                        current.dropped, delay, failedRecoveries, config.recoveryMaxAttempts());
                try {
                    stopRequested.await(delay, TimeUnit.MILLISECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
                // After the wait, a duplicate that fenced this worker has joined the group under the same id.
                if (running.getAsBoolean() && isFencing(e) && duplicateLive(current)) {
                    log.error("{} worker {} was fenced by another live instance with the same worker.id {}; stopping"
                                    + " so the two do not fence each other in turn (give each instance its own"
                                    + " worker.id): {}", step, id, id, StepWorker.oneLine(e));
                    throw e;
                }
            }
        }
    }

    /** The failure on one line; for a login or a permission refused, what to fix (the setting, the ACLs). */
    private String describe(RuntimeException e) {
        return KafkaClientSettings.isSecurityFailure(e) ? config.kafkaClientSettings().explain(e) : StepWorker.oneLine(e);
    }

    /**
     * Errors the worker recovers from by re-creating its clients: all but a missing permission, an unsupported broker
     * or a configuration error (which no new client fixes).
     */
    static boolean recoverable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof UnsupportedVersionException
                    || t instanceof ConfigException) {
                return false;
            }
        }
        return true;
    }

    /** An error that another holder of this worker's transactional id or group instance id can cause. */
    static boolean isFencing(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ProducerFencedException || t instanceof InvalidProducerEpochException
                    || t instanceof FencedInstanceIdException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether another live instance holds this worker's id: the consumer group has a member with this worker's group
     * instance id ({@code worker.id}) but another member id than the one this worker's consumer had. (A producer that
     * merely re-initialised the transactional id, or a coordinator that aborted a timed-out transaction, leaves the
     * group membership alone.) When the group cannot be described, false: the recovery then goes on and is bounded by
     * {@code recovery.max.attempts}.
     */
    boolean duplicateLive(Life life) {
        String group = config.groupId();
        try (Admin admin = clients.admin(config.adminConfig())) {
            var description = admin.describeConsumerGroups(List.of(group)).all().get(6, TimeUnit.SECONDS).get(group);
            for (var m : description.members()) {
                if (m.groupInstanceId().filter(config.workerId()::equals).isPresent()
                        && !m.consumerId().equals(life.memberId)) {
                    log.warn("{} worker {}: group {} has member {} (client {}, host {}) with this worker's id; this"
                                    + " worker's member id was {}", config.step().id(), config.workerId(), group,
                            m.consumerId(), m.clientId(), m.host(), life.memberId);
                    return true;
                }
            }
            return false;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception unreachable) {
            log.warn("{} worker {} could not describe group {} to look for another instance with its id: {}",
                    config.step().id(), config.workerId(), group, StepWorker.oneLine(unreachable));
            return false;
        }
    }
}
