package io.irgstream.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.topology.TopologyConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The callback allow-list, the signature and the backoff, without a broker. */
class WebhookPolicyTest {

    @Test
    void shouldAllowOnlyListedHostsAndNamesUnderAWildcardDomain() {
        WebhookPolicy p = new WebhookPolicy(List.of("hooks.example.com", "*.shop.example", "10.1.2.3", "::1"));
        assertThat(p.check("https://hooks.example.com/a?b=c").getHost()).isEqualTo("hooks.example.com");
        assertThat(p.check("http://HOOKS.example.com.:8080/a").getPort()).isEqualTo(8080);
        assertThat(p.check("https://eu.shop.example/x")).isNotNull();
        assertThat(p.check("http://10.1.2.3/x")).isNotNull();
        assertThat(p.check("http://[::1]:9000/x")).isNotNull();
        assertThatThrownBy(() -> p.check("https://shop.example/x")).hasMessageContaining("'shop.example' is not on");
        assertThatThrownBy(() -> p.check("https://evilshop.example/x")).hasMessageContaining("is not on");
        assertThatThrownBy(() -> p.check("https://hooks.example.com.evil.net/x")).hasMessageContaining("is not on");
        assertThatThrownBy(() -> p.check("http://127.0.0.1/x")).hasMessageContaining("'127.0.0.1' is not on");
        assertThatThrownBy(() -> p.check("gopher://hooks.example.com/x")).hasMessageContaining("http or https");
        assertThatThrownBy(() -> p.check("https://u:p@hooks.example.com/x")).hasMessageContaining("user info");
    }

    @Test
    void shouldRefuseEveryCallbackByDefault() {
        WebhookPolicy none = new WebhookPolicy(List.of());
        assertThat(none.refusesAll()).isTrue();
        assertThatThrownBy(() -> none.check("https://hooks.example.com/x"))
                .hasMessageContaining("webhook.allowed.hosts is empty");
        assertThatThrownBy(() -> new WebhookPolicy(List.of("*"))).hasMessageContaining("a bare * is not allowed");
        assertThatThrownBy(() -> new WebhookPolicy(List.of("a.*.com"))).hasMessageContaining("may only start");
    }

    @Test
    void shouldNeedASecretWhenCallbacksAreAllowed() {
        Map<String, Object> base = Map.of(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092",
                TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:8081",
                TopologyConfig.WEBHOOK_ALLOWED_HOSTS_CONFIG, "hooks.example.com");
        assertThatThrownBy(() -> new TopologyConfig(base)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.secret");
        assertThatThrownBy(() -> new TopologyConfig(Map.of(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "x:1",
                TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://x", TopologyConfig.WEBHOOK_ALLOWED_HOSTS_CONFIG,
                "*"))).isInstanceOf(ConfigException.class).hasMessageContaining("webhook.allowed.hosts");
        TopologyConfig ok = new TopologyConfig(Map.of(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "x:1",
                TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://x", TopologyConfig.WEBHOOK_ALLOWED_HOSTS_CONFIG,
                "hooks.example.com", TopologyConfig.WEBHOOK_SECRET_CONFIG, "s3cret"));
        assertThat(ok.webhookSecret()).isEqualTo("s3cret");
        assertThat(ok.tenantMaxInFlight()).isEqualTo(1_000);
    }

    @Test
    void shouldSignTimestampDotBodyAndDoubleTheBackoffUpToItsCap() {
        // echo -n '1700000000.{}' | openssl dgst -sha256 -hmac secret
        assertThat(WebhookDispatcher.signature("secret", "1700000000", "{}".getBytes()))
                .isEqualTo("sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163");
        WebhookDispatcher.Settings s = new WebhookDispatcher.Settings(new WebhookPolicy(List.of()), "", 5,
                Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(350), "http://x/");
        assertThat(List.of(1, 2, 3, 4).stream().map(i -> WebhookDispatcher.backoff(s, i).toMillis()))
                .containsExactly(100L, 200L, 350L, 350L);
        assertThat(s.publicUrl()).isEqualTo("http://x");
        assertThat(WebhookDispatcher.eventId("t-1", "COMPLETED")).isEqualTo(WebhookDispatcher.eventId("t-1",
                "COMPLETED")).isNotEqualTo(WebhookDispatcher.eventId("t-1", "FAILED"));
    }
}
