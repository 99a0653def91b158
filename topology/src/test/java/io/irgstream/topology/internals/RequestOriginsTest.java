package io.irgstream.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestOriginsTest {

    private final RequestOrigins dev = new RequestOrigins(List.of("irg.example.com"), List.of());

    @Test
    void shouldAnswerLoopbackNamesIpLiteralsAndAllowedHostsWhenNothingElseIsConfigured() {
        assertThat(dev.hostAllowed("localhost:8080")).isTrue();
        assertThat(dev.hostAllowed("app.localhost")).isTrue();
        assertThat(dev.hostAllowed("127.0.0.1:8080")).isTrue();
        assertThat(dev.hostAllowed("[::1]:8080")).isTrue();
        assertThat(dev.hostAllowed("10.0.0.7:8080")).isTrue();
        assertThat(dev.hostAllowed("IRG.example.com")).isTrue();
    }

    @Test
    void shouldRefuseOtherHostNamesWhenADnsRebindingPageSendsThem() {
        assertThat(dev.hostAllowed("attacker.example:8080")).isFalse();
        assertThat(dev.hostAllowed("localhost.attacker.example")).isFalse();
        assertThat(dev.hostAllowed("127.0.0.1.nip.io")).isFalse();
        assertThat(dev.hostAllowed("")).isFalse();
        assertThat(dev.hostAllowed(null)).isFalse();
        assertThat(new RequestOrigins(List.of("*"), List.of()).hostAllowed("anything.example")).isTrue();
    }

    @Test
    void shouldAcceptOnlyTheSameOriginWhenCorsIsOff() {
        assertThat(dev.originAllowed("http://127.0.0.1:8080", "127.0.0.1:8080")).isTrue();
        assertThat(dev.originAllowed("http://localhost", "localhost:80")).isTrue();
        assertThat(dev.originAllowed("http://evil.example", "127.0.0.1:8080")).isFalse();
        assertThat(dev.originAllowed("http://127.0.0.1:9999", "127.0.0.1:8080")).isFalse();
        assertThat(dev.originAllowed("null", "127.0.0.1:8080")).isFalse();
        assertThat(dev.corsAllowed("http://127.0.0.1:8080")).isFalse();
        assertThat(dev.corsEnabled()).isFalse();
    }

    @Test
    void shouldAllowTheConfiguredCorsOriginsOnlyWhenSet() {
        RequestOrigins cors = new RequestOrigins(List.of(), List.of("https://studio.example.com"));

        assertThat(cors.corsAllowed("https://studio.example.com")).isTrue();
        assertThat(cors.originAllowed("https://Studio.example.com", "127.0.0.1:8080")).isTrue();
        assertThat(cors.corsAllowed("http://studio.example.com")).isFalse();
        assertThatThrownBy(() -> new RequestOrigins(List.of(), List.of("studio.example.com/path")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http(s)://host[:port]");
    }
}
