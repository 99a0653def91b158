package io.irgstream.topology.internals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS of the HTTP API: the server's key store ({@code http.tls.keystore.*}) and, for queries forwarded to other
 * instances over HTTPS, the trust store that holds their certificates ({@code http.tls.truststore.*}; the JVM's
 * default trust when none is given).
 *
 * @param keyStore           the key store file with the server's private key and certificate chain
 * @param keyStorePassword   its password (also the key's)
 * @param keyStoreType       PKCS12 or JKS
 * @param trustStore         the trust store for forwarded queries, or null for the JVM's default
 * @param trustStorePassword its password, or null
 */
public record HttpTls(Path keyStore, String keyStorePassword, String keyStoreType, Path trustStore,
                      String trustStorePassword) {

    /**
     * Checks that the key store opens with its password, so a wrong setting fails at start with its name.
     *
     * @throws IllegalArgumentException naming the setting at fault
     */
    public HttpTls {
        load(keyStore, keyStorePassword, keyStoreType, "http.tls.keystore.location");
        if (trustStore != null) {
            load(trustStore, trustStorePassword, null, "http.tls.truststore.location");
        }
    }

    /** A TLS connector on {@code host:port} for the API's Jetty server. */
    Connector connector(Server server, HttpConfiguration http, String host, int port) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStorePath(keyStore.toAbsolutePath().toString());
        ssl.setKeyStorePassword(keyStorePassword);
        ssl.setKeyStoreType(keyStoreType);
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        // the Host check (http.allowed.hosts) decides which names are answered; SNI is not required to match
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        ServerConnector connector = new ServerConnector(server, ssl, new HttpConnectionFactory(https));
        connector.setHost(host);
        connector.setPort(port);
        return connector;
    }

    /** @return the SSL context that forwarded queries use: the trust store's, or the JVM's default */
    public SSLContext clientContext() {
        try {
            if (trustStore == null) {
                return SSLContext.getDefault();
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(trustStore, trustStorePassword, null, "http.tls.truststore.location"));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use the trust store " + trustStore
                    + " (http.tls.truststore.location): " + e.getMessage(), e);
        }
    }

    /** Opens a key or trust store; PKCS12 and JKS files are both read when {@code type} is null. */
    static KeyStore load(Path file, String password, String type, String setting) {
        if (file == null || !Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + setting + "=" + file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(type == null ? KeyStore.getDefaultType() : type);
            store.load(in, password == null ? null : password.toCharArray());
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot open " + setting + "=" + file + " (wrong password or "
                    + "type?): " + e.getMessage(), e);
        }
    }
}
