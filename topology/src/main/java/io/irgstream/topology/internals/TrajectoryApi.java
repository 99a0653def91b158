package io.irgstream.topology.internals;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.PrintableText;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.topology.ApiKeys;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.sse.SseClient;
import io.javalin.http.sse.SseHandler;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API and the web page, on Javalin. Routes are listed in {@code docs/api.md}. Every error answers
 * {@code {"error": "<one line>"}} with a fitting status. The queries are attached once Kafka Streams exists (the
 * server starts first so its port can be published as {@code application.server}); until then, and while the stores
 * are not queryable, data routes answer 503.
 *
 * <p>Event streams are Javalin's Server-Sent Events ({@link SseHandler}, {@link SseClient}): the checks that answer
 * with a status (401/403 in the before-handler, 503 while starting or when the slots are taken, 404 for an id still
 * unknown after the wait) run on the request's thread before the stream opens; the open stream then holds one thread
 * of Javalin's async pool. At most {@code maxStreams} are open at once. A stream for an id not known yet waits for it
 * (holding its server thread) in separate slots (again at most {@code maxStreams}), so clients waiting on unknown ids
 * cannot take the slots of {@code /api/events}. A comment every 2 s of silence finds clients that went away.
 */
public final class TrajectoryApi implements AutoCloseable {

    /** Default and largest {@code limit} of the list route. */
    public static final int DEFAULT_LIMIT = 50;
    /** Largest {@code limit} of the list route. */
    public static final int MAX_LIMIT = 1_000;

    private static final Logger LOG = LoggerFactory.getLogger(TrajectoryApi.class);
    /** Idle time after which a stream sends a comment; a client that went away is noticed at that write. */
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** How long {@link #close} waits for open requests (the event streams end within {@link #POLL}) to complete. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /** The data of the {@code error} event that ends the stream of a client whose subscription overflowed. */
    static final String FELL_BEHIND = "{\"error\":\"this client fell too far behind; reconnect\"}";
    private static final Set<String> SUBMIT_FIELDS = Set.of("prompt", "seed", "rounds", "deadline", "ttlSeconds",
            "tenant", "callbackUrl", "priority");
    private static final Set<String> CANCEL_FIELDS = Set.of("reason");
    /** Longest cancellation reason, in characters. */
    public static final int MAX_CANCEL_REASON_CHARS = 1_000;
    private static final String JSON = "application/json";
    /** Parses request bodies: a repeated key is an error, and so is the source in error messages. */
    private static final JsonFactory STRICT_JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build();
    private static final String IMAGE_NOT_SERVED = "the image cannot be served: it is missing from the blob store, "
            + "unreadable, outside the store, not of an image type or does not match its hash (the server log says "
            + "which)";
    /** The media types the image route serves; an image of any other type is refused (502), never sent. */
    static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/gif", "image/webp");

    private final TrajectoryClient submitter;
    /** Ids this instance submitted for an idempotency key, with their submission time (epoch ms). */
    private final Map<String, Long> recentKeys = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Duration idempotencyRetention = Duration.ofHours(24);
    private volatile WebhookPolicy webhookPolicy = new WebhookPolicy(List.of());
    private volatile int tenantMaxInFlight = Integer.MAX_VALUE;
    private volatile AdmissionGate admission = new AdmissionGate(0, 0);
    private final Map<String, Map<String, Long>> unfoldedByTenant = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile java.util.function.BiConsumer<String, String> tenantSubmits = (tenant, outcome) -> { };
    private final TrajectoryFeed feed;
    private final ImageStore images;
    private final Supplier<KafkaStreams.State> state;
    private final Semaphore streams;
    private final Semaphore waits;
    private final Duration sseWait;
    private final byte[] page;
    private final String pagePolicy;
    private final Javalin app;
    private final RequestOrigins origins;
    private final ApiAuth auth;
    private final HttpTls tls;
    private volatile String bindHost;
    private volatile int bindPort;
    private volatile TrajectoryQueries queries;
    private volatile boolean closing;
    private volatile java.util.function.Supplier<String> metrics;

    /**
     * Creates the API; {@link #start} serves it.
     *
     * @param submitter     writes submitted prompts and cancellations
     * @param feed          committed trajectory changes, for event streams
     * @param images        reads and verifies image bytes
     * @param state         the Kafka Streams state, for health and readiness
     * @param maxStreams    most event streams open at once
     * @param sseWait       how long an event stream for an unknown id waits for it to appear
     * @param origins       the Host and Origin headers answered, and the CORS origins
     */
    public TrajectoryApi(TrajectoryClient submitter, TrajectoryFeed feed,
            ImageStore images, Supplier<KafkaStreams.State> state, int maxStreams, Duration sseWait,
            RequestOrigins origins) {
        this(submitter, feed, images, state, maxStreams, sseWait, origins, null, null);
    }

    /**
     * Creates the API with API keys and TLS; {@link #start} serves it.
     *
     * @param submitter     writes submitted prompts and cancellations
     * @param feed          committed trajectory changes, for event streams
     * @param images        reads and verifies image bytes
     * @param state         the Kafka Streams state, for health and readiness
     * @param maxStreams    most event streams open at once
     * @param sseWait       how long an event stream for an unknown id waits for it to appear
     * @param origins       the Host and Origin headers answered, and the CORS origins
     * @param auth          the API keys and rate limits, or null to answer without keys
     * @param tls           the server's key store, or null to serve plain HTTP
     */
    public TrajectoryApi(TrajectoryClient submitter, TrajectoryFeed feed,
            ImageStore images, Supplier<KafkaStreams.State> state, int maxStreams, Duration sseWait,
            RequestOrigins origins, ApiAuth auth, HttpTls tls) {
        this.auth = auth;
        this.tls = tls;
        this.origins = origins;
        this.submitter = submitter;
        this.feed = feed;
        if (feed != null) {
            feed.addListener(t -> {
                // the trajectory store counts it from now on
                Map<String, Long> mine = unfoldedByTenant.get(t.getTenant() == null ? Submission.DEFAULT_TENANT
                        : t.getTenant());
                if (mine != null) {
                    mine.remove(t.getId());
                }
            });
        }
        this.images = images;
        this.state = state;
        this.streams = new Semaphore(maxStreams);
        this.waits = new Semaphore(maxStreams);
        this.sseWait = sseWait;
        this.page = resource("/io/irgstream/topology/web/index.html");
        this.pagePolicy = pagePolicy(page);
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.http.maxRequestSize = 64 * 1024;
            config.http.prefer405over404 = true;
            config.jetty.modifyServer(server -> {
                server.setErrorHandler(new JsonErrorHandler());
                // close() ends the open event streams within a second; a graceful stop waits for their responses to
                // complete instead of recycling them under Javalin's async threads
                server.insertHandler(new GracefulHandler());
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
            });
            if (tls != null) {
                config.jetty.addConnector((server, http) -> tls.connector(server, http, bindHost, bindPort));
            }
            config.jetty.modifyServletContextHandler(handler -> {
                handler.setErrorHandler(new JsonErrorHandler());
                handler.addFilter(new EventStreamAccept(), "/api/*", EnumSet.of(DispatcherType.REQUEST));
            });
            config.routes.before(this::checkRequest);
            config.routes.options("/api/trajectories", this::preflight);
            config.routes.options("/api/trajectories/{id}/cancel", this::preflight);
            config.routes.get("/", ctx -> {
                ctx.header("Content-Security-Policy", pagePolicy);
                ctx.header("X-Frame-Options", "DENY");
                ctx.header("Referrer-Policy", "no-referrer");
                ctx.contentType("text/html; charset=utf-8").result(page);
            });
            config.routes.get("/healthz", this::health);
            config.routes.get("/readyz", this::ready);
            config.routes.get("/metrics", this::metrics);
            config.routes.post("/api/trajectories", this::submit);
            config.routes.get("/api/trajectories", this::list);
            config.routes.get("/api/trajectories/{id}", this::get);
            config.routes.get("/api/trajectories/{id}/events", ctx -> stream(ctx, ctx.pathParam("id")));
            config.routes.post("/api/trajectories/{id}/cancel", this::cancel);
            config.routes.get("/api/events", ctx -> stream(ctx, null));
            config.routes.get("/api/images/{sha256}", this::image);
            config.routes.get("/api/tenants/{tenant}", this::tenant);
            config.routes.error(404, "*", ctx -> unlessAnswered(ctx, noSuchRoute(ctx)));
            config.routes.error(405, "*", ctx -> unlessAnswered(ctx, methodNotAllowed(ctx)));
            config.routes.exception(ApiException.class, (e, ctx) -> json(ctx, e.status(), error(e.getMessage())));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> json(ctx, e.getStatus(),
                    error(switch (e.getStatus()) {
                        case 413 -> "the request body is larger than 64 KiB";
                        case 405 -> methodNotAllowed(ctx);
                        case 404 -> noSuchRoute(ctx);
                        default -> e.getMessage();
                    })));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                json(ctx, 500, error("internal error: " + e.getClass().getSimpleName() + " (the server log has the "
                        + "details)"));
            });
        });
    }

    /**
     * Starts serving.
     *
     * @param host address to bind
     * @param port port to bind, 0 for any free one
     * @return the bound port
     */
    private void metrics(Context ctx) {
        java.util.function.Supplier<String> scrape = metrics;
        if (scrape == null) {
            throw new ApiException(404, "this process publishes no metrics");
        }
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(scrape.get());
    }

    /** Serves {@code scrape} (Prometheus text format) at {@code /metrics}. */
    public void metrics(java.util.function.Supplier<String> scrape) {
        this.metrics = scrape;
    }

    public int start(String host, int port) {
        bindHost = host;
        bindPort = port;
        app.start(host, port);
        return app.port();
    }

    /**
     * Attaches the queries once Kafka Streams exists.
     *
     * @param queries interactive queries over the stores
     */
    public void attach(TrajectoryQueries queries) {
        this.queries = queries;
    }

    /** Ends the open event streams within a second, lets their responses complete, then stops the server. */
    @Override
    public void close() {
        closing = true;
        app.stop();
    }

    /**
     * Refuses requests with a Host this API does not answer to (DNS rebinding), cross-site POSTs and POST bodies that
     * are not JSON; adds the CORS header for a CORS origin. Health, readiness and metrics are probed by address
     * (kubelet, Prometheus) and skip the Host check.
     */
    private void checkRequest(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        String path = ctx.path();
        String host = ctx.header("Host");
        boolean probe = path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics");
        if (!probe && !origins.hostAllowed(host)) {
            throw new ApiException(403, "this API does not answer to the host name in the Host header; add it to "
                    + "http.allowed.hosts to allow it");
        }
        String origin = ctx.header("Origin");
        if (origin != null && origins.corsAllowed(origin)) {
            ctx.header("Access-Control-Allow-Origin", origin);
            ctx.header("Vary", "Origin");
        }
        authorize(ctx);
        if (ctx.method() == HandlerType.POST) {
            if (origin != null && !origins.originAllowed(origin, host)) {
                throw new ApiException(403, "cross-origin request refused: the Origin is neither this API's own nor "
                        + "one of http.cors.allowed.origins");
            }
            if (!isJson(ctx.header("Content-Type"))) {
                throw new ApiException(415, "send the request with Content-Type: application/json");
            }
        }
    }

    /** Attribute under which a request's {@link ApiKeys.Key} is kept once authorized. */
    private static final String KEY_ATTRIBUTE = "irg.api.key";

    /**
     * With API keys on: every route but the page, the health probes and CORS preflights needs a key (401 without or
     * with an unknown one) of a role that allows it (403): {@code submit} for POSTs, {@code read} for the rest. A
     * POST also takes a token from the key's bucket (429 with Retry-After when empty). The key's Authorization
     * header goes along when a query is forwarded to another instance.
     */
    private void authorize(Context ctx) {
        TrajectoryQueries.forwardAuthorization(null);
        if (auth == null) {
            return;
        }
        String path = ctx.path();
        boolean open = ctx.method() == HandlerType.OPTIONS
                || ctx.method() == HandlerType.GET && (path.equals("/") || path.equals("/healthz")
                || path.equals("/readyz"));
        if (open) {
            return;
        }
        ApiKeys.Role needed = ctx.method() == HandlerType.POST ? ApiKeys.Role.SUBMIT : ApiKeys.Role.READ;
        ApiKeys.Key key;
        try {
            key = auth.authorize(ctx.header("Authorization"), needed);
        } catch (ApiException e) {
            if (e.status() == 401) {
                ctx.header("WWW-Authenticate", "Bearer realm=\"irg\"");
            }
            throw e;
        }
        if (ctx.method() == HandlerType.POST) {
            long retryAfter = auth.takeWrite(key);
            if (retryAfter > 0) {
                ctx.header("Retry-After", Long.toString(retryAfter));
                throw new ApiException(429, "API key " + key.id() + " sent more submits and cancels than its rate "
                        + "limit allows (http.rate.limit.writes.per.second); retry after " + retryAfter + " s");
            }
        }
        ctx.attribute(KEY_ATTRIBUTE, key);
        TrajectoryQueries.forwardAuthorization(ctx.header("Authorization"));
    }

    /** A CORS preflight: allowed for the CORS origins ({@code http.cors.allowed.origins}), refused otherwise. */
    private void preflight(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || !origins.corsAllowed(origin)) {
            throw new ApiException(403, origins.corsEnabled()
                    ? "cross-origin requests from this origin are not allowed (http.cors.allowed.origins)"
                    : "cross-origin requests are off (set http.cors.allowed.origins to allow some)");
        }
        ctx.header("Access-Control-Allow-Methods", "GET, POST");
        ctx.header("Access-Control-Allow-Headers", auth == null ? "Content-Type" : "Content-Type, Authorization");
        ctx.header("Access-Control-Max-Age", "600");
        ctx.status(204);
    }

    private static String noSuchRoute(Context ctx) {
        return "no such route: " + ctx.method() + " " + PrintableText.escape(ctx.path()) + " (docs/api.md lists them)";
    }

    private static String methodNotAllowed(Context ctx) {
        return "method " + ctx.method() + " is not allowed on " + PrintableText.escape(ctx.path());
    }

    /** Answers {@code message} with the status already set, unless a route answered already (its JSON error). */
    private static void unlessAnswered(Context ctx, String message) {
        if (ctx.resultInputStream() == null) {
            json(ctx, ctx.statusCode(), error(message));
        }
    }

    /**
     * The page's Content-Security-Policy: its one inline script by hash, its inline styles, images, fetches and event
     * streams from this origin only, no framing.
     */
    private static String pagePolicy(byte[] page) {
        String html = new String(page, StandardCharsets.UTF_8);
        int start = html.indexOf("<script>");
        int end = html.indexOf("</script>", start);
        if (start < 0 || end < 0 || html.indexOf("<script", end) >= 0) {
            throw new IllegalStateException("the page must hold exactly one inline <script> for its CSP hash");
        }
        String script = html.substring(start + "<script>".length(), end);
        String hash;
        try {
            hash = java.util.Base64.getEncoder().encodeToString(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
        return "default-src 'none'; script-src 'sha256-" + hash + "'; style-src 'unsafe-inline'; img-src 'self' blob:; "
                + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .equalsIgnoreCase(JSON);
    }

    private void health(Context ctx) {
        KafkaStreams.State s = state.get();
        boolean up = s != KafkaStreams.State.ERROR && s != KafkaStreams.State.NOT_RUNNING
                && s != KafkaStreams.State.PENDING_ERROR;
        json(ctx, up ? 200 : 503, obj().put("status", up ? "UP" : "DOWN").put("streams", String.valueOf(s)));
    }

    private void ready(Context ctx) {
        KafkaStreams.State s = state.get();
        boolean ready = s == KafkaStreams.State.RUNNING;
        json(ctx, ready ? 200 : 503, obj().put("ready", ready).put("streams", String.valueOf(s)));
    }

    private void submit(Context ctx) {
        JsonNode body = body(ctx, true);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!SUBMIT_FIELDS.contains(f)) {
                throw new ApiException(400, "unknown field '" + f + "': expected prompt, seed, rounds, deadline, ttlSeconds, tenant, "
                        + "callbackUrl, priority");
            }
        }
        JsonNode prompt = body.path("prompt");
        if (!prompt.isTextual()) {
            throw new ApiException(400, prompt.isMissingNode() || prompt.isNull()
                    ? "the prompt is missing: send {\"prompt\": \"...\"}" : "prompt must be a string");
        }
        Long seed = null;
        JsonNode s = body.path("seed");
        if (!s.isMissingNode() && !s.isNull()) {
            if (!s.isIntegralNumber() || !s.canConvertToLong()) {
                throw new ApiException(400, "seed must be an integer, got " + s);
            }
            seed = s.asLong();
        }
        int rounds = 1;
        JsonNode r = body.path("rounds");
        if (!r.isMissingNode() && !r.isNull()) {
            if (!r.isIntegralNumber() || !r.canConvertToInt()) {
                throw new ApiException(400, "rounds must be an integer between 1 and " + Submission.MAX_ROUNDS
                        + ", got " + r);
            }
            rounds = r.asInt();
        }
        Instant deadline = null;
        JsonNode d = body.path("deadline");
        if (!d.isMissingNode() && !d.isNull()) {
            try {
                deadline = Instant.parse(d.asText());
            } catch (DateTimeParseException e) {
                deadline = null;
            }
            if (!d.isTextual() || deadline == null) {
                throw new ApiException(400, "deadline must be an ISO-8601 UTC timestamp such as "
                        + "\"2026-12-05T08:00:00Z\", got " + d);
            }
        }
        Long ttlSeconds = null;
        JsonNode ttl = body.path("ttlSeconds");
        if (!ttl.isMissingNode() && !ttl.isNull()) {
            if (!ttl.isIntegralNumber() || !ttl.canConvertToLong()) {
                throw new ApiException(400, "ttlSeconds must be an integer number of seconds, got " + ttl);
            }
            ttlSeconds = ttl.asLong();
        }
        if (blankOrControl(prompt.asText())) {
            throw new ApiException(400, "the prompt is empty: it has only blanks or control characters");
        }
        JsonNode tenantNode = body.path("tenant");
        if (!tenantNode.isMissingNode() && !tenantNode.isNull() && !tenantNode.isTextual()) {
            throw new ApiException(400, "tenant must be a string");
        }
        String tenant = tenantNode.isTextual() ? tenantNode.asText() : null;
        ApiKeys.Key caller = ctx.attribute(KEY_ATTRIBUTE);
        if (caller != null && caller.hasTenant()) {
            if (tenant != null && !tenant.equals(caller.tenant())) {
                throw new ApiException(403, "API key " + caller.id() + " submits for tenant '" + caller.tenant()
                        + "' only");
            }
            tenant = caller.tenant();
        }
        String key = ctx.header("Idempotency-Key");
        JsonNode callbackNode = body.path("callbackUrl");
        if (!callbackNode.isMissingNode() && !callbackNode.isNull() && !callbackNode.isTextual()) {
            throw new ApiException(400, "callbackUrl must be a string");
        }
        String callbackUrl = callbackNode.isTextual() ? callbackNode.asText() : null;
        io.irgstream.schemas.client.Priority priority = priority(body.path("priority"));
        Submission submission;
        try {
            if (callbackUrl != null) {
                webhookPolicy.check(callbackUrl);
            }
            submission = new Submission(prompt.asText(), seed, rounds, null,
                    Submission.deadline(deadline, ttlSeconds, Instant.now()), tenant, key, callbackUrl, priority);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
        PromptSubmitted event;
        boolean queued = false;
        String reservation = null;
        try {
            if (key == null) {
                reservation = reserve(ctx, submission.tenant());
                if (reservation == null) {
                    return;
                }
                event = submitter.event(submission);
                queued = !admission.straightOn(event.getContext().getTrajectoryId(), submission.priority());
                submitter.submitEvents(List.of(event), queued);
            } else {
                KeyLookup k = idempotentId(submission);
                if (k.repeat()) {
                    ctx.header("Location", "/api/trajectories/" + k.id());
                    json(ctx, 200, obj().put("id", k.id()).put("repeat", true)
                            .put("url", "/api/trajectories/" + k.id())
                            .put("events", "/api/trajectories/" + k.id() + "/events"));
                    return;
                }
                reservation = reserve(ctx, submission.tenant());
                if (reservation == null) {
                    return;
                }
                event = submitter.event(submission, k.id());
                queued = !admission.straightOn(k.id(), submission.priority());
                submitter.submitEvents(List.of(event), queued);
                recentKeys.put(k.id(), event.getContext().getSubmittedAt().toEpochMilli());
                if (recentKeys.size() > 100_000) {
                    long oldest = System.currentTimeMillis() - idempotencyRetention.toMillis();
                    recentKeys.values().removeIf(at -> at < oldest);
                }
            }
        } catch (IllegalStateException e) {
            throw new ApiException(503, e.getMessage());
        } finally {
            if (reservation != null) {
                unfolded(submission.tenant()).remove(reservation);
            }
        }
        String id = event.getContext().getTrajectoryId();
        // counted here until the trajectory store counts it (the feed shows its record)
        unfolded(submission.tenant()).put(id, System.currentTimeMillis());
        tenantSubmits.accept(submission.tenant(), "accepted");
        ctx.header("Location", "/api/trajectories/" + id);
        json(ctx, 202, obj().put("id", id).put("status", (queued ? TrajectoryStatus.QUEUED
                        : TrajectoryStatus.SUBMITTED).name())
                .put("priority", submission.priority().wireName())
                .put("seed", event.getContext().getSeed()).put("rounds", event.getContext().getRounds())
                .put("deadline", event.getContext().getDeadline() == null ? null
                        : event.getContext().getDeadline().toString())
                .put("url", "/api/trajectories/" + id).put("events", "/api/trajectories/" + id + "/events"));
    }

    /** The submit's {@code priority} field: absent or null is normal; anything but a class name is a 400. */
    private static io.irgstream.schemas.client.Priority priority(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) {
            return io.irgstream.schemas.client.Priority.NORMAL;
        }
        if (!node.isTextual()) {
            throw new ApiException(400, "priority must be a string, one of "
                    + io.irgstream.schemas.client.Priority.NAMES + ", got " + node);
        }
        try {
            return io.irgstream.schemas.client.Priority.parse(node.asText());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
    }

    /**
     * The admission scheduler's gate: which submits go straight to the prompts topic and which through the scheduler
     * (docs/scheduling.md). Default: all straight on (no scheduler).
     */
    public TrajectoryApi admission(AdmissionGate gate) {
        this.admission = gate;
        return this;
    }

    /** How long a submit of this instance is counted before the trajectory store must count it itself. */
    private static final long UNFOLDED_MS = 30_000;

    /**
     * The submits of this instance, by tenant, that the trajectory store may not count yet (id, or a reservation
     * token while one is being made, to when): the fold lags the submits, so without them a burst would pass the
     * limit by all the submits the fold has not seen.
     */
    private Map<String, Long> unfolded(String tenant) {
        return unfoldedByTenant.computeIfAbsent(tenant, t -> new java.util.concurrent.ConcurrentHashMap<>());
    }

    /**
     * Reserves room for one more trajectory of {@code tenant}, or answers 429 when it has {@code tenant.max.in.flight}
     * in flight already - those the trajectory stores of every instance count, plus this instance's submits (and
     * reservations) they do not count yet - with the limit and the count in the body.
     *
     * @return the reservation, to be removed once the submit is done; null when the submit was refused
     */
    private String reserve(Context ctx, String tenant) {
        Map<String, Long> mine = unfolded(tenant);
        long now = System.currentTimeMillis();
        mine.values().removeIf(at -> at < now - UNFOLDED_MS);
        String reservation = "\u0000reservation-" + java.util.UUID.randomUUID();
        mine.put(reservation, now);
        long inFlight;
        try {
            TrajectoryQueries q = queries();
            for (String id : mine.keySet()) {
                if (!id.startsWith("\u0000") && q.local(id).isPresent()) {
                    mine.remove(id); // this instance's store counts it already (its feed shows it a little later)
                }
            }
            inFlight = q.tenantInFlight(tenant, false) + mine.size() - 1;
        } catch (RuntimeException e) {
            mine.remove(reservation);
            throw e;
        }
        if (inFlight < tenantMaxInFlight) {
            return reservation;
        }
        mine.remove(reservation);
        tenantSubmits.accept(tenant, "refused");
        json(ctx, 429, error("tenant '" + tenant + "' has " + inFlight + " trajectories in flight; the limit is "
                + tenantMaxInFlight + " (tenant.max.in.flight): submit again when some have ended")
                .put("tenant", tenant).put("limit", tenantMaxInFlight).put("inFlight", inFlight));
        return null;
    }

    /** {@code GET /api/tenants/{tenant}}: the tenant's trajectories in flight, and its limit. */
    private void tenant(Context ctx) {
        String tenant = ctx.pathParam("tenant");
        try {
            Submission.checkKey("tenant", tenant);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage());
        }
        ApiKeys.Key caller = ctx.attribute(KEY_ATTRIBUTE);
        if (caller != null && caller.hasTenant() && !tenant.equals(caller.tenant())) {
            throw new ApiException(403, "API key " + caller.id() + " reads tenant '" + caller.tenant() + "' only");
        }
        json(ctx, 200, obj().put("tenant", tenant).put("inFlight", queries().tenantInFlight(tenant, localOnly(ctx)))
                .put("limit", tenantMaxInFlight));
    }

    /** Which callback URLs submits may carry ({@code webhook.allowed.hosts}); by default none. */
    public TrajectoryApi webhookPolicy(WebhookPolicy policy) {
        this.webhookPolicy = policy;
        return this;
    }

    /**
     * The per-tenant limit of trajectories in flight ({@code tenant.max.in.flight}), and what is told of each submit:
     * {@code (tenant, "accepted" | "refused")}.
     */
    public TrajectoryApi tenantQuota(int maxInFlight, java.util.function.BiConsumer<String, String> submits) {
        this.tenantMaxInFlight = maxInFlight;
        this.tenantSubmits = submits;
        return this;
    }

    /** The trajectory id of an idempotent submission, and whether it repeats one made within the retention. */
    private record KeyLookup(String id, boolean repeat) {
    }

    /**
     * For a submission with an idempotency key: the trajectory that key started within the retention window (a
     * repeat: nothing is submitted), else the first unused generation of the key's ids (a key reused after the window
     * starts a new trajectory). Two instances that take the same new key at once derive the same id, and the think
     * workers run it once.
     */
    private KeyLookup idempotentId(Submission s) {
        long oldest = System.currentTimeMillis() - idempotencyRetention.toMillis();
        for (int generation = 0; ; generation++) {
            String id = Submission.idFor(s.tenant(), s.idempotencyKey(), generation);
            Long submittedAt = recentKeys.get(id);
            if (submittedAt == null) {
                Optional<JsonNode> t = queries().find(id, false);
                if (t.isPresent()) {
                    JsonNode at = t.get().path("submittedAt");
                    submittedAt = at.isTextual() ? Instant.parse(at.asText()).toEpochMilli() : Long.MAX_VALUE;
                }
            }
            if (submittedAt == null) {
                return new KeyLookup(id, false);
            }
            if (submittedAt >= oldest) {
                return new KeyLookup(id, true);
            }
        }
    }

    /**
     * How long an idempotency key names its first trajectory ({@code idempotency.retention.ms}); a repeat within it
     * answers 200 with that trajectory's id.
     */
    public TrajectoryApi idempotencyRetention(Duration retention) {
        this.idempotencyRetention = retention;
        return this;
    }

    private void get(Context ctx) {
        String id = ctx.pathParam("id");
        JsonNode t = queries().find(id, localOnly(ctx))
                .orElseThrow(() -> new ApiException(404, "unknown trajectory " + id));
        json(ctx, 200, t);
    }

    private void list(Context ctx) {
        TrajectoryStatus status = null;
        String s = ctx.queryParam("status");
        if (s != null && !s.isBlank()) {
            try {
                status = TrajectoryStatus.valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "unknown status '" + s + "': expected one of "
                        + List.of(TrajectoryStatus.values()));
            }
        }
        int limit = DEFAULT_LIMIT;
        String l = ctx.queryParam("limit");
        if (l != null && !l.isBlank()) {
            try {
                limit = Integer.parseInt(l.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new ApiException(400, "limit must be an integer between 1 and " + MAX_LIMIT + ", got " + l);
            }
        }
        List<JsonNode> found = queries().list(status, limit, localOnly(ctx));
        ObjectNode answer = obj();
        ArrayNode items = answer.putArray("trajectories");
        found.forEach(items::add);
        answer.put("count", found.size());
        json(ctx, 200, answer);
    }

    private void cancel(Context ctx) {
        String id = ctx.pathParam("id");
        String reason = null;
        JsonNode body = body(ctx, false);
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!CANCEL_FIELDS.contains(f)) {
                throw new ApiException(400, "unknown field '" + f + "': expected reason");
            }
        }
        JsonNode r = body.path("reason");
        if (!r.isMissingNode() && !r.isNull()) {
            if (!r.isTextual()) {
                throw new ApiException(400, "reason must be a string");
            }
            reason = r.asText();
            if (reason.length() > MAX_CANCEL_REASON_CHARS) {
                throw new ApiException(400, "the reason has " + reason.length() + " characters; the limit is "
                        + MAX_CANCEL_REASON_CHARS);
            }
        }
        JsonNode t = queries().find(id, false).orElseThrow(() -> new ApiException(404, "unknown trajectory " + id));
        ApiKeys.Key caller = ctx.attribute(KEY_ATTRIBUTE);
        if (caller != null && caller.hasTenant()) {
            // a key bound to a tenant cancels that tenant's trajectories only (records before tenants: 'default')
            String owner = t.path("tenant").isTextual() ? t.path("tenant").asText() : Submission.DEFAULT_TENANT;
            if (!owner.equals(caller.tenant())) {
                throw new ApiException(403, "API key " + caller.id() + " cancels trajectories of tenant '"
                        + caller.tenant() + "' only");
            }
        }
        String status = t.path("status").asText();
        if (status.equals(TrajectoryStatus.COMPLETED.name())) {
            throw new ApiException(409, "trajectory " + id + " has already completed; nothing to cancel");
        }
        if (status.equals(TrajectoryStatus.FAILED.name())) {
            throw new ApiException(409, "trajectory " + id + " has already failed; nothing to cancel (its failure "
                    + "stays on record; redrive its dead letters to run it again)");
        }
        if (status.equals(TrajectoryStatus.EXPIRED.name())) {
            throw new ApiException(409, "trajectory " + id + " has expired (its deadline passed); nothing to cancel");
        }
        if (!status.equals(TrajectoryStatus.CANCELLED.name())) {
            try {
                submitter.cancel(id, "http", reason);
            } catch (IllegalStateException e) {
                throw new ApiException(503, e.getMessage());
            }
        }
        json(ctx, 202, obj().put("id", id).put("cancellation", "requested").put("status", status));
    }

    private void image(Context ctx) {
        String sha = ctx.pathParam("sha256");
        if (!sha.matches("[0-9a-f]{64}")) {
            throw new ApiException(400, "'" + sha + "' is not a lower-case hex sha256");
        }
        Optional<ImageRef> ref = queries().localImage(sha);
        if (ref.isPresent()) {
            String mediaType = imageMediaType(ref.get().getMediaType());
            if (mediaType == null) {
                LOG.warn("not serving image {}: its media type '{}' is not one of {}", sha,
                        ref.get().getMediaType(), IMAGE_TYPES);
                throw new ApiException(502, IMAGE_NOT_SERVED);
            }
            byte[] bytes;
            try {
                bytes = images.bytes(ref.get());
            } catch (ImageIntegrityException e) {
                // one answer for every cause (missing, unreadable, outside the store, wrong hash): the client learns
                // nothing about the server's files; the log names the cause
                LOG.warn("not serving image {}: {}", sha, e.getMessage());
                throw new ApiException(502, IMAGE_NOT_SERVED);
            }
            imageHeaders(ctx, sha);
            ctx.contentType(mediaType).result(bytes);
            return;
        }
        if (!localOnly(ctx)) {
            Optional<HttpResponse<byte[]>> remote = queries().remoteImage(sha);
            if (remote.isPresent()) {
                String mediaType = imageMediaType(remote.get().headers().firstValue("Content-Type").orElse(""));
                if (mediaType == null) {
                    throw new ApiException(502, IMAGE_NOT_SERVED);
                }
                imageHeaders(ctx, sha);
                ctx.contentType(mediaType).result(remote.get().body());
                return;
            }
        }
        throw new ApiException(404, "unknown image: no trajectory references it");
    }

    /** {@code type} as one of {@link #IMAGE_TYPES} (case and parameters ignored), or null when it is none of them. */
    static String imageMediaType(String type) {
        if (type == null) {
            return null;
        }
        int semicolon = type.indexOf(';');
        String bare = (semicolon < 0 ? type : type.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
        return IMAGE_TYPES.contains(bare) ? bare : null;
    }

    /**
     * An event stream: one trajectory's changes of status, step or round until it ends ({@code id} given), or every
     * change of every trajectory ({@code id} null). Each message's data is the trajectory's JSON and its id the
     * record's revision. Comments are sent as heartbeats so dead connections are noticed.
     *
     * <p>What answers with a status runs here, before the stream opens (Javalin's {@link SseHandler} commits a 200 at
     * once): the queries must be attached (503), an unknown id waits up to {@code sseWait} (404 then), and a stream
     * slot must be free (503). The open stream, its slot and its subscription then belong to {@link #follow}.
     */
    private void stream(Context ctx, String id) throws InterruptedException {
        TrajectoryQueries q = queries();
        TrajectoryFeed.Subscription sub = feed.subscribe(id);
        boolean handedOver = false;
        try {
            JsonNode first = null;
            if (id != null) {
                first = q.find(id, false).orElse(null);
                if (first == null) {
                    // an unknown id waits in its own slots, so waiting clients cannot take the page's stream slots
                    if (!waits.tryAcquire()) {
                        throw new ApiException(503, "too many event streams are waiting for trajectories that do not "
                                + "exist yet; retry later");
                    }
                    try {
                        long deadline = System.nanoTime() + sseWait.toNanos();
                        while (first == null && System.nanoTime() < deadline && !closing) {
                            Trajectory t = sub.poll(Duration.ofMillis(200));
                            first = t != null ? TrajectoryJson.toJson(t) : q.find(id, false).orElse(null);
                        }
                    } finally {
                        waits.release();
                    }
                    if (first == null) {
                        throw new ApiException(404, "unknown trajectory " + id);
                    }
                }
            }
            if (!streams.tryAcquire()) {
                throw new ApiException(503, "too many open event streams; retry later");
            }
            try {
                JsonNode opening = first;
                // SseHandler answers a request without Accept: text/event-stream with nothing (and never calls
                // follow, which frees the slot): the filter EventStreamAccept gives every request here that header
                String accept = ctx.header("Accept");
                if (accept == null || !accept.contains(EventStreamAccept.EVENT_STREAM)) {
                    throw new IllegalStateException("the EventStreamAccept filter did not run for " + ctx.path());
                }
                new SseHandler(client -> follow(client, sub, id, opening)).handle(ctx);
                handedOver = true;
            } finally {
                if (!handedOver) {
                    streams.release();
                }
            }
        } finally {
            if (!handedOver) {
                sub.close();
            }
        }
    }

    /**
     * Runs an open stream on Javalin's async pool until the single trajectory ends, the client goes away (noticed at
     * the next write: a message or the heartbeat), the subscriber falls too far behind (an {@code error} event, then
     * the end) or the API closes; then frees the stream's slot and subscription. Returning ends the response.
     */
    private void follow(SseClient client, TrajectoryFeed.Subscription sub, String id, JsonNode first) {
        try (sub) {
            long lastRevision = -1;
            String lastState = null;
            if (first != null) {
                send(client, first);
                lastRevision = first.path("revision").asLong();
                lastState = progress(first);
                if (ended(first)) {
                    return;
                }
            } else {
                client.sendComment("connected");
            }
            long lastWrite = System.nanoTime();
            while (!sub.overflowed() && !closing && !client.terminated()) {
                Trajectory t = sub.poll(POLL);
                if (t == null) {
                    if (System.nanoTime() - lastWrite >= HEARTBEAT.toNanos()) {
                        client.sendComment("keepalive");
                        lastWrite = System.nanoTime();
                    }
                    continue;
                }
                JsonNode json = TrajectoryJson.toJson(t);
                if (id != null) {
                    if (t.getRevision() <= lastRevision || progress(json).equals(lastState)) {
                        continue;
                    }
                    lastRevision = t.getRevision();
                    lastState = progress(json);
                }
                send(client, json);
                lastWrite = System.nanoTime();
                if (id != null && ended(json)) {
                    return;
                }
            }
            if (client.terminated()) {
                LOG.debug("event stream client went away");
            } else if (sub.overflowed() && !closing) {
                client.sendEvent("error", FELL_BEHIND);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streams.release();
        }
    }

    private static String progress(JsonNode t) {
        return t.path("status").asText() + "/" + t.path("pendingStep").asText() + "/" + t.path("currentRound").asInt();
    }

    private static boolean ended(JsonNode t) {
        String s = t.path("status").asText();
        return s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELLED") || s.equals("EXPIRED");
    }

    /** One message: id the record's revision, data the trajectory's JSON (one line). */
    private static void send(SseClient client, JsonNode json) {
        try {
            client.sendData(TrajectoryJson.MAPPER.writeValueAsString(json),
                    Long.toString(json.path("revision").asLong()));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TrajectoryQueries queries() {
        TrajectoryQueries q = queries;
        if (q == null) {
            throw new ApiException(503, "the topology is starting; retry shortly");
        }
        return q;
    }

    private static boolean localOnly(Context ctx) {
        return "true".equals(ctx.queryParam(TrajectoryQueries.LOCAL_PARAM));
    }

    private static void imageHeaders(Context ctx, String sha) {
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Content-Security-Policy", "default-src 'none'; sandbox");
        ctx.header("Cache-Control", "public, max-age=31536000, immutable");
        ctx.header("ETag", "\"" + sha + "\"");
    }

    /**
     * The request body as one JSON object, read strictly: the bytes must be UTF-8, the JSON one value with nothing
     * after it, no key repeated, and no string may hold a lone UTF-16 surrogate. Each violation is a 400 that says
     * which.
     */
    static JsonNode body(Context ctx, boolean required) {
        return parseBody(ctx.bodyAsBytes(), required);
    }

    static JsonNode parseBody(byte[] bytes, boolean required) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ApiException(400, "the request body is not valid UTF-8: send the JSON encoded as UTF-8");
        }
        if (text.isBlank()) {
            if (required) {
                throw new ApiException(400, "the request body is empty: send a JSON object");
            }
            return obj();
        }
        JsonNode body;
        try (JsonParser parser = STRICT_JSON.createParser(text)) {
            body = TrajectoryJson.MAPPER.readTree(parser);
            if (parser.nextToken() != null) {
                throw new ApiException(400, "the request body has more after the JSON object (line "
                        + parser.currentTokenLocation().getLineNr() + ", column "
                        + parser.currentTokenLocation().getColumnNr() + "): send exactly one JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "the request body is not valid JSON: " + jsonProblem(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (body == null || !body.isObject()) {
            throw new ApiException(400, "the request body must be a JSON object");
        }
        checkText(body, "the request body");
        return body;
    }

    /** What is wrong with the JSON and where, without the parser's class or feature names. */
    private static String jsonProblem(JsonProcessingException e) {
        String m = e.getOriginalMessage() == null ? "cannot be parsed" : e.getOriginalMessage();
        for (String cut : new String[] {"\n", " (start marker at", " at [Source", " (for ", " (through reference"}) {
            int i = m.indexOf(cut);
            if (i > 0) {
                m = m.substring(0, i);
            }
        }
        m = m.replaceAll("`[a-z][\\w.$]*\\.[A-Z][\\w$]*`", "the value").trim();
        if (e.getLocation() != null && e.getLocation().getLineNr() > 0) {
            m += " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
        }
        return m;
    }

    /** Refuses lone UTF-16 surrogates (from {@code \\ud800} escapes) in every key and string of {@code node}. */
    private static void checkText(JsonNode node, String where) {
        if (node.isTextual()) {
            int bad = loneSurrogate(node.textValue());
            if (bad >= 0) {
                throw new ApiException(400, where + " has a lone UTF-16 surrogate (an unpaired \\u"
                        + Integer.toHexString(node.textValue().charAt(bad)) + " escape) at character " + bad
                        + ": send well-formed Unicode text");
            }
        } else if (node.isObject()) {
            for (Iterator<java.util.Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                java.util.Map.Entry<String, JsonNode> e = it.next();
                if (loneSurrogate(e.getKey()) >= 0) {
                    throw new ApiException(400, "a field name has a lone UTF-16 surrogate: send well-formed "
                            + "Unicode text");
                }
                checkText(e.getValue(), "'" + e.getKey() + "'");
            }
        } else if (node.isArray()) {
            for (JsonNode n : node) {
                checkText(n, where);
            }
        }
    }

    /** The index of the first unpaired surrogate in {@code s}, or -1. */
    static int loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code s} has nothing visible: only whitespace, control and format characters. */
    static boolean blankOrControl(String s) {
        return s.codePoints().allMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c)
                || Character.isISOControl(c) || Character.getType(c) == Character.FORMAT);
    }

    private static ObjectNode obj() {
        return TrajectoryJson.MAPPER.createObjectNode();
    }

    private static ObjectNode error(String message) {
        return obj().put("error", message);
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType(JSON).result(TrajectoryJson.MAPPER.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] resource(String path) {
        try (InputStream in = TrajectoryApi.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("resource " + path + " is missing from the irg-topology jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
