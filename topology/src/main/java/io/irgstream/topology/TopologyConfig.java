package io.irgstream.topology;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.BlobStore;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.topology.internals.ApiAuth;
import io.irgstream.topology.internals.HttpTls;
import io.irgstream.topology.internals.RequestOrigins;
import java.io.File;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * Settings of the trajectory topology and its HTTP API, declared once with {@link ConfigDef}: name, type, default,
 * validator and documentation ({@link #configDef()}; {@code docs/api.md} lists them).
 *
 * <p>Settings prefixed {@value #STREAMS_PREFIX} are handed to Kafka Streams without the prefix, e.g.
 * {@code streams.num.stream.threads=2} or {@code streams.replication.factor=3}; the processing guarantee is always
 * {@code exactly_once_v2}. Immutable and thread-safe.
 */
public final class TopologyConfig extends AbstractConfig {

    /** Kafka Streams application id: consumer group, internal topic and transactional id prefix. */
    public static final String APPLICATION_ID_CONFIG = "application.id";
    /** Kafka bootstrap servers. */
    public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
    /** Schema registry base URL(s). */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    /** Prefix of the pipeline's topic names. */
    public static final String TOPIC_PREFIX_CONFIG = "topic.prefix";
    /** Stall timeout while waiting for the think step. */
    public static final String STALL_TIMEOUT_THINK_MS_CONFIG = "stall.timeout.think.ms";
    /** Stall timeout while waiting for the draw step. */
    public static final String STALL_TIMEOUT_DRAW_MS_CONFIG = "stall.timeout.draw.ms";
    /** Stall timeout while waiting for the reflect step. */
    public static final String STALL_TIMEOUT_REFLECT_MS_CONFIG = "stall.timeout.reflect.ms";
    /** Stall timeout while waiting for the refine step. */
    public static final String STALL_TIMEOUT_REFINE_MS_CONFIG = "stall.timeout.refine.ms";
    /** How often the stall check runs. */
    public static final String STALL_CHECK_INTERVAL_MS_CONFIG = "stall.check.interval.ms";
    /** Kafka Streams state directory (RocksDB stores). */
    public static final String STATE_DIR_CONFIG = "state.dir";
    /** Host the HTTP API binds to. */
    public static final String HTTP_HOST_CONFIG = "http.host";
    /** Port the HTTP API binds to. */
    public static final String HTTP_PORT_CONFIG = "http.port";
    /** host:port other instances reach this instance's HTTP API at. */
    public static final String APPLICATION_SERVER_CONFIG = "application.server";
    /** Root of the filesystem blob store holding images too large to travel inline. */
    public static final String BLOB_STORE_PATH_CONFIG = "blob.store.path";
    /** Most event streams (SSE) open at once. */
    public static final String HTTP_ALLOWED_HOSTS_CONFIG = "http.allowed.hosts";
    public static final String HTTP_CORS_ALLOWED_ORIGINS_CONFIG = "http.cors.allowed.origins";
    public static final String HTTP_SSE_MAX_STREAMS_CONFIG = "http.sse.max.streams";
    /** How long an event stream for an unknown trajectory waits for it to appear. */
    public static final String HTTP_SSE_WAIT_MS_CONFIG = "http.sse.wait.ms";
    /** How long an idempotency key names its first trajectory. */
    public static final String IDEMPOTENCY_RETENTION_MS_CONFIG = "idempotency.retention.ms";
    /** Hosts callback URLs may name. */
    public static final String WEBHOOK_ALLOWED_HOSTS_CONFIG = "webhook.allowed.hosts";
    /** Secret of the callbacks' HMAC-SHA256 signature. */
    public static final String WEBHOOK_SECRET_CONFIG = "webhook.secret";
    /** Tries of one callback before it is dead-lettered. */
    public static final String WEBHOOK_MAX_ATTEMPTS_CONFIG = "webhook.max.attempts";
    /** Time limit of one callback request. */
    public static final String WEBHOOK_TIMEOUT_MS_CONFIG = "webhook.timeout.ms";
    /** Wait before the second try of a callback; doubles after each failed try. */
    public static final String WEBHOOK_RETRY_BACKOFF_MS_CONFIG = "webhook.retry.backoff.ms";
    /** Longest wait between two tries of a callback. */
    public static final String WEBHOOK_RETRY_BACKOFF_MAX_MS_CONFIG = "webhook.retry.backoff.max.ms";
    /** Base URL of the API that callbacks' links point to. */
    public static final String WEBHOOK_PUBLIC_URL_CONFIG = "webhook.public.url";
    /** Most trajectories of one tenant in flight at once. */
    public static final String TENANT_MAX_IN_FLIGHT_CONFIG = "tenant.max.in.flight";
    /** Default {@value #TENANT_MAX_IN_FLIGHT_CONFIG}. */
    public static final int DEFAULT_TENANT_MAX_IN_FLIGHT = 1_000;
    /** Trajectories in flight per partition below which the admission scheduler releases queued ones; 0: off. */
    public static final String SCHEDULER_WINDOW_CONFIG = "scheduler.window.per.partition";
    /** Default {@value #SCHEDULER_WINDOW_CONFIG}. */
    public static final int DEFAULT_SCHEDULER_WINDOW = 4;
    /** How far beyond the window interactive trajectories may still be admitted, per partition. */
    public static final String SCHEDULER_INTERACTIVE_HEADROOM_CONFIG = "scheduler.interactive.headroom";
    /** Default {@value #SCHEDULER_INTERACTIVE_HEADROOM_CONFIG}. */
    public static final int DEFAULT_SCHEDULER_INTERACTIVE_HEADROOM = 4;
    /** Weight of class interactive in the scheduler's weighted round-robin. */
    public static final String SCHEDULER_WEIGHT_INTERACTIVE_CONFIG = "scheduler.weight.interactive";
    /** Weight of class normal in the scheduler's weighted round-robin. */
    public static final String SCHEDULER_WEIGHT_NORMAL_CONFIG = "scheduler.weight.normal";
    /** Weight of class batch in the scheduler's weighted round-robin. */
    public static final String SCHEDULER_WEIGHT_BATCH_CONFIG = "scheduler.weight.batch";
    /** The API key file; empty: the API answers without keys. */
    public static final String HTTP_AUTH_KEYS_FILE_CONFIG = "http.auth.keys.file";
    /** Allow binding the API to a non-loopback address without API keys. */
    public static final String HTTP_INSECURE_CONFIG = "http.insecure";
    /** Submits and cancels per second each API key may make on average. */
    public static final String HTTP_RATE_LIMIT_WRITES_PER_SECOND_CONFIG = "http.rate.limit.writes.per.second";
    /** Submits and cancels each API key may make at once. */
    public static final String HTTP_RATE_LIMIT_BURST_CONFIG = "http.rate.limit.burst";
    /** Key store of the API's TLS certificate; empty: plain HTTP. */
    public static final String HTTP_TLS_KEYSTORE_LOCATION_CONFIG = "http.tls.keystore.location";
    /** Password of {@value #HTTP_TLS_KEYSTORE_LOCATION_CONFIG} and of its key. */
    public static final String HTTP_TLS_KEYSTORE_PASSWORD_CONFIG = "http.tls.keystore.password";
    /** Type of {@value #HTTP_TLS_KEYSTORE_LOCATION_CONFIG}. */
    public static final String HTTP_TLS_KEYSTORE_TYPE_CONFIG = "http.tls.keystore.type";
    /** Trust store with the other instances' certificates, for forwarded queries. */
    public static final String HTTP_TLS_TRUSTSTORE_LOCATION_CONFIG = "http.tls.truststore.location";
    /** Password of {@value #HTTP_TLS_TRUSTSTORE_LOCATION_CONFIG}. */
    public static final String HTTP_TLS_TRUSTSTORE_PASSWORD_CONFIG = "http.tls.truststore.password";
    /** Prefix of settings passed through to Kafka Streams. */
    public static final String STREAMS_PREFIX = "streams.";

    /** Default {@value #APPLICATION_ID_CONFIG}. */
    public static final String DEFAULT_APPLICATION_ID = "irg-topology";
    /** Default {@value #HTTP_PORT_CONFIG}. */
    public static final int DEFAULT_HTTP_PORT = 8080;
    /** Default stall timeout of every step: 5 minutes. */
    public static final long DEFAULT_STALL_TIMEOUT_MS = 300_000L;

    private static final ConfigDef CONFIG = BlobStoreConfig.define(new ConfigDef())
            .define(APPLICATION_ID_CONFIG, Type.STRING, DEFAULT_APPLICATION_ID, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka Streams application id: the consumer group, the prefix of the internal "
                            + "changelog topics and of the transactional ids. Instances with the same id share the "
                            + "work; give each deployment its own.")
            .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka bootstrap servers, host:port[,host:port...].")
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Confluent-compatible schema registry base URL(s), comma-separated.")
            .define(TOPIC_PREFIX_CONFIG, Type.STRING, Topics.DEFAULT_PREFIX, Importance.MEDIUM,
                    "Prefix of the pipeline's topic names, e.g. 'irg.' for irg.prompts; the same as the workers'.")
            .define(STALL_TIMEOUT_THINK_MS_CONFIG, Type.LONG, DEFAULT_STALL_TIMEOUT_MS, Range.atLeast(1),
                    Importance.MEDIUM, "A submitted trajectory with no thought after this many milliseconds is "
                            + "STALLED.")
            .define(STALL_TIMEOUT_DRAW_MS_CONFIG, Type.LONG, DEFAULT_STALL_TIMEOUT_MS, Range.atLeast(1),
                    Importance.MEDIUM, "A trajectory with a thought but no draft after this many milliseconds is "
                            + "STALLED.")
            .define(STALL_TIMEOUT_REFLECT_MS_CONFIG, Type.LONG, DEFAULT_STALL_TIMEOUT_MS, Range.atLeast(1),
                    Importance.MEDIUM, "A trajectory waiting for a reflection (on the draft or on a round's final "
                            + "image) longer than this many milliseconds is STALLED.")
            .define(STALL_TIMEOUT_REFINE_MS_CONFIG, Type.LONG, DEFAULT_STALL_TIMEOUT_MS, Range.atLeast(1),
                    Importance.MEDIUM, "A trajectory with a reflection but no refined image after this many "
                            + "milliseconds is STALLED.")
            .define(STALL_CHECK_INTERVAL_MS_CONFIG, Type.LONG, 5_000L, Range.between(10, 3_600_000),
                    Importance.LOW, "How often, in wall-clock milliseconds, the topology looks for stalled "
                            + "trajectories; a stall is reported at most this much after its timeout.")
            .define(STATE_DIR_CONFIG, Type.STRING,
                    new File(System.getProperty("java.io.tmpdir"), "irg-topology").getPath(),
                    new ConfigDef.NonEmptyString(), Importance.MEDIUM, "Directory of the Kafka Streams state stores "
                            + "(RocksDB); keep it across restarts to avoid restoring from the changelog.")
            .define(HTTP_HOST_CONFIG, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Host or address the HTTP API binds to; 0.0.0.0 for every interface.")
            .define(HTTP_PORT_CONFIG, Type.INT, DEFAULT_HTTP_PORT, Range.between(0, 65_535), Importance.MEDIUM,
                    "Port the HTTP API binds to; 0 picks a free one.")
            .define(APPLICATION_SERVER_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "host:port at which other instances reach this instance's HTTP API, for forwarding queries to "
                            + "the instance that owns a trajectory. Empty: http.host and the bound port (the local "
                            + "host name when http.host is a wildcard address).")
            .define(HTTP_ALLOWED_HOSTS_CONFIG, Type.LIST, "", Importance.MEDIUM,
                    "Host names the HTTP API answers to besides IP addresses, localhost, http.host and the host of "
                            + "application.server (the local host name when http.host is a wildcard address): a "
                            + "request whose Host header names another gets 403, which stops DNS rebinding. Add the "
                            + "names clients use (a load balancer's, an ingress's); * answers any.")
            .define(HTTP_CORS_ALLOWED_ORIGINS_CONFIG, Type.LIST, "", (name, value) -> {
                        try {
                            new RequestOrigins(java.util.List.of(),
                                    ((java.util.List<?>) value).stream().map(String::valueOf).toList());
                        } catch (IllegalArgumentException e) {
                            throw new ConfigException(name, value, e.getMessage());
                        }
                    }, Importance.LOW,
                    "Origins (http(s)://host[:port]) whose pages may call the HTTP API from the browser (CORS). "
                            + "Empty (the default): CORS is off, preflights get 403 and no "
                            + "Access-Control-Allow-Origin, and POSTs from another origin get 403.")
            .define(HTTP_SSE_MAX_STREAMS_CONFIG, Type.INT, 100, Range.between(1, 10_000), Importance.LOW,
                    "Most Server-Sent Event streams open at once; each holds one thread (of the HTTP server's "
                            + "async pool) while open. Further stream requests get 503.")
            .define(HTTP_SSE_WAIT_MS_CONFIG, Type.LONG, 10_000L, Range.between(0, 600_000), Importance.LOW,
                    "How long a request for the event stream of an unknown trajectory waits for it to appear "
                            + "before answering 404, so a client may subscribe right after submitting.")
            .define(IDEMPOTENCY_RETENTION_MS_CONFIG, Type.LONG, 86_400_000L, Range.between(1_000, 30L * 86_400_000),
                    Importance.LOW, "How long a submit's Idempotency-Key (per tenant) names its first trajectory: a "
                            + "repeat within it answers 200 with that id and runs nothing; after it the key starts "
                            + "a new trajectory.")
            .define(WEBHOOK_ALLOWED_HOSTS_CONFIG, Type.LIST, "", (name, value) -> {
                        try {
                            new io.irgstream.topology.internals.WebhookPolicy(
                                    ((java.util.List<?>) value).stream().map(String::valueOf).toList());
                        } catch (IllegalArgumentException e) {
                            throw new ConfigException(name, value, e.getMessage());
                        }
                    }, Importance.HIGH,
                    "Hosts a trajectory's callbackUrl may name: host names or addresses, matched exactly, or "
                            + "*.domain for every name under domain. Empty (the default): callbacks are refused at "
                            + "submit (400) and no webhook dispatcher runs. Checked at submit and before every "
                            + "delivery.")
            .define(WEBHOOK_SECRET_CONFIG, Type.PASSWORD, "", Importance.HIGH,
                    "Secret key of the callbacks' signature: X-Irg-Signature is sha256=<hex HMAC-SHA256 of "
                            + "'<X-Irg-Timestamp>.<body>'>. Required when webhook.allowed.hosts is set.")
            .define(WEBHOOK_MAX_ATTEMPTS_CONFIG, Type.INT, 8, Range.between(1, 50), Importance.MEDIUM,
                    "Tries of one callback (an answer other than 2xx, a refused connection or a timeout is a "
                            + "failed try); after the last it is written to the dead-letter topic with the reason.")
            .define(WEBHOOK_TIMEOUT_MS_CONFIG, Type.LONG, 10_000L, Range.between(100, 120_000), Importance.LOW,
                    "Time limit of one callback try (connect and answer), in milliseconds.")
            .define(WEBHOOK_RETRY_BACKOFF_MS_CONFIG, Type.LONG, 1_000L, Range.between(1, 600_000), Importance.LOW,
                    "Wait before the second try of a callback, in milliseconds; it doubles after each failed try, "
                            + "up to webhook.retry.backoff.max.ms.")
            .define(WEBHOOK_RETRY_BACKOFF_MAX_MS_CONFIG, Type.LONG, 60_000L, Range.between(1, 3_600_000),
                    Importance.LOW, "Longest wait between two tries of a callback, in milliseconds.")
            .define(WEBHOOK_PUBLIC_URL_CONFIG, Type.STRING, "", Importance.LOW,
                    "Base URL of this API as the callback's receiver reaches it (e.g. https://irg.example.com), "
                            + "for the trajectory and image links in the callback. Empty: this instance's URL.")
            .define(SCHEDULER_WINDOW_CONFIG, Type.INT, DEFAULT_SCHEDULER_WINDOW, Range.between(0, 1_000_000),
                    Importance.MEDIUM, "Admission window: the admission scheduler releases queued trajectories into "
                            + "the prompts topic while fewer than this many trajectories of their partition are in "
                            + "the pipeline (SUBMITTED to REFLECTED); the API submits straight to the prompts topic "
                            + "while the partition has room and nothing queued. 0: no scheduler, every submit goes "
                            + "straight to the prompts topic (classes and tenants are recorded, not scheduled).")
            .define(SCHEDULER_INTERACTIVE_HEADROOM_CONFIG, Type.INT, DEFAULT_SCHEDULER_INTERACTIVE_HEADROOM,
                    Range.between(0, 1_000_000), Importance.LOW, "Interactive trajectories may be admitted until "
                            + "a partition has the window plus this many in the pipeline, so one does not wait for a "
                            + "batch trajectory to end.")
            .define(SCHEDULER_WEIGHT_INTERACTIVE_CONFIG, Type.INT, 6, Range.between(1, 1000), Importance.LOW,
                    "Weight of class interactive in the admission scheduler's weighted round-robin over the "
                            + "classes that have trajectories queued.")
            .define(SCHEDULER_WEIGHT_NORMAL_CONFIG, Type.INT, 3, Range.between(1, 1000), Importance.LOW,
                    "Weight of class normal in the admission scheduler's weighted round-robin.")
            .define(SCHEDULER_WEIGHT_BATCH_CONFIG, Type.INT, 1, Range.between(1, 1000), Importance.LOW,
                    "Weight of class batch in the admission scheduler's weighted round-robin: with the defaults "
                            + "(6, 3, 1) batch gets at least 1 of every 10 admissions while every class waits.")
            .define(TENANT_MAX_IN_FLIGHT_CONFIG, Type.INT, DEFAULT_TENANT_MAX_IN_FLIGHT, Range.between(1, 100_000_000),
                    Importance.MEDIUM, "Most trajectories of one tenant in flight (submitted and not yet COMPLETED, "
                            + "FAILED, CANCELLED or EXPIRED) at once; a submit beyond it answers 429. Counted "
                            + "from the topology's state.")
            .define(HTTP_AUTH_KEYS_FILE_CONFIG, Type.STRING, "", Importance.HIGH,
                    "API key file (./irg api-keys create writes it). Set: every route but the page, /healthz and "
                            + "/readyz needs 'Authorization: Bearer <key>' (401 without or with an unknown key, 403 "
                            + "for a role that does not allow the route). Empty: no keys are asked for.")
            .define(HTTP_INSECURE_CONFIG, Type.BOOLEAN, false, Importance.HIGH,
                    "Allow binding the HTTP API to an address other than loopback without API keys; without it "
                            + "such a start is refused.")
            .define(HTTP_RATE_LIMIT_WRITES_PER_SECOND_CONFIG, Type.DOUBLE, 20.0, Range.atLeast(0), Importance.MEDIUM,
                    "Submits and cancels each API key may make per second on average (a token bucket; 429 with "
                            + "Retry-After beyond it); 0: no limit. Only with API keys.")
            .define(HTTP_RATE_LIMIT_BURST_CONFIG, Type.INT, 40, Range.between(1, 1_000_000), Importance.MEDIUM,
                    "Submits and cancels each API key may make at once before the rate limit applies.")
            .define(HTTP_TLS_KEYSTORE_LOCATION_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Key store (PKCS12 or JKS) with the HTTP API's private key and certificate: set, the API serves "
                            + "HTTPS only. Empty: plain HTTP.")
            .define(HTTP_TLS_KEYSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Password of http.tls.keystore.location and of the key in it.")
            .define(HTTP_TLS_KEYSTORE_TYPE_CONFIG, Type.STRING, "PKCS12", ConfigDef.ValidString.in("PKCS12", "JKS"),
                    Importance.LOW, "Type of http.tls.keystore.location: PKCS12 or JKS.")
            .define(HTTP_TLS_TRUSTSTORE_LOCATION_CONFIG, Type.STRING, "", Importance.LOW,
                    "With TLS: trust store with the certificates of the other instances, which queries are "
                            + "forwarded to over HTTPS. Empty: the JVM's default trust.")
            .define(HTTP_TLS_TRUSTSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.LOW,
                    "Password of http.tls.truststore.location.")
            .define(BLOB_STORE_PATH_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Root of the filesystem blob store the workers write large images to (their file: URIs point "
                            + "into it); file: URIs outside it are never read. Empty: the working directory. With blob.store.uri=s3://... images are read from S3 (the workers' settings).");

    /**
     * Parses and validates settings.
     *
     * @param originals settings; unknown ones are ignored except {@value #STREAMS_PREFIX}* which go to Kafka Streams
     * @throws ConfigException naming the setting when one is missing, has the wrong type or is out of range
     */
    public TopologyConfig(Map<?, ?> originals) {
        super(CONFIG, originals, false);
        try {
            Topics.withPrefix(getString(TOPIC_PREFIX_CONFIG));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(TOPIC_PREFIX_CONFIG, getString(TOPIC_PREFIX_CONFIG), e.getMessage());
        }
        String server = getString(APPLICATION_SERVER_CONFIG);
        if (!server.isEmpty() && !server.matches("[^:\\s]+:\\d{1,5}")) {
            throw new ConfigException(APPLICATION_SERVER_CONFIG, server, "must be host:port");
        }
        if (!webhookPolicy().refusesAll() && webhookSecret().isEmpty()) {
            throw new ConfigException(WEBHOOK_SECRET_CONFIG, "(empty)", "set a secret to sign callbacks with when "
                    + WEBHOOK_ALLOWED_HOSTS_CONFIG + " allows callbacks");
        }
        if (originalsWithPrefix(STREAMS_PREFIX).containsKey(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)) {
            throw new ConfigException(STREAMS_PREFIX + StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                    originalsWithPrefix(STREAMS_PREFIX).get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
                    "the topology always runs exactly_once_v2; remove this setting");
        }
    }

    /** @return the definitions of every setting, e.g. for generated documentation */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    /** @return the topics under {@value #TOPIC_PREFIX_CONFIG} */
    public Topics topics() {
        return Topics.withPrefix(getString(TOPIC_PREFIX_CONFIG));
    }

    /** @return {@value #APPLICATION_ID_CONFIG} */
    public String applicationId() {
        return getString(APPLICATION_ID_CONFIG);
    }

    /**
     * The Kafka settings every client of the topology process shares (Kafka Streams, the HTTP API's submitter, the
     * live feed, the admin client that checks the topics): {@code bootstrap.servers} and the unprefixed connection
     * settings {@code security.protocol}, {@code sasl.*}, {@code ssl.*}, {@code config.providers*}. A
     * {@code streams.*} setting of the same name wins for Kafka Streams.
     *
     * @return the settings
     */
    public KafkaClientSettings kafkaClientSettings() {
        return KafkaClientSettings.from(originals()).withBootstrapServers(bootstrapServers());
    }

    /** @return {@value #BOOTSTRAP_SERVERS_CONFIG} */
    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS_CONFIG);
    }

    /** @return {@value #SCHEMA_REGISTRY_URL_CONFIG} */
    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL_CONFIG);
    }

    /**
     * @param pendingStep the step a trajectory waits for: think, draw, reflect or refine
     * @return how long it may wait before it is STALLED
     * @throws IllegalArgumentException naming the step when it is none of those
     */
    public Duration stallTimeout(String pendingStep) {
        String key = switch (io.irgstream.model.Step.parse(pendingStep)) {
            case THINK -> STALL_TIMEOUT_THINK_MS_CONFIG;
            case DRAW -> STALL_TIMEOUT_DRAW_MS_CONFIG;
            case REFLECT -> STALL_TIMEOUT_REFLECT_MS_CONFIG;
            case REFINE -> STALL_TIMEOUT_REFINE_MS_CONFIG;
        };
        return Duration.ofMillis(getLong(key));
    }

    /** @return {@value #STALL_CHECK_INTERVAL_MS_CONFIG} */
    public Duration stallCheckInterval() {
        return Duration.ofMillis(getLong(STALL_CHECK_INTERVAL_MS_CONFIG));
    }

    /** @return {@value #HTTP_HOST_CONFIG} */
    public String httpHost() {
        return getString(HTTP_HOST_CONFIG);
    }

    /** @return {@value #HTTP_PORT_CONFIG} */
    public int httpPort() {
        return getInt(HTTP_PORT_CONFIG);
    }

    /**
     * The Host and Origin headers the HTTP API answers: {@value #HTTP_ALLOWED_HOSTS_CONFIG} plus http.host (unless a
     * wildcard), the host of application.server, and the local host names when http.host is a wildcard address.
     */
    public RequestOrigins requestOrigins() {
        java.util.List<String> hosts = new java.util.ArrayList<>(getList(HTTP_ALLOWED_HOSTS_CONFIG));
        String host = httpHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            try {
                InetAddress local = InetAddress.getLocalHost();
                hosts.add(local.getHostName());
                hosts.add(local.getCanonicalHostName());
            } catch (UnknownHostException e) {
                // nothing to add: IP addresses and the configured names still work
            }
        } else {
            hosts.add(host);
        }
        String server = getString(APPLICATION_SERVER_CONFIG);
        if (!server.isEmpty()) {
            hosts.add(server);
        }
        return new RequestOrigins(hosts, getList(HTTP_CORS_ALLOWED_ORIGINS_CONFIG));
    }

    /**
     * The API keys and rate limits ({@value #HTTP_AUTH_KEYS_FILE_CONFIG}, {@value
     * #HTTP_RATE_LIMIT_WRITES_PER_SECOND_CONFIG}, {@value #HTTP_RATE_LIMIT_BURST_CONFIG}).
     *
     * @return the API's authentication, or null when no key file is set
     * @throws ConfigException naming the setting when the key file is missing or malformed
     */
    public ApiAuth apiAuth() {
        String file = getString(HTTP_AUTH_KEYS_FILE_CONFIG);
        if (file.isEmpty()) {
            return null;
        }
        try {
            return new ApiAuth(Path.of(file), getDouble(HTTP_RATE_LIMIT_WRITES_PER_SECOND_CONFIG),
                    getInt(HTTP_RATE_LIMIT_BURST_CONFIG));
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new ConfigException(HTTP_AUTH_KEYS_FILE_CONFIG, file, e.getMessage());
        }
    }

    /**
     * @return the API's TLS settings, or null when {@value #HTTP_TLS_KEYSTORE_LOCATION_CONFIG} is empty
     * @throws ConfigException naming the setting when a store cannot be opened
     */
    public HttpTls httpTls() {
        String keyStore = getString(HTTP_TLS_KEYSTORE_LOCATION_CONFIG);
        if (keyStore.isEmpty()) {
            return null;
        }
        String trustStore = getString(HTTP_TLS_TRUSTSTORE_LOCATION_CONFIG);
        try {
            return new HttpTls(Path.of(keyStore), password(HTTP_TLS_KEYSTORE_PASSWORD_CONFIG),
                    getString(HTTP_TLS_KEYSTORE_TYPE_CONFIG), trustStore.isEmpty() ? null : Path.of(trustStore),
                    password(HTTP_TLS_TRUSTSTORE_PASSWORD_CONFIG));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(HTTP_TLS_KEYSTORE_LOCATION_CONFIG, keyStore, e.getMessage());
        }
    }

    private String password(String name) {
        org.apache.kafka.common.config.types.Password p = getPassword(name);
        return p == null ? null : p.value();
    }

    /**
     * Refuses to serve the API without API keys on an address other than loopback, unless
     * {@value #HTTP_INSECURE_CONFIG} is true.
     *
     * @throws ConfigException saying how to fix it
     */
    public void checkExposure() {
        String host = httpHost();
        if (!getString(HTTP_AUTH_KEYS_FILE_CONFIG).isEmpty() || getBoolean(HTTP_INSECURE_CONFIG) || loopback(host)) {
            return;
        }
        throw new ConfigException("refusing to serve the HTTP API on " + host + " without API keys: anyone who "
                + "reaches it could submit, cancel and read every trajectory. Set " + HTTP_AUTH_KEYS_FILE_CONFIG
                + " (./irg api-keys create), bind http.host to 127.0.0.1, or set " + HTTP_INSECURE_CONFIG
                + "=true (./irg topology --insecure) if something in front of it authenticates");
    }

    private static boolean loopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        try {
            for (InetAddress a : InetAddress.getAllByName(h)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * The schema registry client's settings: {@value #SCHEMA_REGISTRY_URL_CONFIG} and every {@code schema.registry.*}
     * and {@code basic.auth.*} setting (basic auth, trust store, timeouts; {@code io.irgstream.schemas.IrgSerdeConfig}).
     */
    public Map<String, Object> registryClientSettings() {
        Map<String, Object> m = new HashMap<>();
        originals().forEach((k, v) -> {
            if (k.startsWith("schema.registry.") || k.startsWith("basic.auth.")) {
                m.put(k, v instanceof org.apache.kafka.common.config.types.Password p ? p.value() : v);
            }
        });
        m.put(SCHEMA_REGISTRY_URL_CONFIG, schemaRegistryUrl());
        return m;
    }

    /** @return {@value #HTTP_SSE_MAX_STREAMS_CONFIG} */
    public int sseMaxStreams() {
        return getInt(HTTP_SSE_MAX_STREAMS_CONFIG);
    }

    /** @return {@value #IDEMPOTENCY_RETENTION_MS_CONFIG} */
    public Duration idempotencyRetention() {
        return Duration.ofMillis(getLong(IDEMPOTENCY_RETENTION_MS_CONFIG));
    }

    /** @return the callback allow-list, {@value #WEBHOOK_ALLOWED_HOSTS_CONFIG} */
    public io.irgstream.topology.internals.WebhookPolicy webhookPolicy() {
        return new io.irgstream.topology.internals.WebhookPolicy(getList(WEBHOOK_ALLOWED_HOSTS_CONFIG));
    }

    /** @return {@value #WEBHOOK_SECRET_CONFIG}; empty when not set */
    public String webhookSecret() {
        return getPassword(WEBHOOK_SECRET_CONFIG).value();
    }

    /** @return {@value #WEBHOOK_MAX_ATTEMPTS_CONFIG} */
    public int webhookMaxAttempts() {
        return getInt(WEBHOOK_MAX_ATTEMPTS_CONFIG);
    }

    /** @return {@value #WEBHOOK_TIMEOUT_MS_CONFIG} */
    public Duration webhookTimeout() {
        return Duration.ofMillis(getLong(WEBHOOK_TIMEOUT_MS_CONFIG));
    }

    /** @return {@value #WEBHOOK_RETRY_BACKOFF_MS_CONFIG} */
    public Duration webhookBackoff() {
        return Duration.ofMillis(getLong(WEBHOOK_RETRY_BACKOFF_MS_CONFIG));
    }

    /** @return {@value #WEBHOOK_RETRY_BACKOFF_MAX_MS_CONFIG} */
    public Duration webhookBackoffMax() {
        return Duration.ofMillis(getLong(WEBHOOK_RETRY_BACKOFF_MAX_MS_CONFIG));
    }

    /** @return {@value #WEBHOOK_PUBLIC_URL_CONFIG}; empty when not set */
    public String webhookPublicUrl() {
        return getString(WEBHOOK_PUBLIC_URL_CONFIG);
    }

    /** @return {@value #SCHEDULER_WINDOW_CONFIG} */
    public int schedulerWindow() {
        return getInt(SCHEDULER_WINDOW_CONFIG);
    }

    /** @return {@value #SCHEDULER_INTERACTIVE_HEADROOM_CONFIG} */
    public int schedulerInteractiveHeadroom() {
        return getInt(SCHEDULER_INTERACTIVE_HEADROOM_CONFIG);
    }

    /**
     * @return the weights of the classes in the admission scheduler's round-robin, indexed by
     *     {@link io.irgstream.schemas.client.Priority#rank()}
     */
    public int[] schedulerWeights() {
        return new int[] {getInt(SCHEDULER_WEIGHT_INTERACTIVE_CONFIG), getInt(SCHEDULER_WEIGHT_NORMAL_CONFIG),
                getInt(SCHEDULER_WEIGHT_BATCH_CONFIG)};
    }

    /** @return {@value #TENANT_MAX_IN_FLIGHT_CONFIG} */
    public int tenantMaxInFlight() {
        return getInt(TENANT_MAX_IN_FLIGHT_CONFIG);
    }

    /** @return {@value #HTTP_SSE_WAIT_MS_CONFIG} */
    public Duration sseWait() {
        return Duration.ofMillis(getLong(HTTP_SSE_WAIT_MS_CONFIG));
    }

    /**
     * The blob store the workers write to: S3 when {@value BlobStoreConfig#URI} names one (file: URIs are still read
     * under {@value #BLOB_STORE_PATH_CONFIG}), else the filesystem store. Close it when done.
     */
    public BlobStore openBlobStore() {
        Path dir = blobStorePath();
        return new BlobStoreConfig(originals()).open(dir != null ? dir : Path.of("."));
    }

    /** @return {@value #BLOB_STORE_PATH_CONFIG}, or null when not set */
    public Path blobStorePath() {
        String dir = getString(BLOB_STORE_PATH_CONFIG);
        return dir.isEmpty() ? null : Path.of(dir);
    }

    /**
     * The host:port other instances reach this one at.
     *
     * @param boundPort the port the HTTP API actually bound (differs from {@value #HTTP_PORT_CONFIG} when that is 0)
     * @return {@value #APPLICATION_SERVER_CONFIG}, or one derived from the HTTP address
     */
    public String applicationServer(int boundPort) {
        String server = getString(APPLICATION_SERVER_CONFIG);
        if (!server.isEmpty()) {
            return server;
        }
        String host = httpHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            try {
                host = InetAddress.getLocalHost().getCanonicalHostName();
            } catch (UnknownHostException e) {
                throw new ConfigException(APPLICATION_SERVER_CONFIG, server, "http.host is a wildcard address and "
                        + "the local host name cannot be resolved (" + e.getMessage() + "); set application.server");
            }
        }
        return host + ":" + boundPort;
    }

    /**
     * The Kafka Streams settings: application id, bootstrap servers and connection settings
     * ({@link #kafkaClientSettings()}), state dir, exactly_once_v2, the given
     * application.server, log-and-continue on undecodable input, records up to
     * {@link TrajectoryTopology#MAX_RECORD_BYTES}, then every {@value #STREAMS_PREFIX}* setting.
     *
     * @param applicationServer host:port of this instance's HTTP API, or null to leave it unset
     * @return a new Properties object
     */
    public Properties streamsProperties(String applicationServer) {
        Map<String, Object> p = new HashMap<>();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
        kafkaClientSettings().applyTo(p);
        p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR_CONFIG));
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), TrajectoryTopology.MAX_RECORD_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
                TrajectoryTopology.MAX_RECORD_BYTES);
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        p.putAll(originalsWithPrefix(STREAMS_PREFIX));
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        Properties props = new Properties();
        props.putAll(p);
        return props;
    }
}
