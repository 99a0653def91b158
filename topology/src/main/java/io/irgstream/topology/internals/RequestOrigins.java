package io.irgstream.topology.internals;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which {@code Host} and {@code Origin} headers the HTTP API answers: its defence against DNS rebinding (a page on
 * another site whose name is made to resolve to this address) and against cross-site requests from a browser.
 *
 * <ul>
 *   <li>A {@code Host} is accepted when it is an IP address literal (a rebinding attack always uses a name), a
 *       loopback name ({@code localhost}, {@code *.localhost}) or one of the allowed host names (case-insensitive,
 *       port ignored); {@code *} among them accepts any.</li>
 *   <li>An {@code Origin} (when a browser sends one) is accepted when it is the same origin as the {@code Host} the
 *       request was sent to, or one of the CORS origins. CORS is off when there are none: no preflight is
 *       answered with {@code Access-Control-Allow-Origin}.</li>
 * </ul>
 *
 * <p>Immutable and safe for concurrent use.
 */
public final class RequestOrigins {
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private final Set<String> hosts;
    private final boolean anyHost;
    private final Set<String> corsOrigins;

    /**
     * @param allowedHosts host names accepted besides IP literals and loopback names; {@code *} accepts any
     * @param corsOrigins  origins ({@code scheme://host[:port]}) allowed to call the API from another site
     * @throws IllegalArgumentException when a CORS origin is not {@code http(s)://host[:port]}
     */
    public RequestOrigins(Collection<String> allowedHosts, Collection<String> corsOrigins) {
        this.hosts = allowedHosts.stream().map(String::trim).filter(h -> !h.isEmpty())
                .map(RequestOrigins::hostName).collect(Collectors.toUnmodifiableSet());
        this.anyHost = hosts.contains("*");
        this.corsOrigins = corsOrigins.stream().map(String::trim).filter(o -> !o.isEmpty()).map(o -> {
            String n = normalizedOrigin(o);
            if (n == null) {
                throw new IllegalArgumentException("'" + o + "' is not an origin: expected http(s)://host[:port]");
            }
            return n;
        }).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether a request whose {@code Host} header is {@code host} is answered (a missing header is not). */
    public boolean hostAllowed(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        String name = hostName(host);
        return anyHost || name.startsWith("[") || IPV4.matcher(name).matches() || name.equals("localhost")
                || name.endsWith(".localhost") || hosts.contains(name);
    }

    /** Whether a request from {@code origin} to {@code host} is same-origin or from a CORS origin. */
    public boolean originAllowed(String origin, String host) {
        String o = normalizedOrigin(origin);
        if (o == null) {
            return false;
        }
        if (corsOrigins.contains(o)) {
            return true;
        }
        if (host == null) {
            return false;
        }
        URI u = URI.create(o);
        String h = host.trim().toLowerCase(Locale.ROOT);
        int defaultPort = u.getScheme().equals("https") ? 443 : 80;
        String withPort = h.matches(".*:\\d+$") ? h : h + ":" + defaultPort;
        return (u.getHost() + ":" + (u.getPort() < 0 ? defaultPort : u.getPort())).equals(withPort);
    }

    /** Whether {@code origin} may call the API from another site (a CORS origin). */
    public boolean corsAllowed(String origin) {
        String o = normalizedOrigin(origin);
        return o != null && corsOrigins.contains(o);
    }

    /** Whether any CORS origin is configured. */
    public boolean corsEnabled() {
        return !corsOrigins.isEmpty();
    }

    /** The host part of a {@code Host} header or name, lower case, without the port; IPv6 keeps its brackets. */
    static String hostName(String host) {
        String h = host.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        if (colon >= 0 && h.indexOf(':', colon + 1) >= 0) {
            return "[" + h + "]"; // a bare IPv6 literal, as in a setting
        }
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** {@code scheme://host[:port]} in lower case, or null when {@code origin} is not an http(s) origin. */
    private static String normalizedOrigin(String origin) {
        if (origin == null) {
            return null;
        }
        URI u;
        try {
            u = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawUserInfo() != null
                || u.getRawQuery() != null || u.getRawFragment() != null
                || u.getRawPath() != null && !u.getRawPath().isEmpty()) {
            return null;
        }
        return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + (u.getPort() < 0 ? "" : ":" + u.getPort());
    }
}
