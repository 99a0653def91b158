package io.irgstream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.topology.ApiKeys.Role;
import io.irgstream.topology.internals.TokenBucket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API key file, the token bucket, and the refusal to serve an exposed API without keys. */
class ApiKeysTest {

    @TempDir
    Path dir;

    @Test
    void shouldStoreOnlyTheHashOfANewKeyInAFileOnlyItsOwnerReads() throws Exception {
        Path file = dir.resolve("keys/api-keys");
        ApiKeys.Created created = ApiKeys.create(file, Role.SUBMIT, "shop");

        assertThat(created.key()).matches("irg_[0-9a-f]{8}_[A-Za-z0-9_-]{43}");
        String text = Files.readString(file);
        assertThat(text).doesNotContain(created.key()).doesNotContain(created.key().substring(13))
                .contains(created.entry().id() + " submit shop " + created.entry().sha256() + " ");
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
        ApiKeys keys = ApiKeys.load(file);
        assertThat(keys.authenticate(created.key())).contains(created.entry());
        assertThat(created.entry().hasTenant()).isTrue();
        assertThat(keys.authenticate(created.key() + "x")).isEmpty();
        assertThat(keys.authenticate(created.key().substring(0, 13) + "A".repeat(43))).isEmpty();
        assertThat(keys.authenticate("irg_")).isEmpty();
        assertThat(keys.authenticate(null)).isEmpty();

        ApiKeys.Created admin = ApiKeys.create(file, Role.ADMIN, null);
        assertThat(ApiKeys.load(file).keys()).extracting(ApiKeys.Key::id)
                .containsExactly(created.entry().id(), admin.entry().id());
        assertThat(admin.entry().tenant()).isEqualTo(ApiKeys.ANY_TENANT);
        assertThat(Role.ADMIN.allows(Role.SUBMIT)).isTrue();
        assertThat(Role.SUBMIT.allows(Role.READ)).isTrue();
        assertThat(Role.READ.allows(Role.SUBMIT)).isFalse();
    }

    @Test
    void shouldNameTheLineOfAMalformedKeyFile() throws Exception {
        Path file = dir.resolve("api-keys");
        Files.writeString(file, "# comment\n\n0123abcd root * " + "0".repeat(64) + " 2026-12-05T08:00:00Z\n");
        assertThatThrownBy(() -> ApiKeys.load(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 3").hasMessageContaining("unknown role 'root'");
        Files.writeString(file, "0123abcd read *\n");
        assertThatThrownBy(() -> ApiKeys.load(file)).hasMessageContaining("line 1: expected 'id role tenant sha256 created'");
        assertThatThrownBy(() -> ApiKeys.create(file, Role.READ, "two words"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tenant");
        assertThatThrownBy(() -> Role.parse("owner")).hasMessage("unknown role 'owner': expected read, submit or admin");
    }

    @Test
    void shouldRefillTheBucketAtItsRateUpToItsBurst() {
        long t = 1_000_000_000L;
        TokenBucket bucket = new TokenBucket(20, 40, t);
        for (int i = 0; i < 40; i++) {
            assertThat(bucket.tryTake(t)).isZero();
        }
        long wait = bucket.tryTake(t);
        assertThat(wait).isBetween(49_000_000L, 50_000_000L);
        assertThat(bucket.tryTake(t + 50_000_000L)).isZero();
        assertThat(bucket.tryTake(t + 50_000_000L)).isPositive();
        assertThat(bucket.full(t + 10_000_000_000L)).isTrue();
    }

    @Test
    void shouldRefuseToServeTheApiOnAnExposedAddressWithoutKeysUnlessInsecure() throws Exception {
        Map<String, Object> m = new HashMap<>();
        m.put(TopologyConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9092");
        m.put(TopologyConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://127.0.0.1:8081");
        m.put(TopologyConfig.HTTP_HOST_CONFIG, "0.0.0.0");
        assertThatThrownBy(() -> new TopologyConfig(m).checkExposure()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("refusing to serve the HTTP API on 0.0.0.0 without API keys")
                .hasMessageContaining("http.auth.keys.file").hasMessageContaining("--insecure");

        m.put(TopologyConfig.HTTP_INSECURE_CONFIG, "true");
        new TopologyConfig(m).checkExposure();

        m.remove(TopologyConfig.HTTP_INSECURE_CONFIG);
        Path keys = dir.resolve("api-keys");
        ApiKeys.create(keys, Role.READ, null);
        m.put(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG, keys.toString());
        TopologyConfig withKeys = new TopologyConfig(m);
        withKeys.checkExposure();
        assertThat(withKeys.apiAuth()).isNotNull();

        for (String loopback : new String[] {"127.0.0.1", "localhost", "::1"}) {
            Map<String, Object> local = new HashMap<>(m);
            local.remove(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG);
            local.put(TopologyConfig.HTTP_HOST_CONFIG, loopback);
            new TopologyConfig(local).checkExposure();
            assertThat(new TopologyConfig(local).apiAuth()).isNull();
        }

        m.put(TopologyConfig.HTTP_AUTH_KEYS_FILE_CONFIG, dir.resolve("missing").toString());
        assertThatThrownBy(() -> new TopologyConfig(m).apiAuth()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.auth.keys.file").hasMessageContaining("./irg api-keys create");
        m.put(TopologyConfig.HTTP_TLS_KEYSTORE_LOCATION_CONFIG, dir.resolve("none.p12").toString());
        assertThatThrownBy(() -> new TopologyConfig(m).httpTls()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("http.tls.keystore.location");
    }
}
