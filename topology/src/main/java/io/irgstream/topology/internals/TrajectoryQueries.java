package io.irgstream.topology.internals;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.topology.TrajectoryTopology;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Interactive queries over the trajectory stores of every instance: a key is read from the local store when this
 * instance owns its partition, else the request is forwarded over HTTP to the owner (found through the host info
 * each instance publishes as {@code application.server}); lists and image lookups ask every instance. Forwarded
 * requests carry {@code local=true} so they are never forwarded again.
 */
public final class TrajectoryQueries {

    /** Query parameter marking a request that must be answered from local stores only. */
    public static final String LOCAL_PARAM = "local";

    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);

    private final KafkaStreams streams;
    private final HostInfo self;
    private final HttpClient http;
    private final String scheme;
    /** The Authorization header of the request this thread serves, sent along with the queries it forwards. */
    private static final ThreadLocal<String> AUTHORIZATION = new ThreadLocal<>();

    /**
     * @param streams the running Kafka Streams app
     * @param self    this instance's application.server host info
     */
    public TrajectoryQueries(KafkaStreams streams, HostInfo self) {
        this(streams, self, null);
    }

    /**
     * @param streams the running Kafka Streams app
     * @param self    this instance's application.server host info
     * @param tls     when the instances serve HTTPS: the context that trusts their certificates; null for HTTP
     */
    public TrajectoryQueries(KafkaStreams streams, HostInfo self, javax.net.ssl.SSLContext tls) {
        this.streams = streams;
        this.self = self;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (tls != null) {
            b.sslContext(tls);
        }
        this.http = b.build();
        this.scheme = tls != null ? "https" : "http";
    }

    /**
     * Sets the Authorization header that the queries forwarded by the current thread carry (the caller's API key,
     * which every instance knows from the shared key file); null for none.
     */
    public static void forwardAuthorization(String authorization) {
        if (authorization == null) {
            AUTHORIZATION.remove();
        } else {
            AUTHORIZATION.set(authorization);
        }
    }

    /**
     * Finds a trajectory wherever it lives.
     *
     * @param id        trajectory id
     * @param localOnly true to read only this instance's stores
     * @return its JSON form, or empty when no instance has it
     * @throws ApiException 503 when the stores are not queryable (starting, rebalancing) or the owner does not answer
     */
    public Optional<JsonNode> find(String id, boolean localOnly) {
        if (!localOnly) {
            KeyQueryMetadata md = metadata(id);
            if (!md.activeHost().equals(self)) {
                HttpResponse<byte[]> r = forward(md.activeHost(), "/api/trajectories/" + encode(id));
                if (r.statusCode() == 404) {
                    return Optional.empty();
                }
                if (r.statusCode() != 200) {
                    throw new ApiException(503, "instance " + md.activeHost().host() + ":" + md.activeHost().port()
                            + " that owns trajectory " + id + " answered HTTP " + r.statusCode() + "; retry shortly");
                }
                return Optional.of(parse(r.body()));
            }
        }
        return local(id).map(TrajectoryJson::toJson);
    }

    /**
     * @param id trajectory id
     * @return the trajectory when this instance's stores hold it
     * @throws ApiException 503 when the stores are not queryable
     */
    public Optional<Trajectory> local(String id) {
        try {
            return Optional.ofNullable(trajectories().get(id));
        } catch (InvalidStateStoreException e) {
            throw unavailable(); // a rebalance began between finding the store and reading it
        }
    }

    /**
     * Lists trajectories, most recently submitted first.
     *
     * @param status    only this status, or null for all
     * @param limit     at most this many
     * @param localOnly true to list only this instance's trajectories
     * @return JSON forms, newest first
     */
    public List<JsonNode> list(TrajectoryStatus status, int limit, boolean localOnly) {
        PriorityQueue<Trajectory> newest = new PriorityQueue<>(ORDER.reversed());
        try (KeyValueIterator<String, Trajectory> it = trajectories().all()) {
            while (it.hasNext()) {
                KeyValue<String, Trajectory> kv = it.next();
                if (status == null || kv.value.getStatus() == status) {
                    newest.add(kv.value);
                    if (newest.size() > limit) {
                        newest.poll();
                    }
                }
            }
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
        List<Trajectory> local = new ArrayList<>(newest);
        local.sort(ORDER);
        List<JsonNode> all = new ArrayList<>();
        local.forEach(t -> all.add(TrajectoryJson.toJson(t)));
        if (!localOnly) {
            String query = "/api/trajectories?limit=" + limit + (status == null ? "" : "&status=" + status.name());
            for (HostInfo other : otherHosts()) {
                HttpResponse<byte[]> r = forward(other, query);
                if (r.statusCode() != 200) {
                    throw new ApiException(503, "instance " + other.host() + ":" + other.port() + " answered HTTP "
                            + r.statusCode() + " to a list request; retry shortly");
                }
                parse(r.body()).path("trajectories").forEach(all::add);
            }
            all.sort(Comparator.comparing(TrajectoryQueries::sortTime).reversed()
                    .thenComparing(n -> n.path("id").asText()));
        }
        return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
    }

    /**
     * Counts a tenant's trajectories in flight (not COMPLETED, FAILED, CANCELLED or EXPIRED): the sum of the counts
     * every task keeps for its partition, on this instance and, unless {@code localOnly}, on every other.
     *
     * @param tenant    the tenant
     * @param localOnly true to count only this instance's trajectories
     * @return how many are in flight
     * @throws ApiException 503 when a store is not queryable or another instance does not answer
     */
    public long tenantInFlight(String tenant, boolean localOnly) {
        long total = 0;
        // the composite store's range visits the store of every local task, each with its own count
        try (KeyValueIterator<String, Long> it = store(TrajectoryTopology.TENANT_STORE,
                QueryableStoreTypes.<String, Long>keyValueStore()).range(tenant, tenant)) {
            while (it.hasNext()) {
                Long n = it.next().value;
                total += n == null ? 0 : n;
            }
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
        if (!localOnly) {
            for (HostInfo other : otherHosts()) {
                HttpResponse<byte[]> r = forward(other, "/api/tenants/" + encode(tenant));
                if (r.statusCode() != 200) {
                    throw new ApiException(503, "instance " + other.host() + ":" + other.port() + " answered HTTP "
                            + r.statusCode() + " to a tenant count; retry shortly");
                }
                total += parse(r.body()).path("inFlight").asLong();
            }
        }
        return total;
    }

    /**
     * Finds an image reference in the trajectory that recorded it, on this instance.
     *
     * @param sha256 image hash
     * @return the reference, or empty when no local trajectory has it
     */
    public Optional<ImageRef> localImage(String sha256) {
        String id;
        try {
            id = store(TrajectoryTopology.IMAGE_INDEX_STORE, QueryableStoreTypes.<String, String>keyValueStore())
                    .get(sha256);
        } catch (InvalidStateStoreException e) {
            throw unavailable();
        }
        if (id == null) {
            return Optional.empty();
        }
        return local(id).map(t -> TrajectoryFold.findImage(t, sha256));
    }

    /**
     * Asks the other instances for an image.
     *
     * @param sha256 image hash
     * @return the first successful answer's body and media type, or empty when none has it
     */
    public Optional<HttpResponse<byte[]>> remoteImage(String sha256) {
        for (HostInfo other : otherHosts()) {
            HttpResponse<byte[]> r = forward(other, "/api/images/" + encode(sha256));
            if (r.statusCode() == 200) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static final Comparator<Trajectory> ORDER = Comparator
            .comparing((Trajectory t) -> t.getSubmittedAt() != null ? t.getSubmittedAt() : t.getCreatedAt())
            .reversed().thenComparing(Trajectory::getId);

    private static Instant sortTime(JsonNode n) {
        String at = n.path("submittedAt").isTextual() ? n.path("submittedAt").asText() : n.path("createdAt").asText();
        try {
            return Instant.parse(at);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    private KeyQueryMetadata metadata(String id) {
        KeyQueryMetadata md;
        try {
            md = streams.queryMetadataForKey(TrajectoryTopology.TRAJECTORY_STORE, id, Serdes.String().serializer());
        } catch (IllegalStateException e) {
            throw unavailable();
        }
        if (md == null || md.equals(KeyQueryMetadata.NOT_AVAILABLE) || md.activeHost() == null) {
            throw unavailable();
        }
        return md;
    }

    private Set<HostInfo> otherHosts() {
        Set<HostInfo> hosts = new LinkedHashSet<>();
        try {
            for (StreamsMetadata m : streams.streamsMetadataForStore(TrajectoryTopology.TRAJECTORY_STORE)) {
                if (!m.hostInfo().equals(self)) {
                    hosts.add(m.hostInfo());
                }
            }
        } catch (IllegalStateException e) {
            throw unavailable();
        }
        return hosts;
    }

    private ReadOnlyKeyValueStore<String, Trajectory> trajectories() {
        return store(TrajectoryTopology.TRAJECTORY_STORE, QueryableStoreTypes.keyValueStore());
    }

    private <T> T store(String name, org.apache.kafka.streams.state.QueryableStoreType<T> type) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, type));
        } catch (InvalidStateStoreException | IllegalStateException e) {
            throw unavailable();
        }
    }

    private ApiException unavailable() {
        return new ApiException(503, "the trajectory store is not queryable now (streams state " + streams.state()
                + "); retry shortly");
    }

    private HttpResponse<byte[]> forward(HostInfo host, String pathAndQuery) {
        String sep = pathAndQuery.contains("?") ? "&" : "?";
        URI uri = URI.create(scheme + "://" + host.host() + ":" + host.port() + pathAndQuery + sep + LOCAL_PARAM + "=true");
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(FORWARD_TIMEOUT).GET();
            String authorization = AUTHORIZATION.get();
            if (authorization != null) {
                request.header("Authorization", authorization);
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new ApiException(503, "instance " + host.host() + ":" + host.port() + " did not answer (" + e
                    + "); retry shortly");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted while asking instance " + host.host() + ":" + host.port());
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return TrajectoryJson.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new ApiException(502, "another instance answered with invalid JSON: " + e.getMessage());
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
