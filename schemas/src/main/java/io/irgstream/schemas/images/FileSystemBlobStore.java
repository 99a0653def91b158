package io.irgstream.schemas.images;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Blob store on a local or shared filesystem: {@code <root>/<sha[0..2]>/<sha>.<ext>}. Writes go to a temporary file
 * first and are moved into place atomically, so a reader never sees a half-written blob.
 *
 * <p>Reads are confined to the root: a {@code file:} URI that names a path outside it (directly, through
 * {@code ..}, or through a symbolic link) is not this store's, so an event cannot make a reader open any other
 * local file.
 */
public final class FileSystemBlobStore implements BlobStore {
    private final Path root;

    public FileSystemBlobStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public URI put(String sha256, String mediaType, byte[] bytes) throws IOException {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a lower-case hex sha256: " + sha256);
        }
        Path dir = root.resolve(sha256.substring(0, 2));
        Path target = dir.resolve(sha256 + extension(mediaType));
        if (Files.exists(target)) {
            return target.toUri();
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, sha256, ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileAlreadyExistsException e) {
                // another writer stored the same content first
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target.toUri();
    }

    @Override
    public byte[] get(URI uri) throws IOException {
        Path path = resolve(uri);
        if (path == null) {
            throw new IOException("blob " + uri + " is not in the filesystem store at " + root);
        }
        Path real = path.toRealPath();
        Path realRoot = root.toRealPath();
        if (!real.startsWith(realRoot) || real.equals(realRoot)) {
            throw new IOException("blob " + uri + " leads out of the filesystem store at " + root
                    + " through a symbolic link");
        }
        return Files.readAllBytes(real);
    }

    /** Whether {@code uri} is a {@code file:} URI of a path under the root (symbolic links are checked on read). */
    @Override
    public boolean readsScheme(String scheme) {
        return "file".equalsIgnoreCase(scheme);
    }

    @Override
    public boolean handles(URI uri) {
        return resolve(uri) != null;
    }

    private Path resolve(URI uri) {
        if (!"file".equalsIgnoreCase(uri.getScheme()) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return null;
        }
        Path path;
        try {
            path = Path.of(uri).toAbsolutePath().normalize();
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null;
        }
        return path.startsWith(root) && !path.equals(root) ? path : null;
    }

    @Override
    public String toString() {
        return root.toString();
    }

    private static String extension(String mediaType) {
        return switch (mediaType == null ? "" : mediaType) {
            case "image/png" -> ".png";
            case "image/jpeg" -> ".jpg";
            default -> ".bin";
        };
    }
}
