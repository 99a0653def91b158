package io.irgstream.app.cli;

import io.irgstream.schemas.client.Submission;
import picocli.CommandLine.Option;

/** {@code --callback-url}: the webhook the cluster's topology calls when each submitted trajectory ends. */
public final class CallbackOptions {
    @Option(names = "--callback-url", paramLabel = "URL", description = "POST a signed JSON summary to this http(s) "
            + "URL when each trajectory ends (COMPLETED, FAILED, CANCELLED or EXPIRED). The cluster's topology calls "
            + "it, and only when its host is on the topology's webhook.allowed.hosts (else the call is "
            + "dead-lettered); see docs/api.md#webhooks.")
    String callbackUrl;

    /**
     * The URL given, checked for its form (http or https, a host, no user info); null when none was given.
     *
     * @throws IllegalArgumentException naming what is wrong (exit code 2)
     */
    String callbackUrl() {
        if (callbackUrl == null) {
            return null;
        }
        try {
            Submission.checkCallbackUrl(callbackUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--callback-url: " + e.getMessage(), e);
        }
        return callbackUrl;
    }
}
