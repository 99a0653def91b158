package io.irgstream.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The API keys of the HTTP API ({@code http.auth.keys.file}): who may call it, with which role and for which tenant.
 *
 * <p>A key is {@code irg_<id>_<secret>}: {@code id} is 8 hex characters that name the key (in the file, the logs and
 * the rate limiter), {@code secret} 256 random bits in base64url. The file keeps only the key's SHA-256, one key per
 * line:
 *
 * <pre>
 * # irg API keys: id role tenant sha256 created
 * 3f9a0c12 submit shop 5e88...e4 2026-12-05T08:30:00Z
 * </pre>
 *
 * <p>{@code tenant} is {@code *} for a key that may submit for any tenant. Lines starting with {@code #} and blank
 * lines are ignored; deleting a key's line revokes it (a running API reads the file again when it changes). Keys are
 * high-entropy, so a plain SHA-256 is enough (no salt or stretching is needed against guessing); the presented
 * key's hash is compared in constant time.
 *
 * <p>Immutable and thread-safe; {@link #create} appends to the file.
 */
public final class ApiKeys {

    /** What a key may do; each role may do what the roles before it may. */
    public enum Role {
        /** GET routes: trajectories, lists, event streams, images, metrics. */
        READ,
        /** {@link #READ}, and submitting and cancelling trajectories. */
        SUBMIT,
        /** Everything. */
        ADMIN;

        /** @return whether a key of this role may do what {@code needed} may */
        public boolean allows(Role needed) {
            return ordinal() >= needed.ordinal();
        }

        /** @return the role's name in the file and on the command line: read, submit or admin */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * @param text read, submit or admin (any case)
         * @return the role
         * @throws IllegalArgumentException naming the valid roles
         */
        public static Role parse(String text) {
            for (Role r : values()) {
                if (r.label().equalsIgnoreCase(text == null ? "" : text.trim())) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown role '" + text + "': expected read, submit or admin");
        }
    }

    /** Tenant value of a key that may submit for any tenant. */
    public static final String ANY_TENANT = "*";
    /** Prefix of every key. */
    public static final String KEY_PREFIX = "irg_";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String HEADER = "# irg API keys (docs/security.md): id role tenant sha256 created\n";

    /**
     * One key as the file holds it.
     *
     * @param id      the key's public name, 8 hex characters
     * @param role    what it may do
     * @param tenant  the tenant its submissions are for, or {@value #ANY_TENANT}
     * @param sha256  SHA-256 of the whole key, lower-case hex
     * @param created when it was created
     */
    public record Key(String id, Role role, String tenant, String sha256, Instant created) {
        /** @return whether this key is bound to one tenant */
        public boolean hasTenant() {
            return !ANY_TENANT.equals(tenant);
        }
    }

    /**
     * A key just created: the secret (shown once, never stored) and its entry.
     *
     * @param key   the full key to give to the client
     * @param entry what the file holds about it
     */
    public record Created(String key, Key entry) {
    }

    private final Map<String, Key> byId;

    private ApiKeys(Map<String, Key> byId) {
        this.byId = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    }

    /**
     * Reads a key file.
     *
     * @param file the file
     * @return its keys
     * @throws IllegalArgumentException naming the file and line when a line is malformed or an id repeats
     * @throws UncheckedIOException     when the file cannot be read
     */
    public static ApiKeys load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API key file " + file + ": " + e.getMessage(), e);
        }
        Map<String, Key> keys = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = "API key file " + file + " line " + (i + 1);
            if (f.length != 5) {
                throw new IllegalArgumentException(where + ": expected 'id role tenant sha256 created', got "
                        + f.length + " fields");
            }
            if (!f[0].matches("[0-9a-f]{8}")) {
                throw new IllegalArgumentException(where + ": the id must be 8 lower-case hex characters");
            }
            if (!f[3].matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException(where + ": the sha256 must be 64 lower-case hex characters");
            }
            Role role;
            Instant created;
            try {
                role = Role.parse(f[1]);
                created = Instant.parse(f[4]);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage());
            }
            if (keys.put(f[0], new Key(f[0], role, f[2], f[3], created)) != null) {
                throw new IllegalArgumentException(where + ": the id " + f[0] + " is used twice");
            }
        }
        return new ApiKeys(keys);
    }

    /**
     * Creates a key and appends its hash to {@code file} (created, readable by its owner only, when missing).
     *
     * @param file   the key file
     * @param role   what the key may do
     * @param tenant the tenant its submissions are for; null or {@value #ANY_TENANT} for any
     * @return the key, to be shown once, and its entry
     * @throws IllegalArgumentException when the tenant is not 1..255 visible characters without blanks
     * @throws UncheckedIOException     when the file cannot be written
     */
    public static Created create(Path file, Role role, String tenant) {
        String t = tenant == null ? ANY_TENANT : tenant;
        if (t.isEmpty() || t.length() > 255 || !t.codePoints().allMatch(c -> c > 0x20 && c != 0x7f
                && !Character.isWhitespace(c) && !Character.isISOControl(c))) {
            throw new IllegalArgumentException("the tenant must be 1..255 characters without blanks or control "
                    + "characters, got '" + tenant + "'");
        }
        byte[] idBytes = new byte[4];
        byte[] secret = new byte[32];
        RANDOM.nextBytes(idBytes);
        RANDOM.nextBytes(secret);
        String id = HexFormat.of().formatHex(idBytes);
        String key = KEY_PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Key entry = new Key(id, role, t, sha256Hex(key), Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, HEADER, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            } catch (FileAlreadyExistsException e) {
                // append to it
            } catch (UnsupportedOperationException e) {
                Files.writeString(file, HEADER, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
            }
            if (load(file).byId.containsKey(id)) {
                return create(file, role, tenant);
            }
            Files.writeString(file, id + " " + role.label() + " " + t + " " + entry.sha256() + " " + entry.created()
                    + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the API key file " + file + ": " + e.getMessage(), e);
        }
        return new Created(key, entry);
    }

    /**
     * Finds the key a client presented.
     *
     * @param presented the bearer token as sent
     * @return its entry, or empty when it is malformed, unknown or revoked
     */
    public Optional<Key> authenticate(String presented) {
        if (presented == null || !presented.startsWith(KEY_PREFIX) || presented.length() > 200) {
            return Optional.empty();
        }
        int sep = presented.indexOf('_', KEY_PREFIX.length());
        if (sep < 0) {
            return Optional.empty();
        }
        Key key = byId.get(presented.substring(KEY_PREFIX.length(), sep));
        if (key == null) {
            return Optional.empty();
        }
        boolean same = MessageDigest.isEqual(sha256Hex(presented).getBytes(StandardCharsets.US_ASCII),
                key.sha256().getBytes(StandardCharsets.US_ASCII));
        return same ? Optional.of(key) : Optional.empty();
    }

    /** @return every key, in file order */
    public List<Key> keys() {
        return new ArrayList<>(byId.values());
    }

    /** @return how many keys there are */
    public int size() {
        return byId.size();
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 not available", e);
        }
    }
}
