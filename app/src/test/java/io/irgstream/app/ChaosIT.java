package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.WorkerProcessMain;
import io.irgstream.embedded.EmbeddedKafkaBroker;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ImageRef;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.app.client.TopicReader;
import io.irgstream.schemas.EmbeddedSchemaRegistry;
import io.irgstream.schemas.HttpSchemaRegistryClient;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.images.BlobStore;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.testing.S3Server;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Chaos: every step in its own JVM, workers killed with SIGKILL at random moments and restarted, the broker stopped
 * and restarted once; at the end every trajectory has exactly one committed event per step, none lost, none
 * duplicated, no dead letters. Scaled down here ({@code -Dirg.chaos.trajectories}, default 40; the full run,
 * scripts/chaos.sh, uses 200 and records its table in docs/reliability.md).
 *
 * <p>The S3 variant runs the same with every image in a real S3 server (s3proxy in this JVM; the workers reach it over
 * HTTP with credentials from the AWS SDK's default chain) and adds an S3 outage of 1.5 s mid-run (started once the first trajectory is done, before any kill of that poll): the steps that could
 * not store or read an image wait on their retry tiers, and still nothing is lost, duplicated or dead-lettered.
 */
class ChaosIT {
    private static final List<String> STEPS = List.of("think", "draw", "reflect", "refine");

    @TempDir
    Path dir;

    private S3Server s3;

    @Test
    void shouldLoseAndDuplicateNothingUnderWorkerKillsAndABrokerRestart() throws Exception {
        chaos(null);
    }

    @Test
    void s3VariantShouldLoseNothingUnderKillsABrokerRestartAndAnS3Outage() throws Exception {
        try (S3Server s3 = S3Server.start("irg-chaos")) {
            chaos(s3);
        }
    }

    private void chaos(S3Server s3) throws Exception {
        this.s3 = s3;
        int n = Integer.getInteger("irg.chaos.trajectories", 40);
        int kills = Integer.getInteger("irg.chaos.kills", 6);
        long seed = Long.getLong("irg.chaos.seed", 7L);
        Random random = new Random(seed);
        TopicLayout layout = new TopicLayout("irg.", 2, TopicLayout.DEFAULT_RETENTION_MS);
        long t0 = System.nanoTime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.builder(dir.resolve("kafka")).build().start();
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.builder().port(0)
                     .storeFile(dir.resolve("schemas.json")).build().start()) {
            String bootstrap = broker.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                TopicBootstrap.ensureTopics(admin, layout.specs(1));
            }
            SchemaRegistryClient client = new HttpSchemaRegistryClient(registry.url());
            Map<String, Process> workers = new HashMap<>();
            for (String step : STEPS) {
                workers.put(step, start(step, bootstrap, registry.url()));
            }
            int killed = 0;
            int restarted = 0;
            int crashedAndRestarted = 0;
            boolean brokerRestarted = false;
            int doneAtBrokerRestart = -1;
            int doneAtS3Outage = -1;
            Map<String, CollectedTrajectory> done;
            try (TrajectoryWatcher watcher = new TrajectoryWatcher(bootstrap, client, layout.prefix());
                 TrajectoryClient submit = new TrajectoryClient(bootstrap, client, layout.prefix(), "chaos")) {
                List<PromptSubmitted> events = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    events.add(submit.event(new Submission("chaos prompt " + i, 10_000L + i, 1, null)));
                }
                List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
                ids.forEach(watcher::watch);
                submit.submitEvents(events);

                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (watcher.doneCount(ids) < n) {
                    if (System.nanoTime() > deadline) {
                        throw new TimeoutException(watcher.doneCount(ids) + " of " + n + " trajectories finished in 5 minutes");
                    }
                    Thread.sleep(300 + random.nextInt(700));
                    // the S3 outage first, before a kill or the broker restart can let a fast run finish everything
                    if (s3 != null && doneAtS3Outage < 0 && watcher.doneCount(ids) >= 1) {
                        doneAtS3Outage = watcher.doneCount(ids); // images are being written and read right now
                        s3.outage(Duration.ofMillis(1500));
                    }
                    if (killed < kills) {
                        String victim = STEPS.get(random.nextInt(STEPS.size()));
                        workers.get(victim).destroyForcibly().waitFor(20, TimeUnit.SECONDS); // SIGKILL mid-whatever
                        killed++;
                        workers.put(victim, start(victim, bootstrap, registry.url()));
                        restarted++;
                    } else if (!brokerRestarted) {
                        doneAtBrokerRestart = watcher.doneCount(ids);
                        broker.stop();
                        Thread.sleep(1500);
                        broker.start();
                        brokerRestarted = true;
                    }
                    for (String step : STEPS) {
                        if (!workers.get(step).isAlive()) { // a worker that gave up during the broker outage
                            workers.put(step, start(step, bootstrap, registry.url()));
                            crashedAndRestarted++;
                        }
                    }
                }
                done = watcher.awaitAll(ids, Duration.ofSeconds(30), null);
            } finally {
                for (Process p : workers.values()) {
                    p.destroy();
                    p.waitFor(30, TimeUnit.SECONDS);
                }
            }
            // What is committed on the topics, read from the beginning (read_committed).
            Map<String, Integer> thoughts = count(bootstrap, layout.prefix() + "thoughts");
            Map<String, Integer> drafts = count(bootstrap, layout.prefix() + "draft-images");
            Map<String, Integer> reflections = count(bootstrap, layout.prefix() + "reflections");
            Map<String, Integer> finals = count(bootstrap, layout.prefix() + "final-images");
            Map<String, Integer> deadLetters = count(bootstrap, layout.prefix() + "dead-letters");
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
            System.out.printf("%nchaos run (seed %d%s)%n", seed, s3 == null ? "" : ", images in S3");
            System.out.println("| what | count |");
            System.out.println("|---|---|");
            System.out.printf("| trajectories submitted | %d |%n", n);
            System.out.printf("| workers killed with SIGKILL (and restarted) | %d |%n", killed);
            System.out.printf("| workers that exited on their own and were restarted | %d |%n", crashedAndRestarted);
            System.out.printf("| broker restarts (trajectories finished before it) | %d (%d) |%n", brokerRestarted ? 1 : 0,
                    doneAtBrokerRestart);
            if (s3 != null) {
                System.out.printf("| S3 outages of 1.5 s (trajectories finished before it) | 1 (%d) |%n", doneAtS3Outage);
            }
            System.out.printf("| trajectories completed | %d |%n", done.values().stream().filter(t -> t.lastFinal() != null).count());
            System.out.printf("| committed thoughts / drafts / reflections / finals | %d / %d / %d / %d |%n", sum(thoughts),
                    sum(drafts), sum(reflections), sum(finals));
            System.out.printf("| step outputs lost | %d |%n", lost);
            System.out.printf("| step outputs duplicated | %d |%n", duplicated);
            System.out.printf("| dead letters | %d |%n", sum(deadLetters));
            System.out.printf("| wall time | %.0f s |%n%n", secs);
            // Why workers stopped on their own (each logs one ERROR line as it stops), for the notes.
            java.util.Set<String> reasons = new java.util.TreeSet<>();
            for (String step : STEPS) {
                Path log = dir.resolve(step + "-worker.log");
                if (java.nio.file.Files.exists(log)) {
                    for (String line : java.nio.file.Files.readAllLines(log)) {
                        int i = line.indexOf(" ERROR ");
                        if (i >= 0) {
                            reasons.add(line.substring(i + 7).replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>")
                                    .replaceAll("\\d+", "N"));
                        }
                    }
                }
            }
            reasons.stream().limit(8).forEach(r -> System.out.println("worker stop reason: " + r));


            assertThat(killed).isGreaterThanOrEqualTo(Math.min(kills, 5));
            assertThat(brokerRestarted).isTrue();
            assertThat(doneAtBrokerRestart).as("the broker restarted while trajectories were in flight").isLessThan(n);
            assertThat(lost).as("lost step outputs").isZero();
            assertThat(duplicated).as("duplicated step outputs").isZero();
            assertThat(sum(deadLetters)).as("dead letters for valid input").isZero();
            assertThat(finals.keySet()).containsExactlyInAnyOrderElementsOf(done.keySet());
            assertThat(restarted).isEqualTo(killed);
            if (s3 != null) {
                assertThat(doneAtS3Outage).as("S3 went down while trajectories were in flight").isBetween(0, n - 1);
                try (BlobStore blobs = new BlobStoreConfig(s3.settings("irg-chaos/run")).open(dir, S3Server.credentials())) {
                    ImageStore images = new ImageStore(blobs, 0);
                    for (CollectedTrajectory t : done.values()) {
                        ImageRef image = t.lastFinal().getImage();
                        assertThat(image.getUri()).startsWith("s3://irg-chaos/run/");
                        images.bytes(image); // there, and verified against its sha256
                    }
                }
            }
        }
    }

    private static int sum(Map<String, Integer> m) {
        return m.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static Map<String, Integer> count(String bootstrap, String topic) {
        Map<String, Integer> out = new HashMap<>();
        TopicReader.read(bootstrap, topic, Instant.EPOCH, r -> out.merge(
                new String(r.key(), java.nio.charset.StandardCharsets.UTF_8), 1, Integer::sum));
        return out;
    }

    private Process start(String step, String bootstrap, String registryUrl) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path")));
        if (s3 != null) { // the SDK's default chain reads these first
            cmd.addAll(List.of("-Daws.accessKeyId=" + S3Server.ACCESS_KEY, "-Daws.secretAccessKey=" + S3Server.SECRET_KEY));
        }
        cmd.addAll(List.of(WorkerProcessMain.class.getName(), bootstrap, registryUrl, "irg.", step, step + "-chaos",
                s3 != null ? "s3://irg-chaos/run" : dir.resolve("blobs").toString(), "40", "4"));
        if (s3 != null) {
            cmd.add(s3.endpoint());
        }
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(step + "-worker.log").toFile()));
        return pb.start();
    }
}
