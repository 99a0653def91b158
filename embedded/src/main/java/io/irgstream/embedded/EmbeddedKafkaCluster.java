package io.irgstream.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kafka cluster of several KRaft nodes on this host, each node in its own JVM, for tests and scripts that
 * need a cluster's shape: replication, leader election, a broker that dies.
 *
 * <p>Every node is both broker and controller, and the nodes together are the controller quorum
 * ({@code controller.quorum.voters} names them all), so a three-node cluster keeps its quorum and its data with any
 * one node down. Topics created without a replication factor get {@code min(3, nodes)} replicas and
 * {@code min.insync.replicas} of 2 (1 on a single node); the offsets topic, the transaction state log and the
 * share-group state topic get the same, so a transactional producer's commit survives the loss of one node.
 * {@code unclean.leader.election.enable} is false: a replica that was not in sync never becomes leader.
 *
 * <p>Why one JVM per node: a node must be killable the way a machine or a container dies. A Kafka server inside the
 * test's JVM can only be shut down through its own code (which flushes, hands over leadership and deregisters), not
 * killed; a node in its own JVM is killed with SIGKILL ({@link #kill(int)}): no shutdown hook, no flush, no
 * controlled shutdown, its sockets reset by the operating system. {@link #stop(int)} is the clean counterpart
 * (SIGTERM: Kafka's controlled shutdown). {@link #restart(int)} starts the node again on the same ports and the same
 * data directory, as a restarted machine would.
 *
 * <p>The nodes run Kafka's own launcher ({@code kafka.Kafka} with a generated {@code server.properties}) on the
 * class path of this JVM unless {@link Builder#classPath(String)} says otherwise, and log to
 * {@code <dir>/node-<id>.log} through the logging configuration found on that class path. Storage is formatted in
 * this JVM (with Kafka's {@code StorageTool}) before the first start. Node ids are 1 to {@code nodes}; ports are
 * picked free at the first start and kept for every restart.
 *
 * <p>The child JVMs are stopped when this cluster is closed, and by a shutdown hook if this JVM exits normally; a
 * JVM killed with SIGKILL leaves them running (their command line names the cluster directory).
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    /** Default time {@link #start()} and {@link #restart(int)} wait for nodes to serve clients. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);

    /** Default heap and collector of a node's JVM: small, and light on a shared machine. */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-Xmx512m", "-XX:+UseSerialGC");

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);

    private static final String BROKER_LISTENER = "PLAINTEXT";
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String META_PROPERTIES = "meta.properties";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    /** Settings the cluster derives itself; callers may not override them with extra properties. */
    private static final Set<String> MANAGED_PROPERTIES = Set.of(
            "process.roles", "node.id", "listeners", "advertised.listeners", "listener.security.protocol.map",
            "controller.listener.names", "inter.broker.listener.name", "controller.quorum.voters",
            "controller.quorum.bootstrap.servers", "log.dirs", "log.dir", "metadata.log.dir");

    private final Path dir;
    private final int size;
    private final String host;
    private final Map<String, String> extraProperties;
    private final Duration startTimeout;
    private final List<String> jvmOptions;
    private final String classPath;

    private final int[] ports;
    private final int[] controllerPorts;
    private final Process[] processes;
    private String clusterId;
    private Admin admin;
    private Thread shutdownHook;

    private EmbeddedKafkaCluster(Builder builder) {
        this.dir = builder.dir.toAbsolutePath().normalize();
        this.size = builder.nodes;
        this.host = builder.host;
        this.extraProperties = Map.copyOf(builder.extraProperties);
        this.startTimeout = builder.startTimeout;
        this.jvmOptions = List.copyOf(builder.jvmOptions);
        this.classPath = builder.classPath;
        this.ports = new int[size];
        this.controllerPorts = new int[size];
        this.processes = new Process[size];
    }

    /**
     * Starts building a cluster that keeps each node's data in {@code dir/node-<id>}.
     *
     * @param dir directory owned by the cluster (data, generated configuration, node logs); created if missing
     * @return a builder with the defaults described on {@link Builder}
     */
    public static Builder builder(Path dir) {
        return new Builder(dir);
    }

    /**
     * Starts every node that is not running and waits until all of them serve clients. Formats the nodes' data
     * directories with a new cluster id on first use; a directory formatted before keeps its cluster id.
     *
     * @return this cluster, for chaining
     * @throws EmbeddedKafkaException if a port is taken, storage cannot be formatted, a node's JVM cannot be started,
     *                                or the nodes do not all serve clients within the start timeout (the nodes
     *                                started are stopped again then)
     */
    public synchronized EmbeddedKafkaCluster start() {
        long startNanos = System.nanoTime();
        InetAddress address = resolveHost();
        if (ports[0] == 0) {
            pickPorts(address);
        }
        createDirectory(dir);
        clusterId = storedClusterId();
        boolean formatted = clusterId != null;
        if (clusterId == null) {
            clusterId = Uuid.randomUuid().toString();
        }
        try {
            for (int id = 1; id <= size; id++) {
                Properties props = nodeProperties(id);
                writeConfig(id, props);
                if (readClusterId(dataDir(id)) == null) {
                    formatStorage(id, props);
                }
            }
            for (int id = 1; id <= size; id++) {
                if (!isRunning(id)) {
                    launch(id, address);
                }
            }
            awaitNodes(allIds(), startNanos);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        if (shutdownHook == null) {
            shutdownHook = new Thread(this::destroyAll, "irg-kafka-cluster-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        }
        LOG.info("Kafka cluster of {} nodes ready on {} in {} ms (cluster {}, data {}, {})", size, bootstrapServers(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), clusterId, dir,
                formatted ? "existing data" : "newly formatted");
        return this;
    }

    /**
     * Kills a node's JVM with SIGKILL and waits until it is gone. Nothing of the node runs afterwards: no shutdown
     * hook, no controlled shutdown; the other nodes notice it by its missing heartbeats (after
     * {@code broker.session.timeout.ms}) or its reset connections. Does nothing if the node is not running.
     *
     * @param nodeId a node id, 1 to {@link #size()}
     * @throws EmbeddedKafkaException if the JVM has not exited 30 s after the signal
     */
    public synchronized void kill(int nodeId) {
        Process p = processes[index(nodeId)];
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroyForcibly(); // SIGKILL on Linux and macOS
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new EmbeddedKafkaException("Kafka node " + nodeId + " (pid " + p.pid()
                        + ") did not exit within 30 s of SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while killing Kafka node " + nodeId, e);
        }
        LOG.info("Kafka node {} on {}:{} killed (SIGKILL, pid {})", nodeId, host, ports[index(nodeId)], p.pid());
    }

    /**
     * Stops a node cleanly (SIGTERM: Kafka's controlled shutdown hands its leaderships over before it exits) and
     * waits for it; a node still running after 60 s is killed. The data directory is kept. Does nothing if the node
     * is not running.
     *
     * @param nodeId a node id, 1 to {@link #size()}
     */
    public synchronized void stop(int nodeId) {
        Process p = processes[index(nodeId)];
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy(); // SIGTERM
        try {
            if (!p.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                LOG.warn("Kafka node {} did not stop within {} s of SIGTERM; killing it", nodeId,
                        STOP_TIMEOUT.toSeconds());
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while stopping Kafka node " + nodeId, e);
        }
    }

    /**
     * Starts a node that was killed or stopped again, on the same ports and data directory, and waits until it
     * serves clients. It then catches up on the partitions it replicates; {@link #awaitFullyReplicated(Duration)}
     * waits for that. Does nothing but wait if the node is running.
     *
     * @param nodeId a node id, 1 to {@link #size()}
     * @throws IllegalStateException  if the cluster was never started
     * @throws EmbeddedKafkaException if a port of the node is taken or it does not serve clients within the start
     *                                timeout
     */
    public synchronized void restart(int nodeId) {
        index(nodeId);
        if (clusterId == null) {
            throw new IllegalStateException("Kafka cluster in " + dir + " was never started: start it first");
        }
        long startNanos = System.nanoTime();
        if (!isRunning(nodeId)) {
            launch(nodeId, resolveHost());
        }
        awaitNodes(Set.of(nodeId), startNanos);
        LOG.info("Kafka node {} on {}:{} restarted in {} ms", nodeId, host, ports[index(nodeId)],
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
    }

    /**
     * @param nodeId a node id, 1 to {@link #size()}
     * @return whether the node's JVM is alive (it may still be starting)
     */
    public synchronized boolean isRunning(int nodeId) {
        Process p = processes[index(nodeId)];
        return p != null && p.isAlive();
    }

    /** @return the number of nodes */
    public int size() {
        return size;
    }

    /**
     * @return {@code host:port} of every node, comma-separated, for {@code bootstrap.servers}: a client that knows
     *         all of them can connect while any one is down
     * @throws IllegalStateException if the cluster was never started
     */
    public synchronized String bootstrapServers() {
        if (ports[0] == 0) {
            throw new IllegalStateException("Kafka cluster in " + dir + " has no ports yet: start it first");
        }
        List<String> servers = new ArrayList<>();
        for (int port : ports) {
            servers.add(host + ":" + port);
        }
        return String.join(",", servers);
    }

    /**
     * @param nodeId a node id, 1 to {@link #size()}
     * @return the port clients reach that node on (0 before the first start)
     */
    public synchronized int port(int nodeId) {
        return ports[index(nodeId)];
    }

    /** @return the replication factor of topics created without one, and of the internal topics */
    public int replicationFactor() {
        return Math.min(3, size);
    }

    /** @return {@code min.insync.replicas} of the cluster (and of the transaction state log) */
    public int minInsyncReplicas() {
        return replicationFactor() == 1 ? 1 : 2;
    }

    /**
     * @return the cluster id stored in the nodes' data directories
     * @throws IllegalStateException if the cluster was never started
     */
    public synchronized String clusterId() {
        if (clusterId == null) {
            throw new IllegalStateException("Kafka cluster in " + dir + " has no cluster id yet: start it first");
        }
        return clusterId;
    }

    /**
     * @param nodeId a node id, 1 to {@link #size()}
     * @return that node's data (log) directory
     */
    public Path dataDir(int nodeId) {
        return dir.resolve("node-" + nodeId);
    }

    /**
     * @param nodeId a node id, 1 to {@link #size()}
     * @return the file that node's JVM writes its output to (appended across restarts)
     */
    public Path logFile(int nodeId) {
        index(nodeId);
        return dir.resolve("node-" + nodeId + ".log");
    }

    /**
     * The current leader of one partition, as the controller reports it.
     *
     * @param topic     a topic name
     * @param partition a partition of it
     * @return the leader's node id, or -1 while the partition has no leader
     * @throws EmbeddedKafkaException if the cluster does not answer within 30 s or the partition does not exist
     */
    public int leaderOf(String topic, int partition) {
        TopicDescription d = describe(List.of(topic)).get(topic);
        for (TopicPartitionInfo p : d.partitions()) {
            if (p.partition() == partition) {
                return p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id();
            }
        }
        throw new EmbeddedKafkaException("Topic " + topic + " has no partition " + partition + " (it has "
                + d.partitions().size() + ")");
    }

    /**
     * Waits until every partition of every topic, the internal ones included, has all its replicas in sync: what a
     * rolling restart waits for before it takes the next node down.
     *
     * @param timeout how long to wait
     * @throws EmbeddedKafkaException naming the partitions still under-replicated when the time is up
     */
    public void awaitFullyReplicated(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> under = List.of();
        while (true) {
            try {
                Set<String> names = admin().listTopics(new ListTopicsOptions().listInternal(true)).names()
                        .get(30, TimeUnit.SECONDS);
                under = new ArrayList<>();
                for (TopicDescription d : describe(names).values()) {
                    for (TopicPartitionInfo p : d.partitions()) {
                        if (p.isr().size() < p.replicas().size()) {
                            under.add(d.name() + "-" + p.partition() + " (in sync " + ids(p.isr()) + " of "
                                    + ids(p.replicas()) + ")");
                        }
                    }
                }
                if (under.isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException | EmbeddedKafkaException e) {
                under = List.of("cluster did not answer: " + EmbeddedKafkaBroker.oneLine(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddedKafkaException("Interrupted while waiting for the Kafka cluster to replicate", e);
            }
            if (System.nanoTime() > deadline) {
                throw new EmbeddedKafkaException("Kafka cluster in " + dir + " not fully replicated within "
                        + timeout.toSeconds() + " s: " + under.size() + " partitions behind, e.g. "
                        + under.stream().limit(5).collect(Collectors.joining(", ")));
            }
            sleep(200);
        }
    }

    /**
     * Stops every node cleanly (SIGTERM, all at once, then waits; SIGKILL for any still running after 60 s). The
     * data directories are kept, so {@link #start()} serves the same records again.
     */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroy();
            }
        }
        long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
        for (int i = 0; i < size; i++) {
            Process p = processes[i];
            if (p == null) {
                continue;
            }
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    LOG.warn("Kafka node {} did not stop within {} s of SIGTERM; killing it", i + 1,
                            STOP_TIMEOUT.toSeconds());
                    p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
            processes[i] = null;
        }
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // this JVM is shutting down already; the hook runs or ran
            }
            shutdownHook = null;
        }
    }

    @Override
    public String toString() {
        return "EmbeddedKafkaCluster[" + size + " nodes, " + (ports[0] == 0 ? "not started" : bootstrapServers())
                + ", " + dir + "]";
    }

    private void destroyAll() {
        for (Process p : processes) {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private int index(int nodeId) {
        if (nodeId < 1 || nodeId > size) {
            throw new IllegalArgumentException("Kafka node id must be between 1 and " + size + ", got " + nodeId);
        }
        return nodeId - 1;
    }

    private Set<Integer> allIds() {
        Set<Integer> all = new HashSet<>();
        for (int id = 1; id <= size; id++) {
            all.add(id);
        }
        return all;
    }

    private static String ids(List<Node> nodes) {
        return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(",", "[", "]"));
    }

    private InetAddress resolveHost() {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new EmbeddedKafkaException("Kafka host " + host + " cannot be resolved: use an IP address such as "
                    + EmbeddedKafkaBroker.DEFAULT_HOST, e);
        }
    }

    private void pickPorts(InetAddress address) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < size; i++) {
                ports[i] = freePort(address, held);
                controllerPorts[i] = freePort(address, held);
            }
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException e) {
                    LOG.debug("Could not close a port probe", e);
                }
            }
        }
    }

    /** A free port, held open until all are picked so no two nodes get the same one. */
    private int freePort(InetAddress address, List<ServerSocket> held) {
        try {
            ServerSocket socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, 0));
            held.add(socket);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot open a socket on " + host + " to pick a free port: "
                    + EmbeddedKafkaBroker.oneLine(e), e);
        }
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

    private void launch(int nodeId, InetAddress address) {
        int i = index(nodeId);
        for (int port : new int[] {ports[i], controllerPorts[i]}) {
            if (!awaitFree(address, port)) {
                throw new EmbeddedKafkaException("Port " + port + " of Kafka node " + nodeId + " on " + host
                        + " is in use by another process: stop it, or give the cluster another directory");
            }
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-Dirg.kafka.cluster.dir=" + dir); // names the cluster in `ps`, to find strays of a killed test
        cmd.addAll(List.of("-cp", classPath, "kafka.Kafka", configFile(nodeId).toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile(nodeId).toFile()));
        try {
            processes[i] = pb.start();
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot start the JVM of Kafka node " + nodeId + " (" + java + "): "
                    + EmbeddedKafkaBroker.oneLine(e), e);
        }
    }

    /** A port freed by a node just killed may take a moment; waits up to 10 s. */
    private static boolean awaitFree(InetAddress address, int port) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!isFree(address, port)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(100);
        }
        return true;
    }

    /** Waits until every node in {@code ids} is registered and unfenced, failing early if one's JVM exits. */
    private void awaitNodes(Set<Integer> ids, long startNanos) {
        long deadline = startNanos + startTimeout.toNanos();
        Exception last = null;
        Set<Integer> seen = Set.of();
        while (System.nanoTime() < deadline) {
            for (int id : ids) {
                Process p = processes[index(id)];
                if (p == null || !p.isAlive()) {
                    throw new EmbeddedKafkaException("Kafka node " + id + " exited while starting (exit code "
                            + (p == null ? "?" : p.exitValue()) + "): see " + logFile(id) + ": "
                            + lastLines(logFile(id)));
                }
            }
            try {
                Collection<Node> nodes = admin().describeCluster(new DescribeClusterOptions().timeoutMs(2_000))
                        .nodes().get(3, TimeUnit.SECONDS);
                seen = nodes.stream().map(Node::id).collect(Collectors.toSet());
                if (seen.containsAll(ids)) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EmbeddedKafkaException("Interrupted while waiting for Kafka nodes " + ids + " to start", e);
            }
            sleep(100);
        }
        throw new EmbeddedKafkaException("Kafka nodes " + ids + " in " + dir + " did not all serve clients within "
                + startTimeout.toSeconds() + " s (serving: " + seen + ")"
                + (last == null ? "" : ": " + EmbeddedKafkaBroker.oneLine(last)), last);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            Map<String, Object> config = new LinkedHashMap<>();
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
            config.put(AdminClientConfig.CLIENT_ID_CONFIG, "irg-embedded-cluster");
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
            config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
            admin = Admin.create(config);
        }
        return admin;
    }

    private Map<String, TopicDescription> describe(Collection<String> topics) {
        try {
            return admin().describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new EmbeddedKafkaException("Cannot describe topics " + topics + " on the Kafka cluster in " + dir
                    + ": " + EmbeddedKafkaBroker.oneLine(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while describing topics " + topics, e);
        }
    }

    private Properties nodeProperties(int nodeId) {
        int i = index(nodeId);
        int rf = replicationFactor();
        String minIsr = Integer.toString(minInsyncReplicas());
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("offsets.topic.replication.factor", Integer.toString(rf));
        settings.put("offsets.topic.num.partitions", "3");
        settings.put("transaction.state.log.replication.factor", Integer.toString(rf));
        settings.put("transaction.state.log.min.isr", minIsr);
        settings.put("transaction.state.log.num.partitions", "3");
        settings.put("share.coordinator.state.topic.replication.factor", Integer.toString(rf));
        settings.put("share.coordinator.state.topic.min.isr", minIsr);
        settings.put("default.replication.factor", Integer.toString(rf));
        settings.put("min.insync.replicas", minIsr);
        settings.put("unclean.leader.election.enable", "false");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("message.max.bytes", Integer.toString(EmbeddedKafkaBroker.DEFAULT_MESSAGE_MAX_BYTES));
        settings.put("replica.fetch.max.bytes", Integer.toString(EmbeddedKafkaBroker.DEFAULT_MESSAGE_MAX_BYTES));
        settings.put("auto.create.topics.enable", "false");
        settings.putAll(extraProperties);

        List<String> voters = new ArrayList<>();
        for (int v = 0; v < size; v++) {
            voters.add((v + 1) + "@" + host + ":" + controllerPorts[v]);
        }
        String brokerEndpoint = BROKER_LISTENER + "://" + host + ":" + ports[i];
        settings.put("process.roles", "broker,controller");
        settings.put("node.id", Integer.toString(nodeId));
        settings.put("listeners", brokerEndpoint + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPorts[i]);
        settings.put("advertised.listeners", brokerEndpoint);
        settings.put("listener.security.protocol.map",
                BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        settings.put("inter.broker.listener.name", BROKER_LISTENER);
        settings.put("controller.listener.names", CONTROLLER_LISTENER);
        settings.put("controller.quorum.voters", String.join(",", voters));
        settings.put("log.dirs", dataDir(nodeId).toString());
        Properties props = new Properties();
        props.putAll(new TreeMap<>(settings));
        return props;
    }

    private Path configFile(int nodeId) {
        return dir.resolve("node-" + nodeId + ".properties");
    }

    private void writeConfig(int nodeId, Properties props) {
        try (OutputStream out = Files.newOutputStream(configFile(nodeId))) {
            props.store(out, "irg-stream embedded cluster: node " + nodeId + " of " + size);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot write " + configFile(nodeId) + ": "
                    + EmbeddedKafkaBroker.oneLine(e), e);
        }
    }

    private void formatStorage(int nodeId, Properties props) {
        createDirectory(dataDir(nodeId));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int rc;
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {
                "format", "-t", clusterId, "-c", configFile(nodeId).toString(), "--ignore-formatted"}, out);
        } catch (RuntimeException e) {
            throw new EmbeddedKafkaException("Cannot format the storage of Kafka node " + nodeId + " in "
                    + dataDir(nodeId) + ": " + EmbeddedKafkaBroker.oneLine(e), e);
        }
        if (rc != 0) {
            String text = captured.toString(StandardCharsets.UTF_8).strip();
            throw new EmbeddedKafkaException("Cannot format the storage of Kafka node " + nodeId + " in "
                    + dataDir(nodeId) + ": " + (text.isEmpty() ? "storage tool failed without output"
                    : text.lines().reduce((a, b) -> b).orElse(text)));
        }
    }

    /** The cluster id of the first node's formatted directory, checked against the others; null if none is. */
    private String storedClusterId() {
        String found = null;
        for (int id = 1; id <= size; id++) {
            String c = readClusterId(dataDir(id));
            if (c != null && found != null && !c.equals(found)) {
                throw new EmbeddedKafkaException("Kafka nodes in " + dir + " belong to different clusters (" + found
                        + " and " + c + "): point the cluster at an empty directory");
            }
            found = c != null ? c : found;
        }
        return found;
    }

    private static String readClusterId(Path dataDir) {
        Path metaFile = dataDir.resolve(META_PROPERTIES);
        if (!Files.exists(metaFile)) {
            return null;
        }
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(metaFile)) {
            meta.load(in);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot read " + metaFile + ": " + EmbeddedKafkaBroker.oneLine(e), e);
        }
        String stored = meta.getProperty("cluster.id", "").trim();
        return stored.isEmpty() ? null : stored;
    }

    private static void createDirectory(Path d) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new EmbeddedKafkaException("Cannot create directory " + d + ": " + EmbeddedKafkaBroker.oneLine(e), e);
        }
    }

    private static String lastLines(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("Interrupted while waiting for the Kafka cluster", e);
        }
    }

    /**
     * Builds an {@link EmbeddedKafkaCluster}. Defaults: 3 nodes, host {@value EmbeddedKafkaBroker#DEFAULT_HOST},
     * start timeout 120 s, JVM options {@code -Xmx512m -XX:+UseSerialGC}, this JVM's class path, no extra properties.
     */
    public static final class Builder {

        private final Path dir;
        private int nodes = 3;
        private String host = EmbeddedKafkaBroker.DEFAULT_HOST;
        private final Map<String, String> extraProperties = new LinkedHashMap<>();
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private List<String> jvmOptions = DEFAULT_JVM_OPTIONS;
        private String classPath = System.getProperty("java.class.path");

        private Builder(Path dir) {
            this.dir = Objects.requireNonNull(dir, "dir");
        }

        /**
         * @param nodes number of KRaft nodes, 1 to 9; all are brokers and controller quorum voters (an odd number
         *              keeps a quorum with a minority down)
         * @return this builder
         */
        public Builder nodes(int nodes) {
            if (nodes < 1 || nodes > 9) {
                throw new IllegalArgumentException("A Kafka cluster needs 1 to 9 nodes, got " + nodes);
            }
            this.nodes = nodes;
            return this;
        }

        /**
         * @param host host name or IP address every node binds to and advertises
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
         * Adds or overrides one setting of every node, e.g. {@code broker.session.timeout.ms}.
         *
         * @param name  a Kafka broker configuration name, other than the listener, role, quorum and storage settings
         *              the cluster manages itself
         * @param value its value; {@code toString()} is used
         * @return this builder
         * @throws IllegalArgumentException if the cluster manages {@code name} itself
         */
        public Builder brokerProperty(String name, Object value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            if (MANAGED_PROPERTIES.contains(name)) {
                throw new IllegalArgumentException("Broker property " + name + " is set by the embedded cluster"
                        + " itself: use the builder's nodes, host or directory instead");
            }
            extraProperties.put(name, value.toString());
            return this;
        }

        /**
         * @param startTimeout how long {@link EmbeddedKafkaCluster#start()} and
         *                     {@link EmbeddedKafkaCluster#restart(int)} wait for nodes to serve clients
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
         * @param jvmOptions options of each node's JVM, e.g. {@code -Xmx1g}
         * @return this builder
         */
        public Builder jvmOptions(List<String> jvmOptions) {
            this.jvmOptions = List.copyOf(jvmOptions);
            return this;
        }

        /**
         * @param classPath class path of the nodes' JVMs; it must hold Kafka's server jars ({@code kafka_2.13} and
         *                  its dependencies) and an SLF4J binding with its configuration
         * @return this builder
         */
        public Builder classPath(String classPath) {
            Objects.requireNonNull(classPath, "classPath");
            if (classPath.isBlank()) {
                throw new IllegalArgumentException("Kafka node class path must not be blank");
            }
            this.classPath = classPath;
            return this;
        }

        /** @return a cluster that is not started yet */
        public EmbeddedKafkaCluster build() {
            return new EmbeddedKafkaCluster(this);
        }
    }
}
