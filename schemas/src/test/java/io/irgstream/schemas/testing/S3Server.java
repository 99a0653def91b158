package io.irgstream.schemas.testing;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * A real S3 protocol server in the test JVM: s3proxy with an in-memory store on a free port of 127.0.0.1, checking
 * AWS signatures (V2 or V4) against one access key. Use {@link #settings} for the blob store settings that reach it
 * and {@link #credentials()} (or the {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties, which
 * the SDK's default chain reads first) to sign. Tests that need it depend on {@code org.gaul:s3proxy}.
 */
public final class S3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "irg-test-access";
    public static final String SECRET_KEY = "irg-test-secret";

    private final BlobStore store;
    private final int port;
    private volatile S3Proxy proxy;

    private S3Server(BlobStore store, S3Proxy proxy) {
        this.store = store;
        this.proxy = proxy;
        this.port = proxy.getPort();
    }

    /** Starts a server with the given (empty) buckets. */
    public static S3Server start(String... buckets) throws Exception {
        BlobStore store = new TransientNio2BlobStore();
        for (String b : buckets) {
            store.createContainer(b);
        }
        return new S3Server(store, serve(store, 0));
    }

    private static S3Proxy serve(BlobStore store, int port) throws Exception {
        S3Proxy p = S3Proxy.builder().blobStore(store).endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .jettyMaxThreads(16).stopTimeout(0).build(); // stop at once, open connections or not
        p.start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"STARTED".equals(p.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("s3proxy did not start: " + p.getState());
            }
            Thread.sleep(10);
        }
        return p;
    }

    /**
     * An outage: the server stops listening for {@code down}, then serves the same objects on the same port again
     * (clients see connection refused meanwhile).
     */
    public void outage(java.time.Duration down) throws Exception {
        proxy.stop();
        Thread.sleep(down.toMillis());
        proxy = serve(store, port);
    }

    /** @return e.g. {@code http://127.0.0.1:41233} */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The server's store, to inspect or edit objects behind the S3 API (e.g. to corrupt one). */
    public BlobStore store() {
        return store;
    }

    /** The blob store settings for {@code s3://bucket/prefix} on this server (path-style, region us-east-1). */
    public Map<String, Object> settings(String bucketAndPrefix) {
        Map<String, Object> m = new HashMap<>();
        m.put("blob.store.uri", "s3://" + bucketAndPrefix);
        m.put("blob.store.s3.endpoint", endpoint());
        m.put("blob.store.s3.path.style", "true");
        m.put("blob.store.s3.region", "us-east-1");
        return m;
    }

    public static StaticCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
