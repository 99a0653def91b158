package io.irgstream.schemas.images;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The blob store settings shared by the workers and the topology, declared once: {@value #URI} picks the store
 * (empty or {@code file:}: the filesystem store at {@code blob.store.path}; {@code s3://bucket/prefix}: an
 * S3-compatible object store), the {@code blob.store.s3.*} settings reach it.
 *
 * <p>{@link #open} gives a store that writes to the chosen store and still reads the {@code file:} URIs of images
 * written before a move to S3 (from {@code blob.store.path}).
 */
public final class BlobStoreConfig extends AbstractConfig {
    public static final String URI = "blob.store.uri";
    public static final String S3_ENDPOINT = "blob.store.s3.endpoint";
    public static final String S3_PATH_STYLE = "blob.store.s3.path.style";
    public static final String S3_REGION = "blob.store.s3.region";

    private static final ConfigDef DEF = define(new ConfigDef());

    public BlobStoreConfig(Map<?, ?> props) {
        super(DEF, props, false);
    }

    /** Adds the blob store settings to {@code def} (which keeps its own {@code blob.store.path}); returns it. */
    public static ConfigDef define(ConfigDef def) {
        return def
                .define(URI, Type.STRING, "", (name, value) -> {
                            String v = value == null ? "" : value.toString().trim();
                            if (!v.isEmpty()) {
                                parse(v);
                            }
                        }, Importance.MEDIUM,
                        "Where images too large to travel inline are stored: empty (or a file: URI) for the "
                                + "filesystem store at blob.store.path, or s3://bucket[/prefix] for an S3-compatible "
                                + "object store (AWS S3, MinIO, Ceph, R2). Credentials come from the AWS SDK's default "
                                + "chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, web identity, "
                                + "instance or container role).")
                .define(S3_ENDPOINT, Type.STRING, "", Importance.MEDIUM,
                        "S3 API endpoint, e.g. http://minio:9000 or https://<account>.r2.cloudflarestorage.com; "
                                + "empty: AWS S3 in blob.store.s3.region.")
                .define(S3_PATH_STYLE, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Address the bucket in the URL path (http://host/bucket/key) instead of the host name; "
                                + "MinIO and Ceph usually need true.")
                .define(S3_REGION, Type.STRING, "", Importance.LOW,
                        "Signing region of the S3 store; empty: AWS_REGION or the profile's region, else us-east-1 "
                                + "(MinIO, Ceph and R2 accept any).");
    }

    /** The definitions, e.g. for generated docs. */
    public static ConfigDef configDef() {
        return DEF;
    }

    /** {@value #URI} as given (trimmed); empty for the filesystem store. */
    public String uri() {
        return getString(URI).trim();
    }

    /** Whether the blobs live in an S3-compatible store. */
    public boolean isS3() {
        return uri().regionMatches(true, 0, "s3://", 0, 5);
    }

    /** The store these settings name; {@code fsPath} is {@code blob.store.path}. Close it when done. */
    public BlobStore open(Path fsPath) {
        return open(fsPath, null);
    }

    /** As {@link #open(Path)}, with explicit credentials (null: the SDK's default chain). */
    public BlobStore open(Path fsPath, AwsCredentialsProvider credentials) {
        String u = uri();
        if (u.isEmpty()) {
            return new FileSystemBlobStore(fsPath);
        }
        java.net.URI parsed = parse(u);
        if ("file".equalsIgnoreCase(parsed.getScheme())) {
            return new FileSystemBlobStore(Path.of(parsed));
        }
        S3BlobStore s3 = new S3BlobStore(parsed, getString(S3_ENDPOINT), getBoolean(S3_PATH_STYLE),
                getString(S3_REGION), credentials);
        return new WithFileReads(s3, new FileSystemBlobStore(fsPath));
    }

    private static java.net.URI parse(String v) {
        java.net.URI u;
        try {
            u = new java.net.URI(v);
        } catch (URISyntaxException e) {
            throw new ConfigException(URI, v, "not a URI: " + e.getMessage());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (scheme.equals("s3")) {
            if (u.getHost() == null || u.getHost().isBlank()) {
                throw new ConfigException(URI, v, "an S3 location is s3://bucket[/prefix] (a bucket name is "
                        + "lower-case letters, digits, dots and hyphens)");
            }
            return u;
        }
        if (scheme.equals("file")) {
            return u;
        }
        throw new ConfigException(URI, v, "must be empty, file:/path or s3://bucket[/prefix]");
    }

    /** Writes to {@code primary}; reads {@code file:} URIs (images stored before a move to S3) from {@code files}. */
    private record WithFileReads(BlobStore primary, BlobStore files) implements BlobStore {
        @Override
        public java.net.URI put(String sha256, String mediaType, byte[] bytes) throws IOException {
            return primary.put(sha256, mediaType, bytes);
        }

        @Override
        public byte[] get(java.net.URI uri) throws IOException {
            if (primary.handles(uri)) {
                return primary.get(uri);
            }
            if (files.handles(uri)) {
                return files.get(uri);
            }
            throw new IOException("blob " + uri + " is neither in the blob store " + primary
                    + " nor in the filesystem store at " + files);
        }

        @Override
        public boolean handles(java.net.URI uri) {
            return primary.handles(uri) || files.handles(uri);
        }

        @Override
        public boolean readsScheme(String scheme) {
            return primary.readsScheme(scheme) || files.readsScheme(scheme);
        }

        @Override
        public void close() {
            primary.close();
        }

        @Override
        public String toString() {
            return primary.toString();
        }
    }
}
