package io.irgstream.schemas;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

/**
 * The settings every Kafka client of irg-stream shares, whatever it is (consumer, producer, admin, Kafka Streams) and
 * whichever process runs it (a worker and its cancellation follower, the topology and its submitter and live feed,
 * every CLI verb): the bootstrap servers and how to connect, i.e. {@code security.protocol}, every {@code sasl.*} and
 * {@code ssl.*} setting, and {@code config.providers*} (to read secrets from files, e.g.
 * {@code sasl.jaas.config=${file:/etc/irg/kafka.secret:jaas}}).
 *
 * <p>One {@code client.properties} given with {@code --config} (or {@code --set name=value}) is read into one of these
 * ({@link #from(Map)}), and every client builder merges it in ({@link #applyTo(Map)}) on top of its own settings, so
 * a SASL_SSL cluster reaches every client the same way. Settings that are not connection settings are left out.
 *
 * <p>Immutable and thread-safe. {@link #toString()} never shows a password: {@code sasl.jaas.config} and the
 * {@code *.password} settings are masked.
 */
public final class KafkaClientSettings {
    /** Kafka's bootstrap servers setting. */
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    /** Kafka's security protocol setting: PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL. */
    public static final String SECURITY_PROTOCOL = "security.protocol";
    /** Kafka's SASL mechanism setting, e.g. SCRAM-SHA-512. */
    public static final String SASL_MECHANISM = "sasl.mechanism";
    /** Kafka's JAAS login setting: for SCRAM the user name and password. */
    public static final String SASL_JAAS_CONFIG = "sasl.jaas.config";

    private static final Pattern JAAS_USER = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private final String bootstrapServers;
    private final Map<String, Object> connection;

    private KafkaClientSettings(String bootstrapServers, Map<String, Object> connection) {
        this.bootstrapServers = bootstrapServers;
        this.connection = Collections.unmodifiableMap(new TreeMap<>(connection));
    }

    /**
     * @param bootstrapServers {@code host:port[,host:port...]}
     * @return plaintext settings for these servers
     */
    public static KafkaClientSettings of(String bootstrapServers) {
        return new KafkaClientSettings(requireServers(bootstrapServers), Map.of());
    }

    /**
     * Picks the connection settings out of {@code settings} (a process's whole configuration, e.g. a worker's): its
     * {@code bootstrap.servers}, which may be absent (then {@link #withBootstrapServers} must give it), and every
     * setting {@link #isConnectionSetting} accepts. Prefixed settings such as {@code consumer.sasl.jaas.config} are
     * not picked; they stay the business of the process that defines the prefix.
     *
     * @param settings settings by name; values are used as they are (strings from a file, or typed values)
     * @return the settings
     * @throws ConfigException naming the setting when {@code security.protocol} is not a Kafka security protocol, or
     *     a SASL protocol lacks {@code sasl.jaas.config} for a mechanism that needs one
     */
    public static KafkaClientSettings from(Map<String, ?> settings) {
        Map<String, Object> picked = new LinkedHashMap<>();
        settings.forEach((k, v) -> {
            if (v != null && isConnectionSetting(k)) {
                picked.put(k, v);
            }
        });
        Object servers = settings.get(BOOTSTRAP_SERVERS);
        String s = servers == null || servers.toString().isBlank() ? null : servers.toString().trim();
        return new KafkaClientSettings(s, check(picked));
    }

    /**
     * Whether {@code name} is a connection setting that every client shares: {@code security.protocol},
     * {@code sasl.*}, {@code ssl.*} or {@code config.providers*}.
     *
     * @param name a setting name
     * @return whether it is one
     */
    public static boolean isConnectionSetting(String name) {
        return name.equals(SECURITY_PROTOCOL) || name.startsWith("sasl.") || name.startsWith("ssl.")
                || name.startsWith("config.providers");
    }

    /**
     * @param servers {@code host:port[,host:port...]}
     * @return these settings with other bootstrap servers
     */
    public KafkaClientSettings withBootstrapServers(String servers) {
        return new KafkaClientSettings(requireServers(servers), connection);
    }

    /**
     * @param name  a connection setting ({@link #isConnectionSetting})
     * @param value its value
     * @return these settings with {@code name} set to {@code value}
     * @throws IllegalArgumentException when {@code name} is not a connection setting
     */
    public KafkaClientSettings with(String name, Object value) {
        if (!isConnectionSetting(name)) {
            throw new IllegalArgumentException(name + " is not a Kafka connection setting (security.protocol, "
                    + "sasl.*, ssl.*, config.providers*)");
        }
        Map<String, Object> m = new LinkedHashMap<>(connection);
        m.put(name, Objects.requireNonNull(value, "value"));
        return new KafkaClientSettings(bootstrapServers, check(m));
    }

    /**
     * @return the bootstrap servers
     * @throws ConfigException when none were given
     */
    public String bootstrapServers() {
        if (bootstrapServers == null) {
            throw new ConfigException(BOOTSTRAP_SERVERS, null, "Kafka bootstrap servers are required "
                    + "(--bootstrap-servers, or bootstrap.servers in the --config file)");
        }
        return bootstrapServers;
    }

    /** @return whether bootstrap servers were given */
    public boolean hasBootstrapServers() {
        return bootstrapServers != null;
    }

    /** @return the connection settings without the bootstrap servers, by name (unmodifiable) */
    public Map<String, Object> connection() {
        return connection;
    }

    /** @return {@code security.protocol}, PLAINTEXT when not given */
    public String securityProtocol() {
        Object p = connection.get(SECURITY_PROTOCOL);
        return p == null ? SecurityProtocol.PLAINTEXT.name : p.toString().trim().toUpperCase(Locale.ROOT);
    }

    /** @return the SASL user name of a SCRAM or PLAIN {@code sasl.jaas.config}, or null */
    public String saslUser() {
        Object jaas = connection.get(SASL_JAAS_CONFIG);
        if (jaas == null) {
            return null;
        }
        Matcher m = JAAS_USER.matcher(jaas.toString());
        return m.find() ? m.group(1) : null;
    }

    /**
     * Merges these settings into a client's configuration: the bootstrap servers and every connection setting,
     * replacing what {@code config} had for them.
     *
     * @param config a consumer, producer, admin or Kafka Streams configuration
     * @param <M>    its map type
     * @return {@code config}
     */
    public <M extends Map<String, Object>> M applyTo(M config) {
        config.put(BOOTSTRAP_SERVERS, bootstrapServers());
        config.putAll(connection);
        return config;
    }

    /** @return a new map with the bootstrap servers and the connection settings */
    public Map<String, Object> toMap() {
        return applyTo(new LinkedHashMap<>());
    }

    /** @return the same as {@link #toMap()}, as properties */
    public Properties toProperties() {
        Properties p = new Properties();
        p.putAll(toMap());
        return p;
    }

    /**
     * One line that says what to fix for a client failure caused by these settings: a refused login names
     * {@code sasl.jaas.config} (and the user), a failed TLS handshake the {@code ssl.*} settings, a denied topic,
     * group or transactional id the principal and {@code ./irg acls}. Other failures are described by their message.
     *
     * @param e a failure of a client built with these settings (or one that has it as a cause)
     * @return the explanation, on one line
     */
    public String explain(Throwable e) {
        String where = bootstrapServers == null ? "Kafka" : "Kafka at " + bootstrapServers;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SaslAuthenticationException) {
                String user = saslUser();
                Object mechanism = connection.get(SASL_MECHANISM);
                return where + " refused the SASL login" + (user == null ? "" : " of user '" + user + "'")
                        + (mechanism == null ? "" : " (" + mechanism + ")") + ": check the user name and password "
                        + "in sasl.jaas.config (" + oneLine(t) + ")";
            }
            if (t instanceof SslAuthenticationException) {
                String expired = expired(t);
                if (expired != null) {
                    return "TLS handshake with " + where + " failed: the broker's certificate has expired (" + expired
                            + "): renew it (or the CA certificate in ssl.truststore.location)";
                }
                return "TLS handshake with " + where + " failed: check ssl.truststore.location (it must trust the "
                        + "broker's certificate) and, where the broker requires client certificates, "
                        + "ssl.keystore.location (" + oneLine(t) + ")";
            }
            if (t instanceof AuthenticationException) {
                return where + " did not authenticate this client: check security.protocol, sasl.* and ssl.* ("
                        + oneLine(t) + ")";
            }
            if (t instanceof TopicAuthorizationException || t instanceof GroupAuthorizationException
                    || t instanceof TransactionalIdAuthorizationException) {
                return where + " denied this client's principal" + principalHint() + ": " + oneLine(t)
                        + " (./irg acls --print shows what each role needs)";
            }
            if (t instanceof AuthorizationException) {
                return where + " denied this client's principal" + principalHint() + ": " + oneLine(t);
            }
        }
        return oneLine(e);
    }

    /**
     * @param e a client failure
     * @return whether it, or a cause, is an authentication or authorization failure ({@link #explain} names the
     *     setting or the ACL to fix)
     */
    public static boolean isSecurityFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthenticationException || t instanceof AuthorizationException) {
                return true;
            }
        }
        return false;
    }

    /** The message of a {@code CertificateExpiredException} among the causes of {@code e}, or null. */
    private static String expired(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.security.cert.CertificateExpiredException) {
                return oneLine(t);
            }
        }
        return null;
    }

    private String principalHint() {
        String user = saslUser();
        return user == null ? "" : " (User:" + user + ")";
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    private static Map<String, Object> check(Map<String, Object> connection) {
        Object protocol = connection.get(SECURITY_PROTOCOL);
        if (protocol != null) {
            String p = protocol.toString().trim().toUpperCase(Locale.ROOT);
            if (!SecurityProtocol.names().contains(p)) {
                throw new ConfigException(SECURITY_PROTOCOL, protocol, "must be one of PLAINTEXT, SSL, "
                        + "SASL_PLAINTEXT, SASL_SSL");
            }
            Object mechanism = connection.getOrDefault(SASL_MECHANISM, "GSSAPI");
            String m = mechanism.toString().trim().toUpperCase(Locale.ROOT);
            if (p.startsWith("SASL_") && (m.startsWith("SCRAM-") || m.equals("PLAIN"))
                    && !connection.containsKey(SASL_JAAS_CONFIG)) {
                throw new ConfigException(SASL_JAAS_CONFIG, null, "security.protocol=" + p + " with sasl.mechanism="
                        + m + " needs sasl.jaas.config, e.g. org.apache.kafka.common.security.scram.ScramLoginModule "
                        + "required username=\"NAME\" password=\"SECRET\";");
            }
        }
        return connection;
    }

    private static String requireServers(String servers) {
        if (servers == null || servers.isBlank()) {
            throw new ConfigException(BOOTSTRAP_SERVERS, servers, "Kafka bootstrap servers must not be empty");
        }
        return servers.trim();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaClientSettings k && Objects.equals(bootstrapServers, k.bootstrapServers)
                && connection.equals(k.connection);
    }

    @Override
    public int hashCode() {
        return Objects.hash(bootstrapServers, connection);
    }

    /** The servers and settings, with {@code sasl.jaas.config} and every {@code *.password} masked. */
    @Override
    public String toString() {
        Map<String, Object> shown = new TreeMap<>();
        connection.forEach((k, v) -> shown.put(k, k.equals(SASL_JAAS_CONFIG) || k.endsWith(".password")
                || k.endsWith(".key") ? "[hidden]" : v));
        return "KafkaClientSettings[" + bootstrapServers + ", " + shown + "]";
    }
}
