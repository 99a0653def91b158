package io.irgstream.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry server to embed in a JVM, speaking the subset of the Confluent REST API that Avro serdes and
 * tools use, so {@link HttpSchemaRegistryClient}, Confluent's serdes and other compatible clients work against it.
 *
 * <p>Endpoints ({@code application/vnd.schemaregistry.v1+json}):
 * <ul>
 *   <li>{@code POST /subjects/{subject}/versions} {@code {"schema": "..."}} &rarr; {@code {"id": n}}</li>
 *   <li>{@code POST /subjects/{subject}} (look up a schema) &rarr; {@code {"subject","id","version","schema"}}</li>
 *   <li>{@code GET /schemas/ids/{id}} &rarr; {@code {"schema": "..."}}; {@code GET /schemas/types}</li>
 *   <li>{@code GET /subjects}, {@code GET /subjects/{subject}/versions},
 *       {@code GET /subjects/{subject}/versions/{version|latest}}</li>
 *   <li>{@code DELETE /subjects/{subject}/versions/{version|latest}} (a soft delete, as Confluent's) &rarr; the
 *       version number</li>
 *   <li>{@code GET|PUT /config} and {@code GET|PUT /config/{subject}} ({@code compatibilityLevel}; GET on a
 *       subject accepts {@code ?defaultToGlobal=true})</li>
 * </ul>
 *
 * <p>Only Avro schemas without references are accepted. Schema ids are global and increase from 1; the same schema
 * gets the same id in every subject, and registering a schema a subject already holds returns its id. A new version
 * is checked against earlier ones at the subject's compatibility level (default {@code BACKWARD}): an incompatible
 * schema gets HTTP 409 (error_code 409), an invalid one HTTP 422 (error_code 42201), as from Confluent's registry.
 * A delete is a soft delete, as Confluent's.
 *
 * <p>Authentication (off unless users are given, {@link Builder#user}): every request needs HTTP basic auth of a
 * known user (401 with {@code WWW-Authenticate} otherwise, error_code 401); only admin users may write
 * ({@code POST /subjects/{s}/versions}, {@code PUT /config}, {@code DELETE}), others get 403 (error_code 40301) for
 * a write and may read, including {@code POST /subjects/{s}} (a lookup). With a key store ({@link Builder#tls}) it
 * serves HTTPS only.
 *
 * <p>With a store file, every change is written to it (atomically: temporary file, then move) before it is
 * acknowledged, and a registry started on the same file has the same ids, versions and levels. Only one registry
 * may use a store file at a time.
 *
 * <p>Thread-safe. Lifecycle: build, {@link #start()}, {@link #url()}, {@link #close()}; an instance starts once.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    /** The Confluent schema registry's default port. */
    public static final int DEFAULT_PORT = 8081;
    /** The host the registry binds to by default: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

    private final String host;
    private final int requestedPort;
    private final Path storeFile;
    private final CompatibilityLevel defaultCompatibility;
    private final java.util.Map<String, User> users;
    private final javax.net.ssl.SSLContext tls;
    private final Object lifecycle = new Object();
    private RegistryState state;
    private HttpServer server;
    private ExecutorService executor;
    private volatile String url;
    private boolean closed;

    /**
     * Creates a registry with {@code BACKWARD} compatibility; call {@link #start()} to serve.
     *
     * @param host      host or address to bind, e.g. {@code 127.0.0.1} ({@code 0.0.0.0} for every interface)
     * @param port      port, or 0 for an ephemeral one (see {@link #port()})
     * @param storeFile JSON file that keeps schemas and ids across restarts, or null to keep them in memory only
     */
    public EmbeddedSchemaRegistry(String host, int port, Path storeFile) {
        this(host, port, storeFile, CompatibilityLevel.BACKWARD, java.util.Map.of(), null);
    }

    /** A user of the registry: the SHA-256 of its password and whether it may write. */
    private record User(byte[] passwordSha256, boolean admin) {
    }

    private EmbeddedSchemaRegistry(String host, int port, Path storeFile, CompatibilityLevel defaultCompatibility,
            java.util.Map<String, User> users, javax.net.ssl.SSLContext tls) {
        this.users = java.util.Map.copyOf(users);
        this.tls = tls;
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("schema registry host must not be blank: '" + host + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("schema registry port must be 0-65535, got " + port);
        }
        this.host = host;
        this.requestedPort = port;
        this.storeFile = storeFile;
        this.defaultCompatibility = Objects.requireNonNull(defaultCompatibility, "defaultCompatibility");
    }

    /** @return a builder with host {@value #DEFAULT_HOST}, port {@value #DEFAULT_PORT}, no store, BACKWARD */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Loads the store file (if any) and starts serving.
     *
     * @return this registry
     * @throws IllegalStateException when the port is already in use, the store file is corrupt, or the registry
     *     was closed
     * @throws UncheckedIOException  when the store file cannot be read or the server cannot be created
     */
    public EmbeddedSchemaRegistry start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("schema registry was closed; create a new EmbeddedSchemaRegistry");
            }
            if (server != null) {
                return this;
            }
            RegistryState loaded = new RegistryState(storeFile, defaultCompatibility);
            InetSocketAddress address = new InetSocketAddress(host, requestedPort);
            if (address.isUnresolved()) {
                throw new IllegalStateException("schema registry host '" + host + "' cannot be resolved");
            }
            HttpServer created;
            try {
                if (tls != null) {
                    com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 64);
                    https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
                    created = https;
                } else {
                    created = HttpServer.create(address, 64);
                }
            } catch (BindException e) {
                throw new IllegalStateException("schema registry port " + requestedPort + " on " + host
                        + " is already in use (" + e.getMessage() + "); stop the other process or choose another port",
                        e);
            } catch (IOException e) {
                throw new UncheckedIOException("schema registry cannot listen on " + host + ":" + requestedPort + ": "
                        + e.getMessage(), e);
            }
            ExecutorService pool = Executors.newFixedThreadPool(4, daemonThreads());
            created.setExecutor(pool);
            created.createContext("/", this::handle);
            created.start();
            this.state = loaded;
            this.server = created;
            this.executor = pool;
            String urlHost = address.getAddress().isAnyLocalAddress() ? "localhost" : host;
            if (urlHost.contains(":") && !urlHost.startsWith("[")) {
                urlHost = "[" + urlHost + "]";
            }
            this.url = (tls != null ? "https://" : "http://") + urlHost + ":" + created.getAddress().getPort();
            LOG.info("Schema registry listening on {} (store: {}, {})", url, storeFile == null ? "in memory" : storeFile,
                    users.isEmpty() ? "no authentication" : "basic auth, " + users.size() + " users");
            return this;
        }
    }

    /**
     * @return base URL of the running registry, e.g. {@code http://127.0.0.1:8081}, for {@code schema.registry.url}
     * @throws IllegalStateException when not started
     */
    public String url() {
        String u = url;
        if (u == null) {
            throw new IllegalStateException("schema registry is not started: call start() first");
        }
        return u;
    }

    /**
     * @return the port the registry listens on (the ephemeral one chosen when 0 was requested)
     * @throws IllegalStateException when not started
     */
    public int port() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("schema registry is not started: call start() first");
            }
            return server.getAddress().getPort();
        }
    }

    /** @return the store file, or null when the registry keeps its data in memory only */
    public Path storeFile() {
        return storeFile;
    }

    /** Stops serving; the store file holds every acknowledged change. Idempotent. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            if (server != null) {
                server.stop(0);
                executor.shutdownNow();
                try {
                    executor.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                LOG.info("Schema registry on {} stopped", url);
            }
        }
    }

    @Override
    public String toString() {
        return "EmbeddedSchemaRegistry[" + (url != null ? url : host + ":" + requestedPort) + ", store="
                + storeFile + "]";
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            int status = 200;
            JsonNode body;
            try {
                authorize(exchange);
                body = route(exchange);
            } catch (RegistryState.RegistryError e) {
                status = e.status;
                body = error(e.errorCode, e.getMessage());
                if (status == 401) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"schema-registry\"");
                }
            } catch (RuntimeException e) {
                LOG.error("Schema registry failed on {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
                status = 500;
                body = error(50001, HttpSchemaRegistryClient.oneLine("Internal error: " + e));
            }
            byte[] bytes = JSON.writeValueAsBytes(body);
            exchange.getResponseHeaders().set("Content-Type", HttpSchemaRegistryClient.CONTENT_TYPE);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /**
     * With users: 401 unless the request carries basic auth of a known user with its password, 403 for a write by a
     * user who is not an admin. A write is any PUT or DELETE, and a POST other than a lookup
     * ({@code POST /subjects/{subject}}).
     */
    private void authorize(HttpExchange exchange) {
        if (users.isEmpty()) {
            return;
        }
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        String name = null;
        String password = null;
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
                        StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                if (colon > 0) {
                    name = decoded.substring(0, colon);
                    password = decoded.substring(colon + 1);
                }
            } catch (IllegalArgumentException e) {
                name = null;
            }
        }
        User user = name == null ? null : users.get(name);
        // compare hashes in constant time; an unknown user costs the same hash
        byte[] given = sha256(password == null ? "" : password);
        boolean ok = user != null && java.security.MessageDigest.isEqual(given, user.passwordSha256());
        if (!ok) {
            throw new RegistryState.RegistryError(401, 401, header == null
                    ? "Unauthorized: this registry requires HTTP basic auth (basic.auth.credentials.source=USER_INFO, "
                            + "basic.auth.user.info=user:password)"
                    : "Unauthorized: unknown user or wrong password");
        }
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        boolean lookup = method.equals("POST") && path.size() == 2 && path.get(0).equals("subjects");
        boolean write = method.equals("PUT") || method.equals("DELETE") || method.equals("POST") && !lookup;
        if (write && !user.admin()) {
            throw new RegistryState.RegistryError(403, 40301, "User '" + name + "' is denied operation "
                    + method + " " + exchange.getRequestURI().getRawPath() + ": only the registry's admin users "
                    + "write");
        }
    }

    private static byte[] sha256(String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }

    private JsonNode route(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        List<String> path = segments(exchange.getRequestURI().getRawPath());
        String query = exchange.getRequestURI().getRawQuery();
        int n = path.size();
        if (n == 0) {
            requireMethod(method, "GET");
            return JSON.createObjectNode();
        }
        switch (path.get(0)) {
            case "schemas":
                if (n == 2 && path.get(1).equals("types")) {
                    requireMethod(method, "GET");
                    return JSON.createArrayNode().add("AVRO");
                }
                if (n == 3 && path.get(1).equals("ids")) {
                    requireMethod(method, "GET");
                    int id = parseId(path.get(2));
                    String schema = state.schemaById(id).orElseThrow(() -> new RegistryState.RegistryError(404,
                            SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
                    return JSON.createObjectNode().put("schema", schema);
                }
                break;
            case "subjects":
                if (n == 1) {
                    requireMethod(method, "GET");
                    ArrayNode subjects = JSON.createArrayNode();
                    state.subjects().forEach(subjects::add);
                    return subjects;
                }
                String subject = path.get(1);
                if (n == 2) {
                    requireMethod(method, "POST");
                    return state.lookup(subject, schemaText(exchange));
                }
                if (path.get(2).equals("versions")) {
                    if (n == 3 && method.equals("POST")) {
                        return JSON.createObjectNode().put("id", state.register(subject, schemaText(exchange)));
                    }
                    if (n == 4 && method.equals("DELETE")) {
                        return JSON.getNodeFactory().numberNode(state.delete(subject, path.get(3)));
                    }
                    requireMethod(method, "GET");
                    if (n == 3) {
                        ArrayNode versions = JSON.createArrayNode();
                        state.versions(subject).forEach(versions::add);
                        return versions;
                    }
                    if (n == 4) {
                        return state.version(subject, path.get(3));
                    }
                }
                break;
            case "config":
                if (n > 2) {
                    break;
                }
                String configSubject = n == 2 ? path.get(1) : null;
                if (method.equals("PUT")) {
                    CompatibilityLevel level = levelFrom(readBody(exchange));
                    state.setLevel(configSubject, level);
                    return JSON.createObjectNode().put("compatibility", level.name());
                }
                requireMethod(method, "GET");
                CompatibilityLevel level;
                if (configSubject == null) {
                    level = state.globalLevel();
                } else {
                    boolean defaultToGlobal = query != null && query.contains("defaultToGlobal=true");
                    level = state.subjectLevel(configSubject).or(() -> defaultToGlobal
                            ? java.util.Optional.of(state.globalLevel()) : java.util.Optional.empty())
                            .orElseThrow(() -> new RegistryState.RegistryError(404,
                                    SchemaRegistryException.SUBJECT_COMPATIBILITY_NOT_CONFIGURED,
                                    "Subject '" + configSubject + "' does not have subject-level compatibility "
                                            + "configured"));
                }
                return JSON.createObjectNode().put("compatibilityLevel", level.name());
            default:
                break;
        }
        throw new RegistryState.RegistryError(404, 404, "HTTP 404 Not Found");
    }

    private static void requireMethod(String actual, String expected) {
        if (!actual.equals(expected)) {
            throw new RegistryState.RegistryError(405, 405, "HTTP 405 Method Not Allowed");
        }
    }

    private static int parseId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new RegistryState.RegistryError(404, SchemaRegistryException.SCHEMA_NOT_FOUND,
                    "Schema " + text + " not found");
        }
    }

    private static String schemaText(HttpExchange exchange) throws IOException {
        JsonNode body = readBody(exchange);
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new RegistryState.RegistryError(422, SchemaRegistryException.INVALID_SCHEMA,
                    "Unsupported schemaType " + type + ": this registry serves AVRO only");
        }
        if (body.path("references").size() > 0) {
            throw new RegistryState.RegistryError(422, SchemaRegistryException.INVALID_SCHEMA,
                    "Schema references are not supported: inline the referenced types");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RegistryState.RegistryError(422, SchemaRegistryException.INVALID_SCHEMA,
                    "Empty schema: the body needs a \"schema\" string");
        }
        return schema.asText();
    }

    private static CompatibilityLevel levelFrom(JsonNode body) {
        JsonNode level = body.has("compatibility") ? body.get("compatibility") : body.get("compatibilityLevel");
        try {
            return CompatibilityLevel.parse(level == null ? null : level.asText());
        } catch (IllegalArgumentException e) {
            throw new RegistryState.RegistryError(422, SchemaRegistryException.INVALID_COMPATIBILITY_LEVEL,
                    "Invalid compatibility level: " + e.getMessage());
        }
    }

    private static JsonNode readBody(HttpExchange exchange) throws IOException {
        byte[] bytes = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
        if (bytes.length > MAX_BODY_BYTES) {
            throw new RegistryState.RegistryError(413, 413, "Request body larger than " + MAX_BODY_BYTES + " bytes");
        }
        try {
            JsonNode body = JSON.readTree(bytes);
            if (body == null || !body.isObject()) {
                throw new RegistryState.RegistryError(400, 400, "Request body must be a JSON object");
            }
            return body;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new RegistryState.RegistryError(400, 400,
                    HttpSchemaRegistryClient.oneLine("Malformed JSON: " + e.getOriginalMessage()));
        }
    }

    private static ObjectNode error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static List<String> segments(String rawPath) {
        List<String> result = new ArrayList<>();
        for (String segment : rawPath.split("/")) {
            if (!segment.isEmpty()) {
                result.add(URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8));
            }
        }
        return result;
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "schema-registry-http-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Builder of {@link EmbeddedSchemaRegistry}. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private Path storeFile;
        private CompatibilityLevel compatibility = CompatibilityLevel.BACKWARD;
        private final java.util.Map<String, User> users = new java.util.LinkedHashMap<>();
        private javax.net.ssl.SSLContext tls;

        private Builder() {
        }

        /**
         * Adds a user; with at least one, every request needs HTTP basic auth of a user.
         *
         * @param name     user name, without ':'
         * @param password its password
         * @param admin    whether it may write (register schemas, set compatibility levels, delete versions); other
         *                 users only read
         * @return this builder
         */
        public Builder user(String name, String password, boolean admin) {
            if (name == null || name.isEmpty() || name.contains(":") || password == null || password.isEmpty()) {
                throw new IllegalArgumentException("a registry user needs a name without ':' and a password");
            }
            users.put(name, new User(sha256(password), admin));
            return this;
        }

        /**
         * Serves HTTPS with the private key and certificate of a key store.
         *
         * @param keyStore PKCS12 or JKS file
         * @param password its password, also the key's
         * @return this builder
         * @throws IllegalArgumentException when the store cannot be opened
         */
        public Builder tls(Path keyStore, String password) {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(keyStore)) {
                java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
                store.load(in, password.toCharArray());
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(store, password.toCharArray());
                javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
                context.init(kmf.getKeyManagers(), null, null);
                this.tls = context;
                return this;
            } catch (IOException | java.security.GeneralSecurityException e) {
                throw new IllegalArgumentException("cannot open the registry's key store " + keyStore + ": "
                        + e.getMessage(), e);
            }
        }

        /**
         * @param host host or address to bind (default {@value EmbeddedSchemaRegistry#DEFAULT_HOST})
         * @return this builder
         */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /**
         * @param port port to listen on, 0 for an ephemeral one (default {@value EmbeddedSchemaRegistry#DEFAULT_PORT})
         * @return this builder
         */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /**
         * @param storeFile JSON file that keeps schemas and ids across restarts; null (default) for memory only
         * @return this builder
         */
        public Builder storeFile(Path storeFile) {
            this.storeFile = storeFile;
            return this;
        }

        /**
         * @param level global compatibility level used until one is set with {@code PUT /config} (default BACKWARD)
         * @return this builder
         */
        public Builder defaultCompatibility(CompatibilityLevel level) {
            this.compatibility = level;
            return this;
        }

        /** @return a registry, not yet started */
        public EmbeddedSchemaRegistry build() {
            return new EmbeddedSchemaRegistry(host, port, storeFile, compatibility, users, tls);
        }
    }
}
