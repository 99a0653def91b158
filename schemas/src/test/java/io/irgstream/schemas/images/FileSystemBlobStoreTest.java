package io.irgstream.schemas.images;

import io.irgstream.events.ImageRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The filesystem blob store reads only under its root, whatever URI an event carries. */
class FileSystemBlobStoreTest {
    @TempDir
    Path dir;

    private static ImageRef ref(byte[] bytes, URI uri) {
        return ImageRef.newBuilder().setSha256(ImageStore.sha256(bytes)).setMediaType("image/png").setWidth(8)
                .setHeight(8).setSizeBytes(bytes.length).setInline(null).setUri(uri.toString()).build();
    }

    @Test
    void shouldReadBackWhatItStoredWhenTheUriIsUnderItsRoot() throws Exception {
        BlobStore store = new FileSystemBlobStore(dir.resolve("blobs"));
        byte[] png = "not really a png, but bytes".getBytes();
        ImageStore images = new ImageStore(store, 0);

        ImageRef ref = images.put(png, "image/png", 8, 8);

        assertThat(images.bytes(ref)).isEqualTo(png);
        assertThat(store.handles(URI.create(ref.getUri()))).isTrue();
    }

    @Test
    void shouldRefuseAFileOutsideItsRootWhenAnEventNamesItWithItsRealHash() throws Exception {
        BlobStore store = new FileSystemBlobStore(dir.resolve("blobs"));
        Files.createDirectories(dir.resolve("blobs"));
        Path secret = Files.writeString(dir.resolve("secret.html"), "<script>alert(1)</script>");
        byte[] bytes = Files.readAllBytes(secret);

        assertThat(store.handles(secret.toUri())).isFalse();
        assertThatThrownBy(() -> new ImageStore(store, 0).bytes(ref(bytes, secret.toUri())))
                .isExactlyInstanceOf(ImageIntegrityException.class).hasMessageContaining("outside the blob store");
        assertThatThrownBy(() -> store.get(secret.toUri())).isInstanceOf(IOException.class)
                .hasMessageContaining("is not in the filesystem store");
    }

    @Test
    void shouldRefuseDotDotAndTheRootItselfWhenTheUriClimbsOut() throws Exception {
        Path root = Files.createDirectories(dir.resolve("blobs"));
        BlobStore store = new FileSystemBlobStore(root);
        Files.writeString(dir.resolve("secret.txt"), "secret");

        assertThat(store.handles(URI.create(root.toUri() + "ab/../../secret.txt"))).isFalse();
        assertThat(store.handles(URI.create(root.toUri() + "%2e%2e/secret.txt"))).isFalse();
        assertThat(store.handles(root.toUri())).isFalse();
        assertThat(store.handles(URI.create("file://otherhost" + root.toUri().getPath() + "ab/x.png"))).isFalse();
        assertThat(store.handles(URI.create("http://example.com/ab/x.png"))).isFalse();
        assertThat(store.handles(URI.create(dir.resolve("blobs-sibling/ab/x.png").toUri().toString()))).isFalse();
    }

    @Test
    void shouldRefuseASymbolicLinkUnderTheRootWhenItLeadsOutside() throws Exception {
        Path root = Files.createDirectories(dir.resolve("blobs"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "secret");
        Path link;
        try {
            link = Files.createSymbolicLink(Files.createDirectories(root.resolve("ab")).resolve("x.png"), secret);
        } catch (UnsupportedOperationException | IOException e) {
            return; // no symbolic links on this filesystem: nothing to escape through
        }
        BlobStore store = new FileSystemBlobStore(root);

        assertThatThrownBy(() -> store.get(link.toUri())).isInstanceOf(IOException.class)
                .hasMessageContaining("symbolic link");
        assertThatThrownBy(() -> new ImageStore(store, 0).bytes(ref(Files.readAllBytes(secret), link.toUri())))
                .isInstanceOf(ImageIntegrityException.class);
    }

    @Test
    void shouldStillReadOldFileUrisUnderBlobStorePathWhenTheStoreMovedToS3() throws Exception {
        Path root = dir.resolve("blobs");
        byte[] png = "old image".getBytes();
        URI old = new FileSystemBlobStore(root).put(ImageStore.sha256(png), "image/png", png);
        Path outside = Files.writeString(dir.resolve("outside.png"), "outside");
        java.util.Map<String, Object> settings = java.util.Map.of(BlobStoreConfig.URI, "s3://images/x",
                BlobStoreConfig.S3_ENDPOINT, "http://127.0.0.1:9", BlobStoreConfig.S3_REGION, "us-east-1");

        try (BlobStore s3 = new BlobStoreConfig(settings).open(root)) {
            assertThat(s3.get(old)).isEqualTo(png);
            assertThat(s3.handles(outside.toUri())).isFalse();
            assertThatThrownBy(() -> s3.get(outside.toUri())).isInstanceOf(IOException.class)
                    .hasMessageContaining("neither in the blob store");
        }
    }
}
