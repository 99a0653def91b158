package io.irgstream.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * {@link SchemaRegistryClient} over HTTP with {@code java.net.http}, speaking the Confluent schema registry REST API
 * (content type {@code application/vnd.schemaregistry.v1+json}); works against Confluent, Karapace, Apicurio's
 * Confluent-compatible endpoint and {@link EmbeddedSchemaRegistry}.
 *
 * <p>Several base URLs may be given; a request goes to the last URL that answered and moves on to the next one
 * when a URL cannot be reached. Basic auth is sent when configured (see {@link IrgSerdeConfig}). Schema by id and
 * id by (subject, schema) are cached for the life of the client; they never change in a registry.
 *
 * <p>Thread-safe. The client holds no resources that need closing.
 */
public final class HttpSchemaRegistryClient implements SchemaRegistryClient {

    /** Content type of the Confluent schema registry API, version 1. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> baseUrls;
    private final Optional<String> authorization;
    private final Duration requestTimeout;
    private final HttpClient http;
    private volatile int preferred;

    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    /**
     * Creates a client without authentication and with default timeouts.
     *
     * @param urls comma-separated registry base URLs, e.g. {@code http://localhost:8081}
     * @throws ConfigException when a URL is malformed
     */
    public HttpSchemaRegistryClient(String urls) {
        this(Map.of(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, urls));
    }

    /**
     * Creates a client from settings (see {@link IrgSerdeConfig}): {@code schema.registry.url},
     * {@code basic.auth.credentials.source}, {@code basic.auth.user.info} and the timeouts.
     *
     * @param configs settings; unknown keys are ignored
     * @throws ConfigException when a setting is missing or invalid
     */
    public HttpSchemaRegistryClient(Map<String, ?> configs) {
        this(new IrgSerdeConfig(configs));
    }

    HttpSchemaRegistryClient(IrgSerdeConfig config) {
        List<URI> urls = new ArrayList<>();
        String urlUserInfo = null;
        for (String raw : config.getList(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG)) {
            URI uri = parseUrl(raw.trim());
            if (uri.getRawUserInfo() != null && urlUserInfo == null) {
                urlUserInfo = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
            }
            urls.add(withoutUserInfo(uri));
        }
        this.baseUrls = List.copyOf(urls);
        String userInfo;
        if (IrgSerdeConfig.CREDENTIALS_SOURCE_USER_INFO.equals(
                config.getString(IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG))) {
            Password password = config.getPassword(IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG);
            userInfo = password.value();
        } else {
            userInfo = urlUserInfo;
        }
        this.authorization = Optional.ofNullable(userInfo).map(u ->
                "Basic " + Base64.getEncoder().encodeToString(u.getBytes(StandardCharsets.UTF_8)));
        this.requestTimeout = Duration.ofMillis(config.getInt(IrgSerdeConfig.REQUEST_TIMEOUT_MS_CONFIG));
        HttpClient.Builder http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofMillis(config.getInt(IrgSerdeConfig.CONNECT_TIMEOUT_MS_CONFIG)))
                .followRedirects(HttpClient.Redirect.NORMAL);
        String trustStore = config.getString(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG);
        if (trustStore != null && !trustStore.isBlank()) {
            Password password = config.getPassword(IrgSerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG);
            http.sslContext(trusting(trustStore, password == null ? null : password.value(),
                    config.getString(IrgSerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG)));
        }
        this.http = http.build();
    }

    /** An SSL context that trusts the certificates of {@code file}; a store that cannot be opened names the setting. */
    private static javax.net.ssl.SSLContext trusting(String file, String password, String type) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(file))) {
            java.security.KeyStore store = java.security.KeyStore.getInstance(type);
            store.load(in, password == null ? null : password.toCharArray());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw new ConfigException(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, file, "cannot open the trust "
                    + "store (check it and schema.registry.ssl.truststore.password/type): " + e.getMessage());
        }
    }

    /** @return the registry base URLs this client uses, without credentials */
    public List<URI> baseUrls() {
        return baseUrls;
    }

    @Override
    public int register(String subject, Schema schema) {
        requireSubject(subject);
        Objects.requireNonNull(schema, "schema");
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", body,
                "registering schema " + schema.getFullName() + " under subject " + subject, subject, -1);
        int id = requiredInt(answer, "id", "registering under subject " + subject);
        ids.put(schema, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public Optional<RegisteredSchema> lookup(String subject, Schema schema) {
        requireSubject(subject);
        Objects.requireNonNull(schema, "schema");
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        try {
            JsonNode answer = call("POST", "/subjects/" + encode(subject), body,
                    "looking up schema " + schema.getFullName() + " in subject " + subject, subject, -1);
            String what = "looking up in subject " + subject;
            RegisteredSchema found = new RegisteredSchema(subject, requiredInt(answer, "id", what),
                    requiredInt(answer, "version", what), schema);
            idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>()).put(schema, found.id());
            schemasById.putIfAbsent(found.id(), schema);
            return Optional.of(found);
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Schema getSchemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null, "fetching schema id " + id, null, id);
        Schema schema = parseSchema(requiredText(answer, "schema", "fetching schema id " + id), "schema id " + id);
        Schema raced = schemasById.putIfAbsent(id, schema);
        return raced != null ? raced : schema;
    }

    @Override
    public List<String> getSubjects() {
        JsonNode answer = call("GET", "/subjects", null, "listing subjects", null, -1);
        List<String> subjects = new ArrayList<>();
        answer.forEach(n -> subjects.add(n.asText()));
        return List.copyOf(subjects);
    }

    @Override
    public List<Integer> getVersions(String subject) {
        requireSubject(subject);
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions", null,
                "listing versions of subject " + subject, subject, -1);
        List<Integer> versions = new ArrayList<>();
        answer.forEach(n -> versions.add(n.asInt()));
        return List.copyOf(versions);
    }

    @Override
    public RegisteredSchema getLatest(String subject) {
        requireSubject(subject);
        String what = "fetching latest version of subject " + subject;
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null, what, subject, -1);
        int id = requiredInt(answer, "id", what);
        Schema schema = schemasById.computeIfAbsent(id, i ->
                parseSchema(requiredText(answer, "schema", what), "schema id " + i));
        return new RegisteredSchema(subject, id, requiredInt(answer, "version", what), schema);
    }

    @Override
    public CompatibilityLevel getCompatibility(String subject) {
        String path = subject == null ? "/config" : "/config/" + encode(subject) + "?defaultToGlobal=true";
        String what = "reading compatibility of " + (subject == null ? "the registry" : "subject " + subject);
        JsonNode answer = call("GET", path, null, what, subject, -1);
        JsonNode level = answer.has("compatibilityLevel") ? answer.get("compatibilityLevel") : answer.get("compatibility");
        if (level == null || !level.isTextual()) {
            throw invalidAnswer(what, "no compatibilityLevel in " + abbreviate(answer.toString()));
        }
        try {
            return CompatibilityLevel.parse(level.asText());
        } catch (IllegalArgumentException e) {
            throw invalidAnswer(what, e.getMessage());
        }
    }

    @Override
    public void setCompatibility(String subject, CompatibilityLevel level) {
        Objects.requireNonNull(level, "level");
        String path = subject == null ? "/config" : "/config/" + encode(subject);
        call("PUT", path, JSON.createObjectNode().put("compatibility", level.name()),
                "setting compatibility of " + (subject == null ? "the registry" : "subject " + subject)
                        + " to " + level, subject, -1);
    }

    @Override
    public String toString() {
        return "HttpSchemaRegistryClient" + baseUrls;
    }

    private JsonNode call(String method, String path, JsonNode body, String what, String subject, int schemaId) {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8);
        List<String> failures = new ArrayList<>();
        int start = preferred;
        for (int i = 0; i < baseUrls.size(); i++) {
            int index = (start + i) % baseUrls.size();
            URI base = baseUrls.get(index);
            URI uri = URI.create(stripTrailingSlash(base.toString()) + path);
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(requestTimeout)
                    .header("Accept", CONTENT_TYPE + ", application/json")
                    .method(method, publisher);
            if (body != null) {
                request.header("Content-Type", CONTENT_TYPE);
            }
            authorization.ifPresent(a -> request.header("Authorization", a));
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                failures.add(base + " (" + describe(e) + ")");
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while " + what + " at schema registry " + base,
                        SchemaRegistryException.NO_RESPONSE, SchemaRegistryException.NO_RESPONSE, e);
            }
            preferred = index;
            return handle(response, base, what, subject, schemaId);
        }
        throw new SchemaRegistryException("schema registry unreachable while " + what + ": "
                + String.join(", ", failures), SchemaRegistryException.NO_RESPONSE,
                SchemaRegistryException.NO_RESPONSE, null);
    }

    private JsonNode handle(HttpResponse<String> response, URI base, String what, String subject, int schemaId) {
        int status = response.statusCode();
        String text = response.body() == null ? "" : response.body();
        JsonNode json = null;
        try {
            json = text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
        } catch (JsonProcessingException e) {
            if (status / 100 == 2) {
                throw invalidAnswer(what + " at " + base, "not JSON: " + abbreviate(text));
            }
        }
        if (status / 100 == 2) {
            return json;
        }
        int errorCode = json != null && json.path("error_code").isInt() ? json.get("error_code").asInt() : status;
        String message = json != null && json.path("message").isTextual()
                ? json.get("message").asText() : abbreviate(text);
        String reason;
        if (status == 409) {
            reason = "incompatible schema for subject " + subject + ": " + message;
        } else if (status == 404 && schemaId >= 0) {
            reason = "unknown schema id " + schemaId + " (schema registry " + base + ": " + message + ")";
        } else if (status == 401) {
            reason = "schema registry " + base + " refused " + what + ": HTTP 401, not authenticated (check "
                    + "basic.auth.credentials.source=USER_INFO and basic.auth.user.info=user:password): " + message;
        } else if (status == 403) {
            reason = "schema registry " + base + " refused " + what + ": HTTP 403, the user of "
                    + "basic.auth.user.info may not do this (writes need the registry's admin user): " + message;
        } else {
            reason = "schema registry " + base + " failed " + what + ": HTTP " + status + " error_code " + errorCode
                    + ": " + message;
        }
        throw new SchemaRegistryException(oneLine(reason), status, errorCode, null);
    }

    private static Schema parseSchema(String text, String what) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw invalidAnswer("parsing " + what, e.getMessage());
        }
    }

    private static int requiredInt(JsonNode answer, String field, String what) {
        JsonNode node = answer.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw invalidAnswer(what, "no integer '" + field + "' in " + abbreviate(answer.toString()));
        }
        return node.asInt();
    }

    private static String requiredText(JsonNode answer, String field, String what) {
        JsonNode node = answer.get(field);
        if (node == null || !node.isTextual()) {
            throw invalidAnswer(what, "no text '" + field + "' in " + abbreviate(answer.toString()));
        }
        return node.asText();
    }

    private static SchemaRegistryException invalidAnswer(String what, String detail) {
        return new SchemaRegistryException(oneLine("unexpected schema registry answer while " + what + ": " + detail),
                200, 200, null);
    }

    private static String describe(IOException e) {
        if (e instanceof javax.net.ssl.SSLHandshakeException) {
            return "TLS handshake failed (does schema.registry.ssl.truststore.location trust its certificate?): "
                    + e.getMessage();
        }
        if (e instanceof HttpTimeoutException) {
            return "timed out: " + e.getMessage();
        }
        if (e instanceof ConnectException) {
            return e.getMessage() == null ? "connection refused" : "connection refused: " + e.getMessage();
        }
        Throwable root = e;
        while (root.getCause() != null && root.getMessage() == null) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    private static URI parseUrl(String raw) {
        try {
            URI uri = new URI(raw);
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                    || uri.getHost() == null) {
                throw new ConfigException(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, raw,
                        "not an http(s) URL with a host, e.g. http://localhost:8081");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, raw, e.getMessage());
        }
    }

    private static URI withoutUserInfo(URI uri) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw new ConfigException(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, uri.toString(), e.getMessage());
        }
    }

    private static String stripTrailingSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void requireSubject(String subject) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject must not be blank: '" + subject + "'");
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    static String oneLine(String s) {
        return s.lines().map(String::strip).collect(Collectors.joining(" "));
    }
}
