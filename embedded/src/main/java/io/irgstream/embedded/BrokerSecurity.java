package io.irgstream.embedded;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * How a secured {@link EmbeddedKafkaBroker} authenticates and authorizes. With it the broker has no plaintext
 * listener; it serves:
 * <ul>
 *   <li>a {@code SASL_SSL} listener on the broker port: clients log in with SCRAM-SHA-512 (users are created with
 *       {@link EmbeddedKafkaBroker#createScramUser}, the principal is {@code User:<name>});</li>
 *   <li>an {@code SSL} listener with {@code ssl.client.auth=required} (mutual TLS) on the mTLS port
 *       ({@link EmbeddedKafkaBroker#mtlsBootstrapServers()}): the principal is {@code User:<CN>} of the client's
 *       certificate, so one name has the same ACLs whichever way it logs in. The broker talks to itself over it with
 *       its own certificate;</li>
 *   <li>the KRaft controller listener, also mutual TLS.</li>
 * </ul>
 * Authorization is {@code org.apache.kafka.metadata.authorizer.StandardAuthorizer} with
 * {@code allow.everyone.if.no.acl.found=false}: a principal may do only what an ACL allows, except the super users
 * (the broker's own principal always among them).
 *
 * @param keyStore   PKCS12 key store with the broker's key and certificate (CN = {@code brokerUser}), valid for the
 *                   broker's host
 * @param trustStore PKCS12 trust store that trusts the broker's certificate and those of mTLS clients
 * @param password   password of both stores and of the key
 * @param brokerUser the CN of the broker's certificate: its principal {@code User:<brokerUser>} is a super user
 * @param superUsers further principal names ({@code User:<name>}) that every ACL check allows, e.g. an operator's
 *                   admin certificate
 */
public record BrokerSecurity(Path keyStore, Path trustStore, String password, String brokerUser,
                             Set<String> superUsers) {
    /** The SASL mechanism of the SASL_SSL listener. */
    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    /** The authorizer the broker runs. */
    public static final String AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";

    public BrokerSecurity {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(trustStore, "trustStore");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(brokerUser, "brokerUser");
        Set<String> all = new LinkedHashSet<>();
        all.add(brokerUser);
        all.addAll(superUsers);
        superUsers = Set.copyOf(all);
    }

    /**
     * The security of a broker whose certificate is {@code certs}' {@code brokerName}.
     *
     * @param certs      the certificates (their trust store trusts all of them)
     * @param brokerName the name of the broker's certificate
     * @param superUsers further super users, e.g. the name of an admin certificate
     * @return the security
     */
    public static BrokerSecurity of(DevCertificates certs, String brokerName, String... superUsers) {
        return new BrokerSecurity(certs.keyStore(brokerName), certs.trustStore(), certs.password(), brokerName,
                Set.of(superUsers));
    }

    /** @return {@code super.users} as the broker takes it: {@code User:a;User:b} */
    String superUsersSetting() {
        return String.join(";", superUsers.stream().sorted().map(u -> "User:" + u).toList());
    }
}
