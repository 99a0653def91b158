package io.irgstream.schemas.images;

import io.irgstream.events.ImageRef;
import io.irgstream.schemas.testing.S3Server;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The S3 blob store against a real S3 protocol server (s3proxy) in this JVM. */
class S3BlobStoreTest {
    private static S3Server server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = S3Server.start("images");
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static BlobStore open(Map<String, Object> settings, Path fsPath) {
        return new BlobStoreConfig(settings).open(fsPath, S3Server.credentials());
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void storesUnderTheContentAddressAndReadsBackVerified() throws Exception {
        try (BlobStore s3 = open(server.settings("images/run-1"), dir)) {
            ImageStore images = new ImageStore(s3, 100);
            byte[] png = bytes(5000, 1);
            ImageRef ref = images.put(png, "image/png", 64, 64);
            String sha = ImageStore.sha256(png);
            assertThat(ref.getInline()).isNull();
            assertThat(ref.getUri()).isEqualTo("s3://images/run-1/" + sha.substring(0, 2) + "/" + sha + ".png");
            assertThat(images.bytes(ref)).isEqualTo(png);
            // the object is where the URI says, with the image's content type
            assertThat(server.store().blobMetadata("images", "run-1/" + sha.substring(0, 2) + "/" + sha + ".png")
                    .contentType()).isEqualTo("image/png");

            // idempotent: the same content again is the same object, not a second one
            assertThat(s3.put(sha, "image/png", png)).isEqualTo(URI.create(ref.getUri()));
            assertThat(server.store().list("images").contents()).filteredOn(o -> o.key().contains(sha)).hasSize(1);
            // small images still travel inline
            assertThat(images.put(bytes(50, 2), "image/png", 8, 8).getInline()).isNotNull();
        }
    }

    @Test
    void anObjectWhoseBytesDoNotMatchItsHashFailsWithTheObjectNamed() throws Exception {
        try (BlobStore s3 = open(server.settings("images/tamper"), dir)) {
            byte[] png = bytes(3000, 3);
            String sha = ImageStore.sha256(png);
            // other bytes under this content address (an edited or half-copied object)
            URI uri = s3.put(sha, "image/png", bytes(3000, 4));
            ImageRef ref = ImageRef.newBuilder().setSha256(sha).setMediaType("image/png").setWidth(64).setHeight(64)
                    .setSizeBytes(png.length).setInline(null).setUri(uri.toString()).build();
            assertThatThrownBy(() -> new ImageStore(s3, 0).bytes(ref))
                    .isInstanceOf(ImageIntegrityException.class)
                    .hasMessageContaining("integrity check failed")
                    .hasMessageContaining(sha)
                    .hasMessageContaining(uri.toString());
        }
    }

    @Test
    void aMissingBucketNamesTheBucketAndTheSetting() {
        try (BlobStore s3 = open(server.settings("no-such-bucket/x"), dir)) {
            assertThatThrownBy(() -> s3.put(ImageStore.sha256(bytes(10, 5)), "image/png", bytes(10, 5)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("bucket 'no-such-bucket' does not exist at " + server.endpoint())
                    .hasMessageContaining("blob.store.uri=s3://no-such-bucket/x");
            assertThatThrownBy(() -> s3.get(URI.create("s3://no-such-bucket/x/ab/abc.png")))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot read s3://no-such-bucket/x/ab/abc.png: bucket 'no-such-bucket' does not exist");
        }
    }

    @Test
    void deniedCredentialsSayWhereTheCredentialsComeFrom() {
        StaticCredentialsProvider wrong = StaticCredentialsProvider.create(
                AwsBasicCredentials.create(S3Server.ACCESS_KEY, "not-the-secret"));
        try (BlobStore s3 = new BlobStoreConfig(server.settings("images/denied")).open(dir, wrong)) {
            byte[] b = bytes(10, 6);
            assertThatThrownBy(() -> s3.put(ImageStore.sha256(b), "image/png", b))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("access denied by " + server.endpoint())
                    .hasMessageContaining("AWS_ACCESS_KEY_ID")
                    .hasMessageContaining("s3://images/denied");
        }
    }

    @Test
    void anUnreachableEndpointNamesTheSetting() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Map<String, Object> settings = server.settings("images/x");
        settings.put(BlobStoreConfig.S3_ENDPOINT, "http://127.0.0.1:" + closedPort);
        try (BlobStore s3 = open(settings, dir)) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> s3.get(URI.create("s3://images/x/ab/abc.png")))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("the S3 endpoint http://127.0.0.1:" + closedPort + " is unreachable")
                    .hasMessageContaining("blob.store.s3.endpoint=http://127.0.0.1:" + closedPort);
            // through the image store: a retriable read failure, not an integrity failure
            ImageRef ref = ImageRef.newBuilder().setSha256("ab".repeat(32)).setMediaType("image/png").setWidth(1)
                    .setHeight(1).setSizeBytes(1).setInline(null).setUri("s3://images/x/ab/abc.png").build();
            assertThatThrownBy(() -> new ImageStore(s3, 0).bytes(ref))
                    .isInstanceOf(ImageIntegrityException.class)
                    .hasMessageContaining("cannot read image")
                    .hasMessageNotContaining("integrity check failed");
            assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(20_000); // the SDK's few quick retries only
        }
    }

    @Test
    void readsFileUrisWrittenBeforeAMoveToS3() throws Exception {
        byte[] old = bytes(2000, 7);
        URI fileUri;
        try (BlobStore fs = new FileSystemBlobStore(dir)) {
            fileUri = fs.put(ImageStore.sha256(old), "image/png", old);
        }
        try (BlobStore s3 = open(server.settings("images"), dir)) {
            assertThat(s3.get(fileUri)).isEqualTo(old);
            assertThat(s3.put(ImageStore.sha256(old), "image/png", old).getScheme()).isEqualTo("s3");
        }
    }

    @Test
    void shouldReadOnlyObjectsUnderItsBucketAndPrefixWhenAnEventNamesAnotherObject() throws Exception {
        byte[] secret = bytes(3000, 9);
        String sha = ImageStore.sha256(secret);
        try (BlobStore other = open(server.settings("images/other"), dir);
             BlobStore s3 = open(server.settings("images/run-2"), dir)) {
            URI outside = other.put(sha, "image/png", secret);
            ImageRef ref = ImageRef.newBuilder().setSha256(sha).setMediaType("image/png").setWidth(8).setHeight(8)
                    .setSizeBytes(secret.length).setInline(null).setUri(outside.toString()).build();

            assertThat(s3.handles(outside)).isFalse();
            assertThat(s3.handles(URI.create("s3://images/run-2/../other/" + sha.substring(0, 2) + "/" + sha + ".png")))
                    .isFalse();
            assertThat(s3.handles(URI.create("s3://images/run-2/%2e%2e/other/x.png"))).isFalse();
            assertThat(s3.handles(URI.create("s3://images/run-2"))).isFalse();
            assertThat(s3.handles(URI.create("s3://elsewhere/run-2/ab/x.png"))).isFalse();
            assertThat(s3.handles(URI.create("s3://images/run-2/ab/x.png"))).isTrue();
            assertThatThrownBy(() -> new ImageStore(s3, 0).bytes(ref))
                    .isExactlyInstanceOf(ImageIntegrityException.class).hasMessageContaining("outside the blob store");
            assertThatThrownBy(() -> s3.get(outside)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void settingsAreCheckedAtStart() {
        Map<String, Object> p = new HashMap<>();
        p.put(BlobStoreConfig.URI, "gs://bucket");
        assertThatThrownBy(() -> new BlobStoreConfig(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("blob.store.uri").hasMessageContaining("s3://bucket[/prefix]");
        p.put(BlobStoreConfig.URI, "s3:///no-bucket");
        assertThatThrownBy(() -> new BlobStoreConfig(p)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("blob.store.uri");
        p.put(BlobStoreConfig.URI, "");
        assertThat(new BlobStoreConfig(p).open(dir)).isInstanceOf(FileSystemBlobStore.class);
        p.put(BlobStoreConfig.URI, dir.toUri().toString());
        assertThat(new BlobStoreConfig(p).open(Path.of("elsewhere"))).isInstanceOf(FileSystemBlobStore.class);
    }
}
