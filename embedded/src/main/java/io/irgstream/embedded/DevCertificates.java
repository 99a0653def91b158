package io.irgstream.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Self-signed TLS certificates for a Kafka broker and its clients on one machine (tests, {@code ./irg dev}): one
 * PKCS12 key store per name, holding a key pair and a certificate with {@code CN=<name>} that is valid for
 * {@code 127.0.0.1} and {@code localhost}, and one PKCS12 trust store that trusts every one of them. The broker and
 * every client load the same trust store, so the broker trusts the clients' certificates (mutual TLS, the principal
 * is the certificate's CN) and the clients trust the broker's.
 *
 * <p>The key pairs are made by the JDK's {@code keytool} (the one next to the running {@code java}), run in parallel;
 * no other tool or library is needed. Not for production: a real deployment uses certificates from its CA.
 */
public final class DevCertificates {
    /** The store type of every file written. */
    public static final String STORE_TYPE = "PKCS12";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Path dir;
    private final String password;
    private final Map<String, Path> keyStores;
    private final Path trustStore;

    private DevCertificates(Path dir, String password, Map<String, Path> keyStores, Path trustStore) {
        this.dir = dir;
        this.password = password;
        this.keyStores = Map.copyOf(keyStores);
        this.trustStore = trustStore;
    }

    /**
     * Writes {@code <dir>/<name>.p12} for each name and {@code <dir>/truststore.p12}, replacing files of those names.
     *
     * @param dir      folder to write to; created if missing
     * @param password the password of every store and key
     * @param validity how long the certificates are valid, from now (at least one day)
     * @param names    the certificates' common names, e.g. {@code irg-broker}, {@code irg-admin}: letters, digits,
     *                 '.', '_' and '-'
     * @return the stores
     * @throws EmbeddedKafkaException when keytool fails (its last output line says why) or a file cannot be written
     */
    public static DevCertificates create(Path dir, String password, Duration validity, List<String> names) {
        Objects.requireNonNull(password, "password");
        if (password.length() < 6) {
            throw new IllegalArgumentException("a key store password needs at least 6 characters");
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no certificate names given");
        }
        long days = Math.max(1, validity.toDays());
        Map<String, Path> stores = new LinkedHashMap<>();
        List<Process> running = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            for (String name : names) {
                if (!NAME.matcher(name).matches()) {
                    throw new IllegalArgumentException("certificate name '" + name + "' must be letters, digits, "
                            + "'.', '_' or '-'");
                }
                Path store = dir.resolve(name + ".p12");
                Files.deleteIfExists(store);
                stores.put(name, store);
                running.add(new ProcessBuilder(keytool(), "-genkeypair", "-alias", name, "-keyalg", "EC",
                        "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", "SAN=IP:127.0.0.1,DNS:localhost",
                        "-validity", Long.toString(days), "-keystore", store.toString(), "-storetype", STORE_TYPE,
                        "-storepass", password, "-keypass", password)
                        .redirectErrorStream(true).start());
            }
            int i = 0;
            for (String name : names) {
                Process p = running.get(i++);
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    String[] lines = out.split("\\R");
                    throw new EmbeddedKafkaException("keytool could not make the certificate of " + name + ": "
                            + lines[lines.length - 1]);
                }
            }
            KeyStore trust = KeyStore.getInstance(STORE_TYPE);
            trust.load(null, null);
            for (Map.Entry<String, Path> e : stores.entrySet()) {
                KeyStore ks = KeyStore.getInstance(STORE_TYPE);
                try (InputStream in = Files.newInputStream(e.getValue())) {
                    ks.load(in, password.toCharArray());
                }
                Certificate cert = ks.getCertificate(e.getKey());
                trust.setCertificateEntry(e.getKey(), cert);
            }
            Path trustStore = dir.resolve("truststore.p12");
            try (OutputStream out = Files.newOutputStream(trustStore)) {
                trust.store(out, password.toCharArray());
            }
            return new DevCertificates(dir, password, stores, trustStore);
        } catch (IOException | GeneralSecurityException e) {
            throw new EmbeddedKafkaException("cannot write the certificates in " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedKafkaException("interrupted while making certificates in " + dir, e);
        } finally {
            running.forEach(Process::destroy);
        }
    }

    private static String keytool() {
        Path java = ProcessHandle.current().info().command().map(Path::of).orElse(null);
        if (java != null) {
            Path tool = java.resolveSibling("keytool");
            if (Files.isExecutable(tool)) {
                return tool.toString();
            }
        }
        Path home = Path.of(System.getProperty("java.home"), "bin", "keytool");
        return Files.isExecutable(home) ? home.toString() : "keytool";
    }

    /** @return the folder of the stores */
    public Path dir() {
        return dir;
    }

    /** @return the password of every store and key */
    public String password() {
        return password;
    }

    /**
     * @param name a name given to {@link #create}
     * @return the key store holding that name's key and certificate
     */
    public Path keyStore(String name) {
        Path p = keyStores.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no certificate named " + name + " (have " + keyStores.keySet() + ")");
        }
        return p;
    }

    /** @return the trust store that trusts every certificate made */
    public Path trustStore() {
        return trustStore;
    }

    /**
     * Kafka client settings that trust the broker: {@code ssl.truststore.*}.
     *
     * @return the settings by name
     */
    public Map<String, Object> trustSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ssl.truststore.location", trustStore.toString());
        m.put("ssl.truststore.password", password);
        m.put("ssl.truststore.type", STORE_TYPE);
        return m;
    }

    /**
     * Kafka client settings of a mutual-TLS client with {@code name}'s certificate: {@code security.protocol=SSL},
     * its key store and the trust store.
     *
     * @param name a name given to {@link #create}
     * @return the settings by name
     */
    public Map<String, Object> mtlsClientSettings(String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("security.protocol", "SSL");
        m.put("ssl.keystore.location", keyStore(name).toString());
        m.put("ssl.keystore.password", password);
        m.put("ssl.key.password", password);
        m.put("ssl.keystore.type", STORE_TYPE);
        m.putAll(trustSettings());
        return m;
    }
}
