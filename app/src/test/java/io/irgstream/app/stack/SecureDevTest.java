package io.irgstream.app.stack;

import io.irgstream.app.security.KafkaAcls;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.topology.ApiKeys;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code ./irg dev --secure} keeps under {@code .irg/secure}: made once, owner-only, reused, repaired. */
class SecureDevTest {
    @TempDir
    Path dir;

    @Test
    void makesOwnerOnlySecretsOnceAndReusesThem() throws Exception {
        Path d = dir.resolve("secure");
        SecureDev first = SecureDev.open(d);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d))).isEqualTo("rwx------");
        for (String f : new String[] {"secrets.properties", "api-keys", "api-key", "irg-broker.p12", "irg-registry.p12",
                "truststore.p12"}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.resolve(f)))).as(f)
                    .isEqualTo("rw-------");
        }
        Set<String> passwords = new HashSet<>();
        for (KafkaAcls.Role r : KafkaAcls.Role.values()) {
            assertThat(first.password(r)).hasSizeGreaterThanOrEqualTo(32).matches("[A-Za-z0-9_-]+");
            passwords.add(first.password(r));
        }
        assertThat(passwords).hasSize(KafkaAcls.Role.values().length); // one each
        assertThat(ApiKeys.load(first.apiKeysFile()).authenticate(first.apiKey()))
                .hasValueSatisfying(k -> assertThat(k.role()).isEqualTo(ApiKeys.Role.SUBMIT));
        byte[] trust = Files.readAllBytes(first.trustStore());

        SecureDev again = SecureDev.open(d);
        assertThat(again.apiKey()).isEqualTo(first.apiKey());
        assertThat(again.password(KafkaAcls.Role.THINK)).isEqualTo(first.password(KafkaAcls.Role.THINK));
        assertThat(again.registryAdminPassword()).isEqualTo(first.registryAdminPassword());
        assertThat(Files.readAllBytes(again.trustStore())).isEqualTo(trust);
        assertThat(ApiKeys.load(again.apiKeysFile()).size()).isEqualTo(1);

        // a deleted api-key gets a new submit key; the old one stays in the key file until its line is deleted
        Files.delete(d.resolve("api-key"));
        SecureDev rekeyed = SecureDev.open(d);
        assertThat(rekeyed.apiKey()).isNotEqualTo(first.apiKey());
        assertThat(Files.readString(d.resolve("api-key")).strip()).isEqualTo(rekeyed.apiKey());
        assertThat(ApiKeys.load(rekeyed.apiKeysFile()).authenticate(rekeyed.apiKey())).isPresent();
        assertThat(rekeyed.password(KafkaAcls.Role.THINK)).isEqualTo(first.password(KafkaAcls.Role.THINK));
    }

    @Test
    void writesTheSubmittersAndTheOperatorsClientSettings() throws Exception {
        SecureDev s = SecureDev.open(dir.resolve("secure"));
        Path file = s.writeClientProperties("127.0.0.1:19092", "https://127.0.0.1:18081");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        KafkaClientSettings kafka = KafkaClientSettings.from(map(p));
        assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:19092");
        assertThat(kafka.securityProtocol()).isEqualTo("SASL_SSL");
        assertThat(kafka.saslUser()).isEqualTo("irg-submitter");
        assertThat(p.getProperty("sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(p.getProperty("sasl.jaas.config")).contains("password=\"" + s.password(KafkaAcls.Role.SUBMITTER) + "\"");
        assertThat(p.getProperty("ssl.truststore.location")).isEqualTo(s.trustStore().toString());
        assertThat(p.getProperty("schema.registry.url")).isEqualTo("https://127.0.0.1:18081");
        assertThat(p.getProperty("basic.auth.credentials.source")).isEqualTo("USER_INFO");
        assertThat(p.getProperty("basic.auth.user.info")).isEqualTo("irg-submitter:"
                + s.password(KafkaAcls.Role.SUBMITTER));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Properties op = new Properties();
        try (Reader r = Files.newBufferedReader(s.operatorProperties())) {
            op.load(r);
        }
        assertThat(KafkaClientSettings.from(map(op)).saslUser()).isEqualTo("irg-operator");
        assertThat(op.getProperty("basic.auth.user.info")).startsWith("irg-operator:");
    }

    private static java.util.Map<String, Object> map(Properties p) {
        java.util.Map<String, Object> m = new java.util.HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }
}
