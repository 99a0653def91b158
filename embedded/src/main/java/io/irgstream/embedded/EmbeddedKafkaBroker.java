package io.irgstream.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker running inside this JVM: one KRaft node that is both broker and controller,
 * with its data in a directory that outlives the process.
 *
 * <p>Lifecycle: {@link #start()} formats the data directory on first use (with a new cluster id), starts the
 * node and returns once the broker answers clients; {@link #stop()} shuts it down cleanly and keeps the data.
 * A later {@code start()} on the same directory, by this instance or a new one, reuses the cluster id stored in
 * the directory's {@code meta.properties} and serves the records written before. {@link #close()} is
 * {@code stop()}. All lifecycle methods are thread-safe; {@code start()} on a running broker and {@code stop()} on
 * a stopped one do nothing.
 *
 * <p>Ports: a port of {@code 0} means "pick a free one" at the first start; the chosen port is kept for later
 * restarts of the same instance while it is still free. A fixed port that is already taken fails the start with
 * an {@link EmbeddedKafkaException} whose message says so.
 *
 * <p>The broker is tuned for one node: internal topics (offsets, transaction state, share-group state) have
 * replication factor 1 and one partition, {@code group.initial.rebalance.delay.ms=0}, {@code message.max.bytes}
 * is {@value #DEFAULT_MESSAGE_MAX_BYTES} bytes and topics are never auto-created. Any of these can be overridden
 * with {@link Builder#brokerProperty(String, Object)}; the listener, role and storage settings the broker manages
 * itself cannot.
 *
 * <p>Kafka logs through SLF4J; the application's logging configuration decides how much of it is shown
 * (logging {@code kafka} and {@code org.apache.kafka} at WARN is recommended). Storage formatting output is
 * captured and only reported when formatting fails. Like a standalone broker, Kafka may halt the JVM on faults it
 * treats as fatal.
 *
 * <p>Security: by default the broker has one PLAINTEXT listener and no authorizer. {@link Builder#security} secures
 * it instead (SASL_SSL with SCRAM-SHA-512 on the broker port, mutual TLS on {@link #mtlsBootstrapServers()} and the
 * controller port, StandardAuthorizer denying what no ACL allows; {@link BrokerSecurity}); {@link #createScramUser}
 * adds users and {@link #superUserClientSettings()} connects as the broker's own super user.
 *
 * <p>A data directory serves one broker at a time: {@code start()} refuses a directory that another embedded broker
 * (in this or another JVM) or a standalone Kafka holds, since two KRaft nodes on one directory corrupt each other.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    /** Host the broker binds to and advertises unless told otherwise. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** The port an application normally serves Kafka on; the builder's default is {@code 0} (any free port). */
    public static final int DEFAULT_PORT = 9092;

    /** Default largest record batch the broker accepts, in bytes (16 MiB). */
    public static final int DEFAULT_MESSAGE_MAX_BYTES = 16 * 1024 * 1024;

    /** Default time {@link #start()} waits for the broker to answer clients. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private static final int NODE_ID = 1;
    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String SASL_LISTENER = "SASL_SSL";
    private static final String MTLS_LISTENER = "MTLS";
    private static final String META_PROPERTIES = "meta.properties";
    private static final String OWN_LOCK_FILE = ".irg-embedded.lock";
    private static final String KAFKA_LOCK_FILE = ".lock";

    /** Settings derived from the builder; callers may not override them with extra properties. */
    private static final Set<String> MANAGED_PROPERTIES = Set.of(
            "process.roles", "node.id", "listeners", "advertised.listeners", "listener.security.protocol.map",
            "controller.listener.names", "inter.broker.listener.name", "controller.quorum.voters",
            "controller.quorum.bootstrap.servers", "log.dirs", "log.dir", "metadata.log.dir");

    private final Path dataDir;
    private final String host;
    private final int requestedPort;
    private final int requestedControllerPort;
    private final Map<String, String> extraProperties;
    private final Duration startTimeout;
    private final BrokerSecurity security;
    private final int requestedMtlsPort;

    private int port;
    private int controllerPort;
    private int mtlsPort;
    private String clusterId;
    private KafkaRaftServer server;
    private FileChannel lockChannel;

    private EmbeddedKafkaBroker(Builder builder) {
        this.dataDir = builder.dataDir.toAbsolutePath().normalize();
        this.host = builder.host;
        this.requestedPort = builder.port;
        this.requestedControllerPort = builder.controllerPort;
        this.extraProperties = Map.copyOf(builder.extraProperties);
        this.startTimeout = builder.startTimeout;
        this.security = builder.security;
        this.requestedMtlsPort = builder.mtlsPort;
    }

    /**
     * Starts building a broker that keeps its data in {@code dataDir}.
     *
     * @param dataDir directory owned by the broker (its log directory); created on start if missing
     * @return a builder with the defaults described on {@link Builder}
     */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /**
     * Starts the broker and waits until it serves clients. Formats the data directory with a new cluster id when
     * it holds no {@code meta.properties} yet. Does nothing if the broker is already running.
     *
     * @return this broker, for chaining
     * @throws EmbeddedKafkaException if a port is taken, the directory cannot be used, or the broker does not
     *                                become ready within the start timeout; the broker is stopped again then
     */
    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            return this;
        }
        long startNanos = System.nanoTime();
        InetAddress address = resolveHost();
        resolvePorts(address);
        createDataDir();
        lockDataDir();
        String storedClusterId;
        String id;
        KafkaRaftServer candidate;
        try {
            storedClusterId = readStoredClusterId();
            id = storedClusterId != null ? storedClusterId : Uuid.randomUuid().toString();
            Properties props = brokerProperties();
            KafkaConfig config;
            try {
                config = KafkaConfig.fromProps(props, false);
            } catch (RuntimeException e) {
                throw new EmbeddedKafkaException("Invalid Kafka broker configuration: " + oneLine(e), e);
            }
            if (storedClusterId == null) {
                formatStorage(props, id);
            }
            candidate = new KafkaRaftServer(config, Time.SYSTEM);
            try {
                candidate.startup();
            } catch (RuntimeException e) {
                shutDownQuietly(candidate);
                throw startupFailure(e);
            }
        } catch (RuntimeException e) {
            unlockDataDir();
            throw e;
        }
        server = candidate;
        clusterId = id;
        try {
            awaitReady(startNanos);
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
        LOG.info("Kafka broker ready on {} in {} ms (cluster {}, data {}, {})", bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), id, dataDir,
                storedClusterId == null ? "newly formatted" : "existing data");
        return this;
    }

    /**
     * Shuts the broker down cleanly and waits for it to finish. The data directory is kept. Does nothing if the
     * broker is not running.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        KafkaRaftServer stopping = server;
        server = null;
        long startNanos = System.nanoTime();
        try {
            stopping.shutdown();
            stopping.awaitShutdown();
        } catch (RuntimeException e) {
            throw new EmbeddedKafkaException("Kafka broker on " + host + ":" + port
                    + " did not shut down cleanly: " + oneLine(e), e);
        } finally {
            unlockDataDir();
        }
        LOG.info("Kafka broker on {}:{} stopped in {} ms", host, port,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /** @return whether {@link #start()} has completed and {@link #stop()} has not been called since */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * @return the {@code host:port} clients connect to
     * @throws IllegalStateException if the broker was built with port 0 and has never been started
     */
    public synchronized String bootstrapServers() {
        return host + ":" + port();
    }

    /**
     * @return the {@code host:port} of the mutual-TLS listener of a secured broker ({@link Builder#security})
     * @throws IllegalStateException if the broker is not secured, or was never started
     */
    public synchronized String mtlsBootstrapServers() {
        if (security == null) {
            throw new IllegalStateException("Kafka broker for " + dataDir + " is not secured: it has no mTLS listener");
        }
        port();
        return host + ":" + mtlsPort;
    }

    /** @return the security of this broker, or null for a plaintext one */
    public BrokerSecurity security() {
        return security;
    }

    /**
     * The settings of a client that may do anything on this broker: none for a plaintext broker, else mutual TLS
     * with the broker's own certificate (a super user), to be used with {@link #mtlsBootstrapServers()}.
     *
     * @return client settings without the bootstrap servers
     */
    public Map<String, Object> superUserClientSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (security != null) {
            m.put("security.protocol", "SSL");
            m.put("ssl.keystore.location", security.keyStore().toString());
            m.put("ssl.keystore.password", security.password());
            m.put("ssl.key.password", security.password());
            m.put("ssl.keystore.type", DevCertificates.STORE_TYPE);
            m.put("ssl.truststore.location", security.trustStore().toString());
            m.put("ssl.truststore.password", security.password());
            m.put("ssl.truststore.type", DevCertificates.STORE_TYPE);
        }
        return m;
    }

    /**
     * Creates or replaces the SCRAM-SHA-512 credential of {@code user} on a secured broker and waits until the broker
     * knows it (through the Admin API as the broker's super user).
     *
     * @param user     the user name; its principal is {@code User:<user>}
     * @param password its password
     * @throws IllegalStateException if the broker is not secured
     * @throws EmbeddedKafkaException if the broker refuses or does not answer within 30 s
     */
    public void createScramUser(String user, String password) {
        if (security == null) {
            throw new IllegalStateException("Kafka broker for " + dataDir + " is not secured: it has no SCRAM users");
        }
        Map<String, Object> admin = new LinkedHashMap<>(superUserClientSettings());
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, mtlsBootstrapServers());
        try (Admin a = Admin.create(admin)) {
            a.alterUserScramCredentials(java.util.List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(
                    user, new org.apache.kafka.clients.admin.ScramCredentialInfo(
                            org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (a.describeUserScramCredentials(java.util.List.of(user)).all().get(30, TimeUnit.SECONDS)
                    .getOrDefault(user, null) == null) {
                if (System.nanoTime() > deadline) {
                    throw new EmbeddedKafkaException("SCRAM user " + user + " was not visible within 30 s");
                }
                Thread.sleep(20);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new EmbeddedKafkaException("cannot create SCRAM user " + user + ": " + oneLine(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("interrupted while creating SCRAM user " + user, e);
        }
    }

    /**
     * @return the port clients connect to
     * @throws IllegalStateException if the broker was built with port 0 and has never been started
     */
    public synchronized int port() {
        if (port == 0) {
            throw new IllegalStateException("Kafka broker for " + dataDir + " has no port yet: start it first");
        }
        return port;
    }

    /**
     * @return the cluster id stored in the data directory
     * @throws IllegalStateException if the broker has never been started
     */
    public synchronized String clusterId() {
        if (clusterId == null) {
            throw new IllegalStateException("Kafka broker for " + dataDir + " has no cluster id yet: start it first");
        }
        return clusterId;
    }

    /** @return the absolute data (log) directory of this broker */
    public Path dataDir() {
        return dataDir;
    }

    /** @return the host the broker binds to and advertises */
    public String host() {
        return host;
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaBroker[" + host + ":" + (port == 0 ? "?" : port) + ", " + dataDir + "]";
    }

    private InetAddress resolveHost() {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new EmbeddedKafkaException("Kafka host " + host + " cannot be resolved: use an IP address such as "
                    + DEFAULT_HOST, e);
        }
    }

    private void resolvePorts(InetAddress address) {
        int brokerPort = choosePort(address, requestedPort, port, "Kafka port", 0);
        int ctrlPort = choosePort(address, requestedControllerPort, controllerPort, "Kafka controller port",
                brokerPort);
        if (brokerPort == ctrlPort) {
            throw new EmbeddedKafkaException("Kafka port and controller port are both " + brokerPort
                    + ": pick two different ports");
        }
        port = brokerPort;
        controllerPort = ctrlPort;
        if (security != null) {
            int m = choosePort(address, requestedMtlsPort, mtlsPort, "Kafka mTLS port", brokerPort);
            if (m == ctrlPort || m == brokerPort) {
                throw new EmbeddedKafkaException("Kafka mTLS port " + m + " is the broker or controller port: pick "
                        + "three different ports");
            }
            mtlsPort = m;
        }
    }

    /** Returns the requested port if free, else the previously chosen one if still free, else a new free one. */
    private int choosePort(InetAddress address, int requested, int previous, String what, int avoid) {
        if (requested != 0) {
            if (!isFree(address, requested)) {
                throw new EmbeddedKafkaException(what + " " + requested + " on " + host
                        + " is already in use: stop the other broker or pick another port");
            }
            return requested;
        }
        if (previous != 0 && isFree(address, previous)) {
            return previous;
        }
        for (int attempt = 0; attempt < 10; attempt++) {
            int candidate = freePort(address);
            if (candidate != avoid) {
                return candidate;
            }
        }
        throw new EmbeddedKafkaException("No free " + what + " found on " + host);
    }

    private static boolean isFree(InetAddress address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private int freePort(InetAddress address) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot open a socket on " + host + " to pick a free port: "
                    + oneLine(e), e);
        }
    }

    private void createDataDir() {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create Kafka data directory " + dataDir + ": " + oneLine(e), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw new EmbeddedKafkaException("Kafka data directory " + dataDir + " is not writable");
        }
    }

    /**
     * Claims the data directory for this broker until it stops. Two KRaft nodes on one directory corrupt each
     * other's metadata log instead of failing, so a second embedded broker (in this JVM or another) or a standalone
     * Kafka holding the directory's {@code .lock} is refused here. Kafka's own {@code .lock} is only probed after
     * our lock is held: at that point no broker of this JVM has it open, so closing the probe cannot drop a lock
     * this JVM holds (POSIX locks belong to the process, not to the channel).
     */
    private void lockDataDir() {
        String inUse = "Kafka data directory " + dataDir + " is in use by another broker:"
                + " stop it or pick another directory";
        FileChannel channel = null;
        try {
            channel = FileChannel.open(dataDir.resolve(OWN_LOCK_FILE), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            if (tryLock(channel) == null) {
                throw new EmbeddedKafkaException(inUse);
            }
            Path kafkaLock = dataDir.resolve(KAFKA_LOCK_FILE);
            if (Files.exists(kafkaLock)) {
                try (FileChannel probe = FileChannel.open(kafkaLock, StandardOpenOption.WRITE)) {
                    FileLock probeLock = tryLock(probe);
                    if (probeLock == null) {
                        throw new EmbeddedKafkaException(inUse);
                    }
                    probeLock.release();
                }
            }
            lockChannel = channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new EmbeddedKafkaException("Cannot lock Kafka data directory " + dataDir + ": " + oneLine(e), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private void unlockDataDir() {
        closeQuietly(lockChannel);
        lockChannel = null;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("Could not close a lock file channel", e);
            }
        }
    }

    /** Returns the cluster id of an already formatted data directory, or null if it was never formatted. */
    private String readStoredClusterId() {
        Path metaFile = dataDir.resolve(META_PROPERTIES);
        if (!Files.exists(metaFile)) {
            return null;
        }
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(metaFile)) {
            meta.load(in);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot read " + metaFile + ": " + oneLine(e), e);
        }
        String stored = meta.getProperty("cluster.id", "").trim();
        if (stored.isEmpty()) {
            throw new EmbeddedKafkaException(metaFile + " has no cluster.id: it is not a KRaft data directory;"
                    + " point the broker at an empty directory");
        }
        String storedNode = meta.getProperty("node.id", "").trim();
        if (!storedNode.isEmpty() && !storedNode.equals(Integer.toString(NODE_ID))) {
            throw new EmbeddedKafkaException(metaFile + " belongs to node " + storedNode + ", not to a single-node"
                    + " embedded broker: point the broker at another directory");
        }
        return stored;
    }

    private Properties brokerProperties() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("offsets.topic.replication.factor", "1");
        settings.put("offsets.topic.num.partitions", "1");
        settings.put("transaction.state.log.replication.factor", "1");
        settings.put("transaction.state.log.min.isr", "1");
        settings.put("transaction.state.log.num.partitions", "1");
        settings.put("share.coordinator.state.topic.replication.factor", "1");
        settings.put("share.coordinator.state.topic.min.isr", "1");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("message.max.bytes", Integer.toString(DEFAULT_MESSAGE_MAX_BYTES));
        settings.put("replica.fetch.max.bytes", Integer.toString(DEFAULT_MESSAGE_MAX_BYTES));
        settings.put("auto.create.topics.enable", "false");
        settings.put("default.replication.factor", "1");
        settings.put("min.insync.replicas", "1");
        settings.putAll(extraProperties);

        settings.put("log.dirs", dataDir.toString());
        if (security != null) {
            secureListeners(settings);
            Properties props = new Properties();
            props.putAll(settings);
            return props;
        }
        String brokerEndpoint = BROKER_LISTENER + "://" + host + ":" + port;
        settings.put("process.roles", "broker,controller");
        settings.put("node.id", Integer.toString(NODE_ID));
        settings.put("listeners", brokerEndpoint + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        settings.put("advertised.listeners", brokerEndpoint);
        settings.put("listener.security.protocol.map",
                BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        settings.put("inter.broker.listener.name", BROKER_LISTENER);
        settings.put("controller.listener.names", CONTROLLER_LISTENER);
        settings.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        settings.put("log.dirs", dataDir.toString());

        Properties props = new Properties();
        props.putAll(settings);
        return props;
    }

    /**
     * SASL_SSL (SCRAM-SHA-512) on the broker port, mutual TLS on the mTLS port (also the inter-broker listener) and on
     * the controller port, StandardAuthorizer denying what no ACL allows.
     */
    private void secureListeners(Map<String, String> settings) {
        String sasl = SASL_LISTENER + "://" + host + ":" + port;
        String mtls = MTLS_LISTENER + "://" + host + ":" + mtlsPort;
        settings.put("process.roles", "broker,controller");
        settings.put("node.id", Integer.toString(NODE_ID));
        settings.put("listeners", sasl + "," + mtls + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        settings.put("advertised.listeners", sasl + "," + mtls);
        settings.put("listener.security.protocol.map", SASL_LISTENER + ":SASL_SSL," + MTLS_LISTENER + ":SSL,"
                + CONTROLLER_LISTENER + ":SSL");
        settings.put("inter.broker.listener.name", MTLS_LISTENER);
        settings.put("controller.listener.names", CONTROLLER_LISTENER);
        settings.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + controllerPort);
        settings.put("sasl.enabled.mechanisms", BrokerSecurity.SCRAM_MECHANISM);
        settings.put("listener.name." + SASL_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        settings.put("ssl.keystore.type", DevCertificates.STORE_TYPE);
        settings.put("ssl.keystore.location", security.keyStore().toString());
        settings.put("ssl.keystore.password", security.password());
        settings.put("ssl.key.password", security.password());
        settings.put("ssl.truststore.type", DevCertificates.STORE_TYPE);
        settings.put("ssl.truststore.location", security.trustStore().toString());
        settings.put("ssl.truststore.password", security.password());
        settings.put("listener.name." + MTLS_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".ssl.client.auth", "required");
        settings.put("listener.name." + CONTROLLER_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".ssl.client.auth",
                "required");
        // a certificate's principal is its CN, as a SCRAM user's is its name
        settings.put("ssl.principal.mapping.rules", "RULE:^CN=([^,]+)(,.*)?$/$1/,DEFAULT");
        settings.put("authorizer.class.name", BrokerSecurity.AUTHORIZER);
        settings.put("allow.everyone.if.no.acl.found", "false");
        settings.put("super.users", security.superUsersSetting());
    }

    private void formatStorage(Properties props, String newClusterId) {
        Path configFile = null;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            configFile = Files.createTempFile("irg-kafka-format-", ".properties");
            try (OutputStream out = Files.newOutputStream(configFile)) {
                props.store(out, "irg-stream embedded broker: storage format");
            }
            int rc;
            try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
                rc = StorageTool.execute(new String[] {
                    "format", "-t", newClusterId, "-c", configFile.toString(), "--ignore-formatted"}, out);
            }
            if (rc != 0) {
                throw new EmbeddedKafkaException("Cannot format Kafka storage in " + dataDir + ": "
                        + lastLine(captured.toString(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot format Kafka storage in " + dataDir + ": " + oneLine(e), e);
        } catch (EmbeddedKafkaException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EmbeddedKafkaException("Cannot format Kafka storage in " + dataDir + ": " + oneLine(e), e);
        } finally {
            if (configFile != null) {
                try {
                    Files.deleteIfExists(configFile);
                } catch (IOException e) {
                    LOG.debug("Could not delete {}", configFile, e);
                }
            }
        }
    }

    private EmbeddedKafkaException startupFailure(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return new EmbeddedKafkaException("Kafka port " + port + " or controller port " + controllerPort
                        + " on " + host + " is already in use: stop the other broker or pick another port", e);
            }
        }
        return new EmbeddedKafkaException("Kafka broker on " + host + ":" + port + " with data in " + dataDir
                + " failed to start: " + oneLine(e), e);
    }

    private void awaitReady(long startNanos) {
        long deadline = startNanos + startTimeout.toNanos();
        Map<String, Object> adminConfig = new LinkedHashMap<>(superUserClientSettings());
        adminConfig.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, host + ":" + (security != null ? mtlsPort : port));
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, "irg-embedded-readiness");
        adminConfig.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
        adminConfig.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2_000);
        Exception last = null;
        try (Admin admin = Admin.create(adminConfig)) {
            while (System.nanoTime() < deadline) {
                try {
                    Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000))
                            .nodes().get(3, TimeUnit.SECONDS);
                    if (nodes.stream().anyMatch(node -> node.id() == NODE_ID)) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    last = e;
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while waiting for the Kafka broker on " + host + ":" + port
                    + " to start", e);
        }
        throw new EmbeddedKafkaException("Kafka broker on " + host + ":" + port + " did not become ready within "
                + startTimeout.toSeconds() + " s" + (last == null ? "" : ": " + oneLine(last)), last);
    }

    private static void shutDownQuietly(KafkaRaftServer candidate) {
        try {
            candidate.shutdown();
            candidate.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("Error while shutting down a Kafka broker that failed to start", e);
        }
    }

    /** The innermost useful message of a failure, on one line. */
    static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root
                && (root instanceof ExecutionException || root.getMessage() == null)) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return message.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\\R");
        return lines.length == 0 || lines[lines.length - 1].isBlank() ? "storage tool failed without output"
                : lines[lines.length - 1].trim();
    }

    /**
     * Builds an {@link EmbeddedKafkaBroker}. Defaults: host {@value EmbeddedKafkaBroker#DEFAULT_HOST}, broker port
     * 0 (any free port), controller port 0 (any free port), start timeout 60 s, no extra properties.
     */
    public static final class Builder {

        private final Path dataDir;
        private String host = DEFAULT_HOST;
        private int port;
        private int controllerPort;
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private BrokerSecurity security;
        private int mtlsPort;

        private Builder(Path dataDir) {
            this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        }

        /**
         * @param host host name or IP address to bind to and advertise to clients
         * @return this builder
         */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            if (host.isBlank()) {
                throw new IllegalArgumentException("Kafka host must not be blank");
            }
            this.host = host.trim();
            return this;
        }

        /**
         * @param port port clients connect to; 0 picks a free one ({@value EmbeddedKafkaBroker#DEFAULT_PORT} is
         *             the usual choice for an application)
         * @return this builder
         */
        public Builder port(int port) {
            this.port = checkPort(port, "Kafka port");
            return this;
        }

        /**
         * @param controllerPort port of the KRaft controller listener (used by the node itself); 0 picks a free one
         * @return this builder
         */
        public Builder controllerPort(int controllerPort) {
            this.controllerPort = checkPort(controllerPort, "Kafka controller port");
            return this;
        }

        /**
         * Adds or overrides one broker setting, e.g. {@code log.retention.hours}.
         *
         * @param name  a Kafka broker configuration name, other than the listener, role and storage settings
         *              the embedded broker manages itself
         * @param value its value; {@code toString()} is used
         * @return this builder
         * @throws IllegalArgumentException if the broker manages {@code name} itself
         */
        public Builder brokerProperty(String name, Object value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (MANAGED_PROPERTIES.contains(name)) {
                throw new IllegalArgumentException("Broker property " + name + " is set by the embedded broker"
                        + " itself: use the builder's host, port, controllerPort or data directory instead");
            }
            extraProperties.put(name, value.toString());
            return this;
        }

        /**
         * Adds or overrides several broker settings; see {@link #brokerProperty(String, Object)}.
         *
         * @param properties broker settings by name
         * @return this builder
         */
        public Builder brokerProperties(Map<String, ?> properties) {
            properties.forEach(this::brokerProperty);
            return this;
        }

        /**
         * @param startTimeout how long {@link EmbeddedKafkaBroker#start()} waits for the broker to serve clients
         * @return this builder
         */
        public Builder startTimeout(Duration startTimeout) {
            Objects.requireNonNull(startTimeout, "startTimeout");
            if (startTimeout.isNegative() || startTimeout.isZero()) {
                throw new IllegalArgumentException("Kafka start timeout must be positive, got " + startTimeout);
            }
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Secures the broker: SASL_SSL with SCRAM-SHA-512 on the broker port, mutual TLS on the mTLS port and the
         * controller port, and the StandardAuthorizer with {@code allow.everyone.if.no.acl.found=false}
         * ({@link BrokerSecurity}). No plaintext listener remains.
         *
         * @param security the broker's certificate, trust store and super users
         * @return this builder
         */
        public Builder security(BrokerSecurity security) {
            this.security = Objects.requireNonNull(security, "security");
            return this;
        }

        /**
         * @param mtlsPort port of the mutual-TLS listener of a secured broker; 0 (the default) picks a free one
         * @return this builder
         */
        public Builder mtlsPort(int mtlsPort) {
            this.mtlsPort = checkPort(mtlsPort, "Kafka mTLS port");
            return this;
        }

        /** @return a broker that is not started yet */
        public EmbeddedKafkaBroker build() {
            if (port != 0 && port == controllerPort) {
                throw new IllegalArgumentException("Kafka port and controller port are both " + port
                        + ": pick two different ports");
            }
            return new EmbeddedKafkaBroker(this);
        }

        private static int checkPort(int port, String what) {
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException(what + " must be between 0 and 65535, got " + port);
            }
            return port;
        }
    }
}
