package io.irgstream.schemas;

import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Settings of the irg-stream Avro serdes and of {@link HttpSchemaRegistryClient}, declared once with Kafka's
 * {@link ConfigDef}. The names match Confluent's {@code KafkaAvroSerializer} where Confluent has the same setting,
 * so an existing producer or Streams configuration works unchanged.
 *
 * <p>Settings are read from the {@code configs} map a Kafka client passes to
 * {@link org.apache.kafka.common.serialization.Serializer#configure}; other keys in that map are ignored.
 */
public final class IrgSerdeConfig extends AbstractConfig {

    /** Comma-separated registry base URLs; the first one that answers is used. */
    public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
    /** Whether the serializer registers the record's schema (true) or only looks it up (false). */
    public static final String AUTO_REGISTER_SCHEMAS_CONFIG = "auto.register.schemas";
    /** Specific record class the value deserializer reads into. */
    public static final String SPECIFIC_AVRO_VALUE_TYPE_CONFIG = "specific.avro.value.type";
    /** Specific record class the key deserializer reads into. */
    public static final String SPECIFIC_AVRO_KEY_TYPE_CONFIG = "specific.avro.key.type";
    /** Where basic-auth credentials come from: URL (user info in the URL, if any) or USER_INFO. */
    public static final String BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG = "basic.auth.credentials.source";
    /** Basic-auth credentials as {@code user:password}, used when the source is USER_INFO. */
    public static final String BASIC_AUTH_USER_INFO_CONFIG = "basic.auth.user.info";
    /** Milliseconds to wait for a TCP connection to the registry. */
    public static final String CONNECT_TIMEOUT_MS_CONFIG = "schema.registry.connect.timeout.ms";
    /** Milliseconds to wait for the registry's answer to one request. */
    public static final String REQUEST_TIMEOUT_MS_CONFIG = "schema.registry.request.timeout.ms";

    /** Trust store with the certificates (or their CA) of an https:// registry; empty: the JVM's default trust. */
    public static final String SSL_TRUSTSTORE_LOCATION_CONFIG = "schema.registry.ssl.truststore.location";
    /** Password of {@value #SSL_TRUSTSTORE_LOCATION_CONFIG}. */
    public static final String SSL_TRUSTSTORE_PASSWORD_CONFIG = "schema.registry.ssl.truststore.password";
    /** Type of {@value #SSL_TRUSTSTORE_LOCATION_CONFIG}: JKS or PKCS12. */
    public static final String SSL_TRUSTSTORE_TYPE_CONFIG = "schema.registry.ssl.truststore.type";

    /** Credential source value: take user info from the URL ({@code http://user:pass@host:8081}). */
    public static final String CREDENTIALS_SOURCE_URL = "URL";
    /** Credential source value: take user info from {@value #BASIC_AUTH_USER_INFO_CONFIG}. */
    public static final String CREDENTIALS_SOURCE_USER_INFO = "USER_INFO";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(SCHEMA_REGISTRY_URL_CONFIG, Type.LIST, ConfigDef.NO_DEFAULT_VALUE,
                    Importance.HIGH,
                    "Comma-separated schema registry base URLs, e.g. http://localhost:8081. The client uses the first "
                            + "that answers and moves on to the next when one cannot be reached.")
            .define(AUTO_REGISTER_SCHEMAS_CONFIG, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Whether the serializer registers the record's schema under the subject (true) or only looks "
                            + "up its id and fails when it is not registered (false).")
            .define(SPECIFIC_AVRO_VALUE_TYPE_CONFIG, Type.CLASS, null, Importance.MEDIUM,
                    "Avro SpecificRecord class the value deserializer reads into. When unset, the class named by the "
                            + "writer schema is used.")
            .define(SPECIFIC_AVRO_KEY_TYPE_CONFIG, Type.CLASS, null, Importance.LOW,
                    "Avro SpecificRecord class the key deserializer reads into. When unset, the class named by the "
                            + "writer schema is used.")
            .define(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG, Type.STRING, CREDENTIALS_SOURCE_URL,
                    ConfigDef.ValidString.in(CREDENTIALS_SOURCE_URL, CREDENTIALS_SOURCE_USER_INFO), Importance.MEDIUM,
                    "Where basic-auth credentials come from: URL (user info in the registry URL, if any) or "
                            + "USER_INFO (basic.auth.user.info).")
            .define(BASIC_AUTH_USER_INFO_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Basic-auth credentials as user:password, used when basic.auth.credentials.source is USER_INFO.")
            .define(SSL_TRUSTSTORE_LOCATION_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Trust store (JKS or PKCS12) holding the certificate of an https:// registry or of its CA. "
                            + "Empty: the JVM's default trust store.")
            .define(SSL_TRUSTSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Password of schema.registry.ssl.truststore.location.")
            .define(SSL_TRUSTSTORE_TYPE_CONFIG, Type.STRING, "JKS", ConfigDef.ValidString.in("JKS", "PKCS12"),
                    Importance.LOW, "Type of schema.registry.ssl.truststore.location: JKS or PKCS12 (either type "
                            + "reads both formats).")
            .define(CONNECT_TIMEOUT_MS_CONFIG, Type.INT, 5_000, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Milliseconds to wait for a connection to one registry URL before trying the next.")
            .define(REQUEST_TIMEOUT_MS_CONFIG, Type.INT, 30_000, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Milliseconds to wait for the registry's answer to one request.");

    /**
     * Parses and validates settings.
     *
     * @param originals settings; unknown keys are ignored
     * @throws ConfigException when a value is invalid, or USER_INFO is chosen without user info
     */
    public IrgSerdeConfig(Map<String, ?> originals) {
        super(CONFIG, originals, false);
        if (getList(SCHEMA_REGISTRY_URL_CONFIG).isEmpty()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG + " is empty: set it to the registry URL, "
                    + "e.g. http://localhost:8081");
        }
        if (CREDENTIALS_SOURCE_USER_INFO.equals(getString(BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG))) {
            Password userInfo = getPassword(BASIC_AUTH_USER_INFO_CONFIG);
            if (userInfo == null || !userInfo.value().contains(":")) {
                throw new ConfigException(BASIC_AUTH_USER_INFO_CONFIG + " must be user:password when "
                        + BASIC_AUTH_CREDENTIALS_SOURCE_CONFIG + " is " + CREDENTIALS_SOURCE_USER_INFO);
            }
        }
    }

    /** @return the definitions of every setting, e.g. to print reference docs with {@code toHtml()} */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }
}
