package io.irgstream.schemas.images;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Blob store in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, Cloudflare R2, ...):
 * {@code s3://<bucket>/<prefix>/<sha[0..2]>/<sha>.<ext>}, with the image's media type as the object's content type.
 *
 * <p>Writes are idempotent by content address: an object already under the key is the same bytes (its key is their
 * sha256), so {@link #put} asks first and writes only when it is missing; two writers racing on the same content
 * write the same bytes. Readers verify the sha256 ({@link ImageStore#bytes}), so an object edited in the bucket is
 * caught. Credentials come from the AWS SDK's default chain (the {@code aws.accessKeyId}/{@code aws.secretAccessKey}
 * system properties, {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE} and
 * {@code ~/.aws/credentials}, web identity (EKS IRSA), container and instance roles).
 *
 * <p>Every failure is an {@link IOException} whose message names the object and the setting to look at: the
 * endpoint ({@value BlobStoreConfig#S3_ENDPOINT}) when it cannot be reached, the bucket
 * ({@value BlobStoreConfig#URI}) when it does not exist, the credentials when they are refused. The worker retries
 * such a step through its retry tiers, then dead-letters it.
 *
 * <p>The SDK's extra CRC checksums are sent and checked only where S3 requires them: several S3-compatible servers
 * reject the newer checksum headers, and the sha256 check covers the bytes end to end anyway.
 */
public final class S3BlobStore implements BlobStore {
    private final String bucket;
    private final String prefix;
    private final String location;
    private final String endpoint;
    private final S3Client s3;

    /**
     * @param location  {@code s3://bucket} or {@code s3://bucket/prefix}
     * @param endpoint  the S3 API endpoint, e.g. {@code http://127.0.0.1:9000} for MinIO; null or empty: AWS's own
     * @param pathStyle address the bucket in the path ({@code http://host/bucket/key}, MinIO, Ceph) instead of the
     *                  host name ({@code http://bucket.host/key})
     * @param region    signing region; null or empty: the SDK's region chain ({@code AWS_REGION}, profile), else
     *                  {@code us-east-1}
     * @param credentials null: the SDK's default chain
     */
    public S3BlobStore(URI location, String endpoint, boolean pathStyle, String region,
                       AwsCredentialsProvider credentials) {
        if (!"s3".equalsIgnoreCase(location.getScheme()) || location.getHost() == null || location.getHost().isBlank()) {
            throw new IllegalArgumentException(BlobStoreConfig.URI + " " + location
                    + " is not an s3://bucket[/prefix] URI");
        }
        this.bucket = location.getHost();
        String p = location.getPath() == null ? "" : location.getPath().replaceAll("^/+|/+$", "");
        this.prefix = p.isEmpty() ? "" : p + "/";
        this.location = "s3://" + bucket + (p.isEmpty() ? "" : "/" + p);
        this.endpoint = endpoint == null || endpoint.isBlank() ? null : endpoint.trim();
        S3ClientBuilder b = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)))
                .overrideConfiguration(o -> o.retryStrategy(RetryMode.STANDARD)
                        .apiCallTimeout(Duration.ofSeconds(60)))
                .credentialsProvider(credentials != null ? credentials : DefaultCredentialsProvider.builder().build())
                .region(region(region))
                .forcePathStyle(pathStyle)
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (this.endpoint != null) {
            try {
                b.endpointOverride(URI.create(this.endpoint));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(BlobStoreConfig.S3_ENDPOINT + " " + this.endpoint
                        + " is not a URL: " + e.getMessage(), e);
            }
        }
        this.s3 = b.build();
    }

    private static Region region(String region) {
        if (region != null && !region.isBlank()) {
            return Region.of(region.trim());
        }
        try {
            return new DefaultAwsRegionProviderChain().getRegion();
        } catch (SdkClientException none) {
            return Region.US_EAST_1; // MinIO, Ceph and R2 accept any region; AWS redirects errors name the right one
        }
    }

    /** {@code s3://bucket[/prefix]}. */
    public String location() {
        return location;
    }

    @Override
    public URI put(String sha256, String mediaType, byte[] bytes) throws IOException {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not a lower-case hex sha256: " + sha256);
        }
        String key = prefix + sha256.substring(0, 2) + "/" + sha256 + extension(mediaType);
        URI uri = URI.create("s3://" + bucket + "/" + key);
        try {
            HeadObjectResponse head = s3.headObject(r -> r.bucket(bucket).key(key));
            if (head.contentLength() != null && head.contentLength() == bytes.length) {
                return uri; // the same content is there already
            }
            // a different length under a content address: a partial or edited object; write the right bytes over it
        } catch (NoSuchKeyException missing) {
            // write it below
        } catch (S3Exception e) {
            if (e.statusCode() != 404 || isNoSuchBucket(e)) {
                throw failure("write", uri, e);
            }
        } catch (SdkException e) {
            throw failure("write", uri, e);
        }
        try {
            s3.putObject(r -> r.bucket(bucket).key(key).contentType(mediaType == null ? "application/octet-stream" : mediaType)
                    .contentLength((long) bytes.length), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("write", uri, e);
        }
        return uri;
    }

    @Override
    public byte[] get(URI uri) throws IOException {
        if (!handles(uri)) {
            throw new IOException("blob " + uri + " is not in the S3 blob store " + location + " (" + BlobStoreConfig.URI + ")");
        }
        String key = uri.getPath().replaceFirst("^/", "");
        try {
            ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(r -> r.bucket(bucket).key(key));
            return bytes.asByteArray();
        } catch (SdkException e) {
            throw failure("read", uri, e);
        }
    }

    /**
     * Whether {@code uri} names an object of this store: {@code s3://<bucket>/<prefix>...}, with no {@code .} or
     * {@code ..} segments, empty segments, query or fragment. Objects of the same bucket outside the prefix are not
     * this store's.
     */
    @Override
    public boolean readsScheme(String scheme) {
        return "s3".equalsIgnoreCase(scheme);
    }

    @Override
    public boolean handles(URI uri) {
        if (!"s3".equalsIgnoreCase(uri.getScheme()) || !bucket.equals(uri.getHost()) || uri.getRawQuery() != null
                || uri.getRawFragment() != null || uri.getUserInfo() != null || uri.getPort() != -1
                || uri.getPath() == null || !uri.getPath().startsWith("/")) {
            return false;
        }
        String key = uri.getPath().substring(1);
        if (!key.startsWith(prefix) || key.length() == prefix.length()) {
            return false;
        }
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return location + (endpoint == null ? "" : " at " + endpoint);
    }

    /** One line that says what failed, on which object, and which setting to look at. */
    private IOException failure(String op, URI object, SdkException e) {
        String where = endpoint == null ? "AWS S3" : endpoint;
        String msg;
        if (e instanceof S3Exception s) {
            String code = s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode();
            String detail = s.awsErrorDetails() == null ? s.getMessage() : s.awsErrorDetails().errorMessage();
            int status = s.statusCode();
            if (isNoSuchBucket(s)) {
                msg = "cannot " + op + " " + object + ": bucket '" + bucket + "' does not exist at " + where
                        + " (check " + BlobStoreConfig.URI + "=" + location + ", or create the bucket)";
            } else if (s instanceof NoSuchKeyException || status == 404) {
                msg = "cannot " + op + " " + object + ": no such object in bucket '" + bucket + "' at " + where
                        + " (deleted, e.g. by a lifecycle rule shorter than the topics' retention?)";
            } else if (status == 403 || status == 401 || "InvalidAccessKeyId".equals(code)
                    || "SignatureDoesNotMatch".equals(code) || "AccessDenied".equals(code)) {
                msg = "cannot " + op + " " + object + ": access denied by " + where + " (" + code + ": " + detail
                        + "); check the credentials the AWS SDK's default chain finds (AWS_ACCESS_KEY_ID/"
                        + "AWS_SECRET_ACCESS_KEY, AWS_PROFILE, the role) and their permissions on " + location;
            } else if (status == 301 || "PermanentRedirect".equals(code) || "AuthorizationHeaderMalformed".equals(code)) {
                msg = "cannot " + op + " " + object + ": " + where + " answered " + status + " " + code + " (" + detail
                        + "); check " + BlobStoreConfig.S3_REGION + " and " + BlobStoreConfig.S3_ENDPOINT;
            } else {
                msg = "cannot " + op + " " + object + ": " + where + " answered " + status + " " + code + ": " + detail;
            }
        } else {
            msg = "cannot " + op + " " + object + ": the S3 endpoint " + where + " is unreachable (check "
                    + BlobStoreConfig.S3_ENDPOINT + (endpoint == null ? "" : "=" + endpoint) + "): "
                    + oneLine(e);
        }
        return new IOException(msg, e);
    }

    private static boolean isNoSuchBucket(S3Exception e) {
        return e instanceof NoSuchBucketException || e.awsErrorDetails() != null
                && "NoSuchBucket".equals(e.awsErrorDetails().errorCode());
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = Objects.toString(e.getMessage(), e.getClass().getSimpleName());
        if (root != e) {
            m += " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return m.replaceAll("\\s+", " ").trim();
    }

    private static String extension(String mediaType) {
        return switch (mediaType == null ? "" : mediaType.toLowerCase(Locale.ROOT)) {
            case "image/png" -> ".png";
            case "image/jpeg" -> ".jpg";
            default -> ".bin";
        };
    }
}
