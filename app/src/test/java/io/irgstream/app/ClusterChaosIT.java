package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TopicReader;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.WorkerProcessMain;
import io.irgstream.embedded.EmbeddedKafkaCluster;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chaos on a cluster's shape: three Kafka nodes, each in its own JVM (broker and controller voter; replication factor
 * 3 and {@code min.insync.replicas} 2 for the step topics, the offsets topic and the transaction state log), every
 * step's worker in its own JVM. The trajectories are submitted evenly over a window ({@code -Dirg.chaos.submit.seconds},
 * default 20), and over the same window workers are killed with SIGKILL and restarted, and the
 * node that leads the busiest step-topic partition (the one whose end offset grew most in the last half second) is
 * killed with SIGKILL, the run goes on on the two nodes left, and the node is restarted on its ports and data a few
 * seconds later; the next node is killed only once every partition is back in full sync, as in a rolling restart.
 * At the end, read_committed from the beginning, every trajectory has exactly one committed output per step: none
 * lost, none duplicated, no dead letters.
 *
 * <p>Scaled down here (30 trajectories, 4 worker kills, 1 broker kill; {@code -Dirg.chaos.trajectories},
 * {@code -Dirg.chaos.kills}, {@code -Dirg.chaos.broker.kills}, {@code -Dirg.chaos.seed}); the full run,
 * {@code scripts/chaos.sh --cluster}, uses 1,000, 10 and 2 and records its table in docs/reliability.md.
 */
class ClusterChaosIT {
    private static final List<String> STEPS = List.of("think", "draw", "reflect", "refine");

    @TempDir
    Path tempDir;

    /** Where the nodes' data and logs and the workers' logs go: {@code -Dirg.chaos.dir} keeps them after the run. */
    private Path dir;

    @Test
    void shouldLoseAndDuplicateNothingWhenWorkersAndTheLeaderBrokerOfABusyPartitionAreKilled() throws Exception {
        int n = Integer.getInteger("irg.chaos.trajectories", 30);
        int kills = Integer.getInteger("irg.chaos.kills", 4);
        int brokerKills = Integer.getInteger("irg.chaos.broker.kills", 1);
        int submitSeconds = Integer.getInteger("irg.chaos.submit.seconds", 20);
        long seed = Long.getLong("irg.chaos.seed", 7L);
        dir = System.getProperty("irg.chaos.dir") == null ? tempDir
                : Files.createDirectories(Path.of(System.getProperty("irg.chaos.dir")));
        Random random = new Random(seed);
        TopicLayout layout = new TopicLayout("irg.", 2, TopicLayout.DEFAULT_RETENTION_MS);
        Topics topics = layout.topics();
        List<String> stepTopics = List.of(topics.prompts().name(), topics.thoughts().name(),
                topics.draftImages().name(), topics.reflections().name(), topics.finalImages().name());
        long t0 = System.nanoTime();
        try (EmbeddedKafkaCluster cluster = EmbeddedKafkaCluster.builder(dir.resolve("kafka")).nodes(3).build().start();
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                     .storeFile(dir.resolve("schemas.json")).build().start();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                     AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            String bootstrap = cluster.bootstrapServers();
            TopicBootstrap.ensureTopics(admin, layout.specs(cluster.replicationFactor()));
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            Map<String, Process> workers = new HashMap<>();
            for (String step : STEPS) {
                workers.put(step, start(step, bootstrap, registry.url()));
            }
            int killed = 0;
            int restarted = 0;
            int crashedAndRestarted = 0;
            List<BrokerKill> brokerKillLog = new ArrayList<>();
            BrokerKill down = null; // the node killed and not yet restarted
            long restartAt = 0;
            Map<String, CollectedTrajectory> done = new HashMap<>();
            boolean timedOut = false;
            long timeoutNanos = TimeUnit.SECONDS.toNanos(120 + submitSeconds + n / 5);
            try (TrajectoryWatcher watcher = new TrajectoryWatcher(bootstrap, client, layout.prefix());
                 TrajectoryClient submit = new TrajectoryClient(bootstrap, client, layout.prefix(), "chaos")) {
                List<PromptSubmitted> events = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    events.add(submit.event(new Submission("chaos prompt " + i, 10_000L + i, 1, null)));
                }
                List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
                ids.forEach(watcher::watch);
                // A steady load: the trajectories are submitted evenly over submitSeconds, so that the kills (spread
                // over the same window) land while trajectories are in every step.
                long startNanos = System.nanoTime();
                long windowNanos = TimeUnit.SECONDS.toNanos(submitSeconds);
                Thread submitter = new Thread(() -> paced(submit, events, startNanos, windowNanos), "chaos-submitter");
                submitter.setDaemon(true);
                submitter.start();
                long[] workerKillAt = new long[kills];
                for (int k = 0; k < kills; k++) {
                    workerKillAt[k] = startNanos + (long) ((k + 0.25 + 0.5 * random.nextDouble()) * windowNanos / kills);
                }
                long[] brokerKillAt = new long[brokerKills];
                for (int j = 0; j < brokerKills; j++) {
                    brokerKillAt[j] = startNanos + (j + 1) * windowNanos / (brokerKills + 1);
                }

                long deadline = startNanos + timeoutNanos;
                while (watcher.doneCount(ids) < n || killed < kills || brokerKillLog.size() < brokerKills) {
                    if (System.nanoTime() > deadline) {
                        timedOut = true;
                        break;
                    }
                    Thread.sleep(300 + random.nextInt(700));
                    long now = System.nanoTime();
                    if (killed < kills && now >= workerKillAt[killed]) {
                        String victim = STEPS.get(random.nextInt(STEPS.size()));
                        workers.get(victim).destroyForcibly().waitFor(20, TimeUnit.SECONDS); // SIGKILL mid-whatever
                        killed++;
                        workers.put(victim, start(victim, bootstrap, registry.url()));
                        restarted++;
                    }
                    // The next broker kill once its time has come, the last killed node is back and every partition
                    // is in full sync again, as in a rolling restart.
                    if (down == null && brokerKillLog.size() < brokerKills && now >= brokerKillAt[brokerKillLog.size()]) {
                        cluster.awaitFullyReplicated(Duration.ofMinutes(2));
                        down = killLeaderOfBusiestPartition(cluster, admin, stepTopics, random, watcher.doneCount(ids));
                        brokerKillLog.add(down);
                        restartAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_000 + random.nextInt(4_000));
                    }
                    if (down != null && System.nanoTime() >= restartAt) {
                        cluster.restart(down.node);
                        down.restarted = true;
                        down.downSeconds = (System.nanoTime() - down.killedAtNanos) / 1e9;
                        down = null;
                    }
                    for (String step : STEPS) {
                        if (!workers.get(step).isAlive()) { // a worker that gave up while a broker was down
                            workers.put(step, start(step, bootstrap, registry.url()));
                            crashedAndRestarted++;
                        }
                    }
                }
                if (down != null) { // still down at the end: bring it back before counting
                    cluster.restart(down.node);
                    down.restarted = true;
                    down.downSeconds = (System.nanoTime() - down.killedAtNanos) / 1e9;
                }
                submitter.join(TimeUnit.SECONDS.toMillis(30));
                for (String id : ids) {
                    done.put(id, watcher.snapshot(id));
                }
            } finally {
                for (Process p : workers.values()) {
                    p.destroy();
                    p.waitFor(30, TimeUnit.SECONDS);
                }
            }
            cluster.awaitFullyReplicated(Duration.ofMinutes(2));
            // What is committed on the topics, read from the beginning (read_committed), from all three nodes.
            Map<String, Integer> thoughts = count(bootstrap, topics.thoughts().name());
            Map<String, Integer> drafts = count(bootstrap, topics.draftImages().name());
            Map<String, Integer> reflections = count(bootstrap, topics.reflections().name());
            Map<String, Integer> finals = count(bootstrap, topics.finalImages().name());
            Map<String, Integer> deadLetters = count(bootstrap, topics.deadLetters().name());
            int lost = 0;
            int duplicated = 0;
            for (String id : done.keySet()) {
                for (Map<String, Integer> m : List.of(thoughts, drafts, reflections, finals)) {
                    int c = m.getOrDefault(id, 0);
                    lost += c == 0 ? 1 : 0;
                    duplicated += c > 1 ? c - 1 : 0;
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            long brokerRestarts = brokerKillLog.stream().filter(k -> k.restarted).count();
            System.out.printf("%nchaos run on a three-broker cluster (seed %d)%n", seed);
            System.out.println("| what | count |");
            System.out.println("|---|---|");
            System.out.printf("| Kafka nodes (broker + controller, each its own JVM) / replication factor / min ISR | %d / %d / %d |%n",
                    cluster.size(), cluster.replicationFactor(), cluster.minInsyncReplicas());
            System.out.printf("| trajectories submitted | %d |%n", n);
            System.out.printf("| workers killed with SIGKILL (and restarted) | %d |%n", killed);
            System.out.printf("| workers that exited on their own and were restarted | %d |%n", crashedAndRestarted);
            System.out.printf("| leader brokers killed with SIGKILL (and restarted) | %d (%d) |%n", brokerKillLog.size(),
                    brokerRestarts);
            System.out.printf("| trajectories completed | %d |%n", done.values().stream().filter(t -> t.lastFinal() != null).count());
            System.out.printf("| committed thoughts / drafts / reflections / finals | %d / %d / %d / %d |%n", sum(thoughts),
                    sum(drafts), sum(reflections), sum(finals));
            System.out.printf("| step outputs lost | %d |%n", lost);
            System.out.printf("| step outputs duplicated | %d |%n", duplicated);
            System.out.printf("| dead letters | %d |%n", sum(deadLetters));
            System.out.printf("| wall time | %.0f s%s |%n%n", secs, timedOut ? " (timed out)" : "");
            for (BrokerKill k : brokerKillLog) {
                System.out.println("broker kill: " + k);
            }
            Set<String> reasons = new TreeSet<>();
            for (String step : STEPS) {
                Path log = dir.resolve(step + "-worker.log");
                if (Files.exists(log)) {
                    for (String line : Files.readAllLines(log)) {
                        int i = line.indexOf(" ERROR ");
                        if (i >= 0) {
                            reasons.add(line.substring(i + 7).replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>")
                                    .replaceAll("\\d+", "N"));
                        }
                    }
                }
            }
            reasons.stream().limit(8).forEach(r -> System.out.println("worker stop reason: " + r));

            assertThat(timedOut).as("all trajectories finished and all kills happened within "
                    + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s (the table above says how far it got)").isFalse();
            assertThat(killed).isEqualTo(kills);
            assertThat(restarted).isEqualTo(killed);
            assertThat(brokerKillLog).as("leader brokers killed").hasSize(brokerKills);
            assertThat(brokerRestarts).as("killed brokers restarted").isEqualTo(brokerKills);
            assertThat(brokerKillLog).as("each broker kill happened while trajectories were in flight")
                    .allSatisfy(k -> assertThat(k.doneBefore).isLessThan(n));
            assertThat(brokerKillLog).as("each killed broker led the partition it was picked for, and another node"
                    + " took over").allSatisfy(k -> assertThat(k.newLeader).isNotIn(k.node, -1));
            assertThat(lost).as("lost step outputs").isZero();
            assertThat(duplicated).as("duplicated step outputs").isZero();
            assertThat(sum(deadLetters)).as("dead letters for valid input").isZero();
            assertThat(finals.keySet()).containsExactlyInAnyOrderElementsOf(done.keySet());
        }
    }

    /** Submits {@code events} evenly over the window: the i-th at {@code start + i * window / n}. */
    private static void paced(TrajectoryClient submit, List<PromptSubmitted> events, long startNanos, long windowNanos) {
        int n = events.size();
        int sent = 0;
        try {
            while (sent < n) {
                long elapsed = System.nanoTime() - startNanos;
                int due = (int) Math.min(n, 1 + elapsed * n / Math.max(1, windowNanos));
                if (due > sent) {
                    submit.submitEvents(events.subList(sent, due));
                    sent = due;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Finds the step-topic partition whose end offset grew most in half a second (a random one if none grew), kills
     * its leader with SIGKILL and
     * waits until another node leads it (the cluster notices the dead node after {@code broker.session.timeout.ms}).
     */
    private static BrokerKill killLeaderOfBusiestPartition(EmbeddedKafkaCluster cluster, Admin admin,
                                                           List<String> stepTopics, Random random, int doneBefore)
            throws Exception {
        Map<String, TopicDescription> described = admin.describeTopics(stepTopics).allTopicNames()
                .get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (TopicDescription d : described.values()) {
            for (TopicPartitionInfo p : d.partitions()) {
                latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
            }
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> before = admin.listOffsets(latest).all()
                .get(30, TimeUnit.SECONDS);
        Thread.sleep(500);
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> after = admin.listOffsets(latest).all()
                .get(30, TimeUnit.SECONDS);
        List<TopicPartition> partitions = new ArrayList<>(latest.keySet());
        partitions.sort(java.util.Comparator.comparing(TopicPartition::toString));
        TopicPartition busiest = partitions.get(random.nextInt(partitions.size())); // if none grew
        long growth = 0;
        for (TopicPartition tp : partitions) {
            long g = after.get(tp).offset() - before.get(tp).offset();
            if (g > growth) {
                growth = g;
                busiest = tp;
            }
        }
        int leader = cluster.leaderOf(busiest.topic(), busiest.partition());
        if (leader < 1) {
            throw new IllegalStateException(busiest + " has no leader before the kill");
        }
        BrokerKill kill = new BrokerKill(leader, busiest, growth, doneBefore);
        cluster.kill(leader);
        kill.killedAtNanos = System.nanoTime();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int next;
        while ((next = cluster.leaderOf(busiest.topic(), busiest.partition())) == leader || next < 1) {
            if (System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(100);
        }
        kill.newLeader = next;
        kill.failoverSeconds = (System.nanoTime() - kill.killedAtNanos) / 1e9;
        return kill;
    }

    /** One broker kill, for the report. */
    private static final class BrokerKill {
        final int node;
        final TopicPartition partition;
        final long growth;
        final int doneBefore;
        long killedAtNanos;
        int newLeader = -1;
        double failoverSeconds;
        boolean restarted;
        double downSeconds;

        BrokerKill(int node, TopicPartition partition, long growth, int doneBefore) {
            this.node = node;
            this.partition = partition;
            this.growth = growth;
            this.doneBefore = doneBefore;
        }

        @Override
        public String toString() {
            return String.format("node %d, leader of %s (%d records in 0.5 s), %d trajectories done before;"
                            + " node %d led it %.1f s after the kill; restarted after %.1f s down", node, partition,
                    growth, doneBefore, newLeader, failoverSeconds, downSeconds);
        }
    }

    private static int sum(Map<String, Integer> m) {
        return m.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static Map<String, Integer> count(String bootstrap, String topic) {
        Map<String, Integer> out = new HashMap<>();
        TopicReader.read(bootstrap, topic, Instant.EPOCH, r -> out.merge(
                new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum));
        return out;
    }

    private Process start(String step, String bootstrap, String registryUrl) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                WorkerProcessMain.class.getName(), bootstrap, registryUrl, "irg.", step, step + "-chaos",
                dir.resolve("blobs").toString(), "40", "4"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(step + "-worker.log").toFile()));
        return pb.start();
    }
}
