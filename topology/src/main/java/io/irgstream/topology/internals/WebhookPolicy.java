package io.irgstream.topology.internals;

import io.irgstream.schemas.client.Submission;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Which callback URLs the service may call: http or https (checked by {@link Submission#checkCallbackUrl}) and a host
 * on the operator's allow-list ({@code webhook.allowed.hosts}). An entry is a host name or IP address, matched
 * exactly (case ignored), or {@code *.example.com}, which matches every name under {@code example.com} but not
 * {@code example.com} itself. An empty list refuses every callback, so the service cannot be made to call internal
 * addresses unless the operator names them. Checked at submit and again before each delivery. Immutable.
 */
public final class WebhookPolicy {

    private final List<String> exact = new ArrayList<>();
    private final List<String> suffixes = new ArrayList<>();

    /**
     * @param allowedHosts the allow-list entries
     * @throws IllegalArgumentException naming an entry that is blank or a bare wildcard
     */
    public WebhookPolicy(Collection<String> allowedHosts) {
        for (String raw : allowedHosts) {
            String h = normalise(raw.strip());
            if (h.isEmpty() || h.equals("*") || h.equals("*.")) {
                throw new IllegalArgumentException("'" + raw + "' is not a host: name the hosts callbacks may reach "
                        + "(a name, an address or *.domain); a bare * is not allowed");
            }
            if (h.startsWith("*.")) {
                suffixes.add(h.substring(1));
            } else if (h.contains("*")) {
                throw new IllegalArgumentException("'" + raw + "': a wildcard may only start an entry (*.domain)");
            } else {
                exact.add(h);
            }
        }
    }

    /** @return true when no host is allowed: every callback is refused */
    public boolean refusesAll() {
        return exact.isEmpty() && suffixes.isEmpty();
    }

    /**
     * Checks a callback URL.
     *
     * @param url the URL
     * @return it as a URI
     * @throws IllegalArgumentException saying why it may not be called
     */
    public URI check(String url) {
        URI uri = Submission.checkCallbackUrl(url);
        if (refusesAll()) {
            throw new IllegalArgumentException("callbacks are off on this service: the operator allows no callback "
                    + "host (webhook.allowed.hosts is empty)");
        }
        String host = normalise(uri.getHost());
        if (!allowed(host)) {
            throw new IllegalArgumentException("the callback host '" + host + "' is not on the operator's allow-list "
                    + "(webhook.allowed.hosts)");
        }
        return uri;
    }

    private boolean allowed(String host) {
        if (exact.contains(host)) {
            return true;
        }
        for (String suffix : suffixes) {
            if (host.endsWith(suffix) && host.length() > suffix.length()) {
                return true;
            }
        }
        return false;
    }

    /** Lower case, without IPv6 brackets or a trailing dot. */
    private static String normalise(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".") && h.length() > 1) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }
}
