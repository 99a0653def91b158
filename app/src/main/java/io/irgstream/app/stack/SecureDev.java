package io.irgstream.app.stack;

import io.irgstream.app.security.KafkaAcls;
import io.irgstream.embedded.BrokerSecurity;
import io.irgstream.embedded.DevCertificates;
import io.irgstream.schemas.IrgSerdeConfig;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.topology.ApiKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * What {@code ./irg dev --secure} keeps in its folder ({@code <data dir>/secure}, {@code .irg/secure} by default), made
 * at the first start and reused by every later one:
 * <ul>
 *   <li>{@code secrets.properties}: the password of the key and trust stores, one random password per role of
 *       {@link KafkaAcls.Role} (the role's SCRAM-SHA-512 user {@code irg-<role>} on the broker and its read-only user
 *       on the schema registry) and the password of the registry's admin user {@value #REGISTRY_ADMIN};</li>
 *   <li>the certificates ({@link DevCertificates}): {@code irg-broker.p12} (the broker's, a super user),
 *       {@code irg-registry.p12} (the registry's HTTPS) and {@code truststore.p12} trusting both; made again when the
 *       broker's has expired or is about to;</li>
 *   <li>{@code api-keys}, the HTTP API's key file ({@code http.auth.keys.file}), and {@code api-key}, a {@code submit}
 *       key (which can also read) whose hash is in it;</li>
 *   <li>{@code client.properties}: the submitter's Kafka and registry client settings, and
 *       {@code operator.properties} the operator's (for {@code ./irg dead-letters}, {@code replay}, {@code audit},
 *       {@code redrive}, ...), written by the stack at every start ({@link #writeClientProperties}), since they name
 *       its ports.</li>
 * </ul>
 * The folder is readable by its owner only ({@code rwx------}), and every file in it {@code rw-------}. Deleting the
 * folder starts over with new certificates, passwords and key (the broker keeps its topics and records).
 *
 * <p>Not for production: the certificates are self-signed and the passwords sit in a file next to the data.
 */
public final class SecureDev {
    /** The registry's admin user: registers the schemas at each start; the roles' users only read. */
    public static final String REGISTRY_ADMIN = "irg-admin";
    /** The name (CN) of the broker's certificate; its principal is a super user. */
    public static final String BROKER_CERT = "irg-broker";
    /** The name (CN) of the registry's certificate. */
    public static final String REGISTRY_CERT = "irg-registry";
    /** How long certificates made here are valid. */
    public static final Duration CERT_VALIDITY = Duration.ofDays(365);

    static final String SECRETS_FILE = "secrets.properties";
    static final String API_KEYS_FILE = "api-keys";
    static final String API_KEY_FILE = "api-key";
    static final String CLIENT_PROPERTIES_FILE = "client.properties";
    static final String OPERATOR_PROPERTIES_FILE = "operator.properties";
    private static final String STORE_PASSWORD = "stores.password";
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Properties secrets;
    private final String apiKey;

    private SecureDev(Path dir, Properties secrets, String apiKey) {
        this.dir = dir;
        this.secrets = secrets;
        this.apiKey = apiKey;
    }

    /**
     * Opens the folder, making what is missing: the folder, the passwords, the certificates (also when the broker's
     * expires within a day) and the API key.
     *
     * @param dir the folder, e.g. {@code .irg/secure}
     * @return its contents
     * @throws UncheckedIOException naming the file that cannot be read or written
     * @throws io.irgstream.embedded.EmbeddedKafkaException when keytool cannot make a certificate
     */
    public static SecureDev open(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(d);
            ownerOnly(d, OWNER_DIR);
            Properties secrets = loadSecrets(d.resolve(SECRETS_FILE));
            String storePassword = secrets.getProperty(STORE_PASSWORD);
            if (!certificatesUsable(d, storePassword)) {
                DevCertificates.create(d, storePassword, CERT_VALIDITY, List.of(BROKER_CERT, REGISTRY_CERT));
                for (String f : List.of(BROKER_CERT + ".p12", REGISTRY_CERT + ".p12", "truststore.p12")) {
                    ownerOnly(d.resolve(f), OWNER_FILE);
                }
            }
            return new SecureDev(d, secrets, apiKey(d));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the secure dev folder " + d + ": " + e.getMessage(), e);
        }
    }

    /** Reads the passwords, adding a random one for each that is missing (and writing the file then). */
    private static Properties loadSecrets(Path file) throws IOException {
        Properties p = new Properties();
        if (Files.exists(file)) {
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
        }
        boolean added = false;
        for (String name : secretNames()) {
            String v = p.getProperty(name);
            if (v == null || v.isBlank()) {
                p.setProperty(name, randomPassword());
                added = true;
            }
        }
        if (added) {
            StringBuilder text = new StringBuilder("# ./irg dev --secure: passwords of the embedded stack (random, made at "
                    + "its first start).\n# Delete this folder to start over with new ones.\n");
            for (String name : secretNames()) {
                text.append(name).append('=').append(p.getProperty(name)).append('\n');
            }
            writeOwnerOnly(file, text.toString());
        }
        return p;
    }

    private static List<String> secretNames() {
        List<String> names = new java.util.ArrayList<>();
        names.add(STORE_PASSWORD);
        for (KafkaAcls.Role r : KafkaAcls.Role.values()) {
            names.add(r.id() + ".password");
        }
        names.add("registry." + REGISTRY_ADMIN + ".password");
        return names;
    }

    /** 192 random bits, base64url: letters, digits, '-' and '_' (safe inside a JAAS string and a URL). */
    private static String randomPassword() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Whether the stores are there, open with the password, and the broker's certificate is valid for a day more. */
    private static boolean certificatesUsable(Path dir, String password) {
        Path broker = dir.resolve(BROKER_CERT + ".p12");
        if (!Files.isRegularFile(broker) || !Files.isRegularFile(dir.resolve(REGISTRY_CERT + ".p12"))
                || !Files.isRegularFile(dir.resolve("truststore.p12"))) {
            return false;
        }
        try (InputStream in = Files.newInputStream(broker)) {
            KeyStore ks = KeyStore.getInstance(DevCertificates.STORE_TYPE);
            ks.load(in, password.toCharArray());
            if (!(ks.getCertificate(BROKER_CERT) instanceof X509Certificate cert)) {
                return false;
            }
            return cert.getNotAfter().toInstant().isAfter(Instant.now().plus(Duration.ofDays(1)));
        } catch (IOException | GeneralSecurityException e) {
            return false; // made again
        }
    }

    /** The submit key in {@code api-key} if its hash is in {@code api-keys}; else a new one in both. */
    private static String apiKey(Path dir) throws IOException {
        Path keys = dir.resolve(API_KEYS_FILE);
        Path keyFile = dir.resolve(API_KEY_FILE);
        if (Files.isRegularFile(keys) && Files.isRegularFile(keyFile)) {
            String key = Files.readString(keyFile, StandardCharsets.UTF_8).strip();
            if (ApiKeys.load(keys).authenticate(key).filter(k -> k.role().allows(ApiKeys.Role.SUBMIT)).isPresent()) {
                return key;
            }
        }
        ApiKeys.Created created = ApiKeys.create(keys, ApiKeys.Role.SUBMIT, null);
        ownerOnly(keys, OWNER_FILE);
        writeOwnerOnly(keyFile, created.key() + "\n");
        return created.key();
    }

    /** @return the folder */
    public Path dir() {
        return dir;
    }

    /** @return the broker's security: its certificate, the trust store, no super user besides itself */
    public BrokerSecurity brokerSecurity() {
        return new BrokerSecurity(dir.resolve(BROKER_CERT + ".p12"), trustStore(), storePassword(), BROKER_CERT,
                Set.of());
    }

    /** @return the registry's key store (HTTPS) */
    public Path registryKeyStore() {
        return dir.resolve(REGISTRY_CERT + ".p12");
    }

    /** @return the trust store that trusts the broker's and the registry's certificates */
    public Path trustStore() {
        return dir.resolve("truststore.p12");
    }

    /** @return the password of every key and trust store here */
    public String storePassword() {
        return secrets.getProperty(STORE_PASSWORD);
    }

    /**
     * @param role a role
     * @return its user name on the broker and the registry: the name of {@link KafkaAcls.Role#defaultPrincipal()}
     */
    public static String user(KafkaAcls.Role role) {
        return role.defaultPrincipal().substring("User:".length());
    }

    /**
     * @param role a role
     * @return its password (SCRAM and registry)
     */
    public String password(KafkaAcls.Role role) {
        return secrets.getProperty(role.id() + ".password");
    }

    /** @return the password of the registry's admin user {@value #REGISTRY_ADMIN} */
    public String registryAdminPassword() {
        return secrets.getProperty("registry." + REGISTRY_ADMIN + ".password");
    }

    /**
     * The Kafka client settings of a role: SASL_SSL, SCRAM-SHA-512 as {@code irg-<role>}, the trust store.
     *
     * @param role             a role
     * @param bootstrapServers the broker's SASL_SSL listener
     * @return the settings
     */
    public KafkaClientSettings kafka(KafkaAcls.Role role, String bootstrapServers) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(KafkaClientSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        m.put(KafkaClientSettings.SECURITY_PROTOCOL, "SASL_SSL");
        m.put(KafkaClientSettings.SASL_MECHANISM, BrokerSecurity.SCRAM_MECHANISM);
        m.put(KafkaClientSettings.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user(role) + "\" password=\"" + password(role) + "\";");
        m.put("ssl.truststore.location", trustStore().toString());
        m.put("ssl.truststore.password", storePassword());
        m.put("ssl.truststore.type", DevCertificates.STORE_TYPE);
        return KafkaClientSettings.from(m);
    }

    /**
     * The schema registry client settings of a role's read-only user.
     *
     * @param role a role
     * @param url  the registry's URL
     * @return {@code schema.registry.url}, {@code basic.auth.*} and {@code schema.registry.ssl.truststore.*}
     */
    public Map<String, Object> registry(KafkaAcls.Role role, String url) {
        return registry(user(role), password(role), url);
    }

    /**
     * @param url the registry's URL
     * @return the schema registry client settings of the admin user {@value #REGISTRY_ADMIN}
     */
    public Map<String, Object> registryAdmin(String url) {
        return registry(REGISTRY_ADMIN, registryAdminPassword(), url);
    }

    private Map<String, Object> registry(String user, String password, String url) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, url);
        m.put(IrgSerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, IrgSerdeConfig.CREDENTIALS_SOURCE_USER_INFO);
        m.put(IrgSerdeConfig.BASIC_AUTH_USER_INFO_CONFIG, user + ":" + password);
        m.put(IrgSerdeConfig.SSL_TRUSTSTORE_LOCATION_CONFIG, trustStore().toString());
        m.put(IrgSerdeConfig.SSL_TRUSTSTORE_PASSWORD_CONFIG, storePassword());
        m.put(IrgSerdeConfig.SSL_TRUSTSTORE_TYPE_CONFIG, DevCertificates.STORE_TYPE);
        return m;
    }

    /** @return the HTTP API's key file ({@code http.auth.keys.file}) */
    public Path apiKeysFile() {
        return dir.resolve(API_KEYS_FILE);
    }

    /** @return the file holding the submit key */
    public Path apiKeyFile() {
        return dir.resolve(API_KEY_FILE);
    }

    /** @return the submit key ({@code irg_<id>_<secret>}) */
    public String apiKey() {
        return apiKey;
    }

    /** @return where {@link #writeClientProperties} writes */
    public Path clientProperties() {
        return dir.resolve(CLIENT_PROPERTIES_FILE);
    }

    /** @return where {@link #writeClientProperties} writes the operator's settings */
    public Path operatorProperties() {
        return dir.resolve(OPERATOR_PROPERTIES_FILE);
    }

    /**
     * Writes {@code client.properties}: the submitter's Kafka settings (SASL_SSL, SCRAM-SHA-512, the trust store)
     * and its registry settings (URL, basic auth as its read-only user, the trust store), for
     * {@code ./irg submit --config}; and {@code operator.properties}, the same for the operator, for the CLI verbs
     * that read every topic ({@code dead-letters}, {@code replay}, {@code audit}, {@code export}) or redrive.
     *
     * @param bootstrapServers the broker's SASL_SSL listener
     * @param registryUrl      the registry's URL
     * @return {@code client.properties}
     */
    public Path writeClientProperties(String bootstrapServers, String registryUrl) {
        write(clientProperties(), KafkaAcls.Role.SUBMITTER, "./irg submit", bootstrapServers, registryUrl);
        write(operatorProperties(), KafkaAcls.Role.OPERATOR, "./irg dead-letters, replay, audit, export, redrive",
                bootstrapServers, registryUrl);
        return clientProperties();
    }

    private void write(Path file, KafkaAcls.Role role, String verbs, String bootstrapServers, String registryUrl) {
        StringBuilder text = new StringBuilder("# ./irg dev --secure: the client settings of the " + role.id() + " ("
                + user(role) + "), for " + verbs + " --config " + file + "\n");
        kafka(role, bootstrapServers).toMap().forEach((k, v) -> line(text, k, v));
        registry(role, registryUrl).forEach((k, v) -> line(text, k, v));
        try {
            writeOwnerOnly(file, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void line(StringBuilder text, String name, Object value) {
        text.append(name).append('=').append(value.toString().replace("\\", "\\\\")).append('\n');
    }

    /** Writes {@code text} to a new file readable by its owner only, then moves it over {@code file}. */
    private static void writeOwnerOnly(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_FILE));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(tmp + " appeared while writing it", e);
        }
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void ownerOnly(Path p, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(p, permissions);
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its own access rules apply
        }
    }
}
