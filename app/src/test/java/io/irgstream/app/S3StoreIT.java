package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.schemas.testing.S3Server;
import io.irgstream.worker.WorkerConfig;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The embedded stack (as {@code ./irg dev --set blob.store.uri=s3://...} runs it) with every image in a real S3
 * server (s3proxy in this JVM), credentials from the AWS SDK's default chain (here its system properties): the
 * trajectories complete, their images are s3:// objects that the workers and the HTTP API read back verified; and a
 * store that cannot be used (unreachable endpoint, missing bucket, denied credentials) makes the step retry through its
 * tiers and then dead-letter with one message naming the setting, nothing lost.
 */
class S3StoreIT {
    private static S3Server s3;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        s3 = S3Server.start("irg-images");
        System.setProperty("aws.accessKeyId", S3Server.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        s3.close();
    }

    private static EmbeddedStack.Builder stack(Path dir, TopicLayout layout, Map<String, Object> settings) {
        EmbeddedStack.Builder b = PipelineHarness.stackOnFixture(dir, layout)
                .models(step -> new DeterministicTestModel(step, 0))
                .imageInlineMaxBytes(0) // every image through the blob store
                .workerSetting(WorkerConfig.RETRY_BACKOFF_MS, "200,200");
        settings.forEach(b::workerSetting); // what ./irg dev does with each --set
        return b;
    }

    @Test
    void trajectoriesRunEndToEndWithTheirImagesInS3() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("s3", 2);
        HttpClient http = HttpClient.newHttpClient();
        try (EmbeddedStack stack = stack(dir, layout, s3.settings("irg-images/dev")).topology(0).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            List<PromptSubmitted> events = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                events.add(client.event(new Submission("a photo of s3 shape " + i, 300L + i, 1, null)));
            }
            List<String> ids = events.stream().map(e -> e.getContext().getTrajectoryId()).toList();
            ids.forEach(watcher::watch);
            client.submitEvents(events);
            Map<String, CollectedTrajectory> done = watcher.awaitAll(ids, Duration.ofSeconds(90), null);

            ImageStore images = stack.imageStore();
            String api = stack.topology().url();
            for (String id : ids) {
                CollectedTrajectory t = done.get(id);
                assertThat(t.deadLetters()).as("dead letters of %s", id).isEmpty();
                assertThat(t.lastFinal()).as("final of %s", id).isNotNull();
                for (var ref : List.of(t.draft().getImage(), t.lastFinal().getImage())) {
                    assertThat(ref.getInline()).isNull();
                    assertThat(ref.getUri()).startsWith("s3://irg-images/dev/" + ref.getSha256().substring(0, 2) + "/");
                    assertThat(ImageStore.sha256(images.bytes(ref))).isEqualTo(ref.getSha256());
                    String key = URI.create(ref.getUri()).getPath().substring(1);
                    assertThat(s3.store().blobMetadata("irg-images", key).contentType()).isEqualTo("image/png");
                }
            }
            // nothing went to the local blob directory
            assertThat(Files.exists(stack.blobStorePath()) ? Files.list(stack.blobStorePath()).count() : 0L).isZero();
            // the HTTP API serves an image from S3 by its hash
            String sha = done.get(ids.get(0)).draft().getImage().getSha256();
            await().atMost(Duration.ofSeconds(60)).until(() -> http.send(HttpRequest.newBuilder(
                    URI.create(api + "/api/images/" + sha)).build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode() == 200);
            byte[] served = http.send(HttpRequest.newBuilder(URI.create(api + "/api/images/" + sha)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body();
            assertThat(ImageStore.sha256(served)).isEqualTo(sha);

            // ./irg replay reads the images from the same store (--blob-store), each verified: "ok", none TAMPERED
            InProcessCli.Result replay = InProcessCli.run("replay", ids.get(0), "--bootstrap-servers",
                    stack.bootstrapServers(), "--schema-registry", stack.registryUrl(), "--topic-prefix", layout.prefix(),
                    "--data-dir", dir.resolve("client").toString(), "--blob-store", "blob.store.uri=s3://irg-images/dev",
                    "--blob-store", "blob.store.s3.endpoint=" + s3.endpoint(), "--blob-store", "blob.store.s3.path.style=true");
            assertThat(replay.exitCode()).as(replay.out() + replay.err()).isZero();
            assertThat(replay.out().lines().filter(l -> l.startsWith("draw\t") || l.startsWith("refine\t")))
                    .hasSize(2).allMatch(l -> l.contains("\tok\t"));
            // without it, replay looks in the local filesystem store and says which image it could not read
            InProcessCli.Result local = InProcessCli.run("replay", ids.get(0), "--bootstrap-servers",
                    stack.bootstrapServers(), "--schema-registry", stack.registryUrl(), "--topic-prefix", layout.prefix(),
                    "--data-dir", dir.resolve("client").toString());
            assertThat(local.out()).contains("cannot read image", "s3://irg-images/dev/");
        }
    }

    @Test
    void anUnusableStoreIsRetriedThenDeadLetteredWithTheSettingNamed() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Map<String, Object> unreachable = s3.settings("irg-images/x");
        unreachable.put(BlobStoreConfig.S3_ENDPOINT, "http://127.0.0.1:" + closedPort);
        Map<String, Object> noBucket = s3.settings("no-such-bucket/x");
        expectDeadLetter(unreachable, "the S3 endpoint http://127.0.0.1:" + closedPort + " is unreachable (check "
                + "blob.store.s3.endpoint=http://127.0.0.1:" + closedPort + ")");
        expectDeadLetter(noBucket, "bucket 'no-such-bucket' does not exist at " + s3.endpoint()
                + " (check blob.store.uri=s3://no-such-bucket/x");
        System.setProperty("aws.secretAccessKey", "wrong-secret");
        try {
            expectDeadLetter(s3.settings("irg-images/x"), "access denied by " + s3.endpoint());
        } finally {
            System.setProperty("aws.secretAccessKey", S3Server.SECRET_KEY);
        }
    }

    private void expectDeadLetter(Map<String, Object> settings, String message) throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("s3bad", 1);
        Path data = Files.createTempDirectory(dir, "stack");
        try (EmbeddedStack stack = stack(data, layout, settings).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), layout.prefix());
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), "test")) {
            PromptSubmitted e = client.event(new Submission("a photo of a lost shape", 42L, 1, null));
            String id = e.getContext().getTrajectoryId();
            watcher.watch(id);
            client.submitEvents(List.of(e));
            CollectedTrajectory t = watcher.awaitAll(List.of(id), Duration.ofSeconds(60), null).get(id);
            assertThat(t.thought()).as("think needs no image").isNotNull();
            assertThat(t.deadLetters()).hasSize(1);
            DeadLetter dl = t.deadLetters().get(0);
            assertThat(dl.getStep()).isEqualTo("draw"); // its image could not be stored
            assertThat(dl.getAttempts()).as("first try and two retries").isEqualTo(3);
            assertThat(dl.getErrorMessage()).contains(message);
            // the record is kept: its input is in the dead letter, ready for ./irg retry-dead-letters
            assertThat(dl.getValue()).isNotNull();
        }
    }
}
