package io.irgstream.app.cli;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.schemas.images.BlobStore;
import io.irgstream.schemas.images.BlobStoreConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Where the pipeline runs: the embedded default (no --bootstrap-servers) or an external cluster. */
public final class ClusterOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster to use. Without it the command starts the embedded stack (broker, registry, workers) in-process.")
    String bootstrapServers;

    @Option(names = "--schema-registry", paramLabel = "URL",
            description = "Confluent-compatible schema registry (required with --bootstrap-servers; default with the embedded stack: its own).")
    String schemaRegistry;

    @Option(names = "--topic-prefix", defaultValue = "irg.", paramLabel = "PREFIX",
            description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--data-dir", defaultValue = ".irg", paramLabel = "DIR",
            description = "Embedded stack data: Kafka log, schema store, image blobs (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--models", defaultValue = "${env:IRG_MODELS:-models/shapes}", paramLabel = "DIR",
            description = "Folder with think.pt, draw.pt, reflect.pt and refine.pt (default: $IRG_MODELS, set by ./irg to the repository's models/shapes).")
    Path modelDir;

    @Option(names = "--blob-store", paramLabel = "NAME=VALUE",
            description = "Where the workers keep large images, as their settings: blob.store.uri=s3://bucket/prefix, "
                    + "blob.store.s3.endpoint=URL, blob.store.s3.path.style=true, blob.store.s3.region=R (repeatable; "
                    + "credentials from the AWS SDK's default chain). Default: the filesystem store under --data-dir/blobs.")
    Map<String, String> blobStore = new HashMap<>();

    /**
     * {@code --config FILE} and {@code --set NAME=VALUE}: the Kafka client settings (security.protocol, sasl.*,
     * ssl.*, bootstrap.servers) of every client the command creates; for {@code irg dev}, worker settings.
     */
    @Mixin
    SettingsOptions settings;

    /**
     * The Kafka client settings of this command's clients: {@code --bootstrap-servers} (else the file's
     * {@code bootstrap.servers}) and the connection settings of {@code --config} and {@code --set}. A {@code --set}
     * that is not a Kafka client setting is refused (a {@code --config} file may hold other settings too, e.g. a
     * worker's).
     *
     * @throws IllegalArgumentException naming a {@code --set} that is not a client setting
     */
    KafkaClientSettings kafka() {
        for (String k : settings.settings.keySet()) {
            if (!KafkaClientSettings.isConnectionSetting(k) && !k.equals(KafkaClientSettings.BOOTSTRAP_SERVERS)
                    && !isRegistrySetting(k)) {
                throw new IllegalArgumentException("--set " + k + ": not a Kafka client setting (this command takes "
                        + "bootstrap.servers, security.protocol, sasl.*, ssl.* and config.providers*, and the schema "
                        + "registry's basic.auth.* and schema.registry.*)");
            }
        }
        Map<String, Object> p;
        try {
            p = settings.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read settings file " + settings.configFile + ": " + e.getMessage(), e);
        }
        if (bootstrapServers != null) {
            p.put(KafkaClientSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        }
        return KafkaClientSettings.from(p);
    }

    /**
     * The schema registry client of this command: {@code --schema-registry} (else the {@code --config} file's
     * {@code schema.registry.url}) with the registry settings of {@code --config} and {@code --set}
     * ({@code basic.auth.credentials.source}, {@code basic.auth.user.info}, {@code schema.registry.ssl.truststore.*},
     * timeouts; docs/security.md).
     *
     * @throws org.apache.kafka.common.config.ConfigException naming a missing URL or a bad setting
     */
    io.irgstream.schemas.HttpSchemaRegistryClient registry() {
        Map<String, Object> p;
        try {
            p = settings.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read settings file " + settings.configFile + ": " + e.getMessage(), e);
        }
        Map<String, Object> r = new HashMap<>();
        p.forEach((k, v) -> {
            if (isRegistrySetting(k)) {
                r.put(k, v);
            }
        });
        if (schemaRegistry != null) {
            r.put(io.irgstream.schemas.IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG, schemaRegistry);
        }
        return new io.irgstream.schemas.HttpSchemaRegistryClient(r);
    }

    /** Whether {@code name} is a schema registry client setting ({@code basic.auth.*}, {@code schema.registry.*}). */
    static boolean isRegistrySetting(String name) {
        return name.startsWith("basic.auth.") || name.startsWith("schema.registry.");
    }

    /** The blob store {@code --blob-store} names (the filesystem store under {@code --data-dir/blobs} by default). */
    BlobStore openBlobStore() {
        for (String k : blobStore.keySet()) {
            if (!k.startsWith("blob.store.")) {
                throw new IllegalArgumentException("--blob-store takes blob.store.* settings, not " + k);
            }
        }
        return new BlobStoreConfig(blobStore).open(dataDir.resolve("blobs"));
    }

    /** Whether the command runs against a cluster: {@code --bootstrap-servers}, or bootstrap.servers in --config. */
    boolean external() {
        return bootstrapServers != null || kafka().hasBootstrapServers();
    }

    /**
     * Requires a cluster and a registry: {@code --bootstrap-servers} or the {@code --config} file's
     * {@code bootstrap.servers}, and {@code --schema-registry} or its {@code schema.registry.url} (as in the
     * {@code client.properties} that {@code ./irg dev --secure} writes).
     */
    void requireExternal() {
        if (!external() || (schemaRegistry == null && !hasRegistryUrlSetting())) {
            // either may come from the --config file instead (bootstrap.servers, schema.registry.url)
            throw new IllegalArgumentException("--bootstrap-servers and --schema-registry are both required here");
        }
    }

    private boolean hasRegistryUrlSetting() {
        try {
            Object url = settings.load().get(io.irgstream.schemas.IrgSerdeConfig.SCHEMA_REGISTRY_URL_CONFIG);
            return url != null && !url.toString().isBlank();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read settings file " + settings.configFile + ": " + e.getMessage(), e);
        }
    }
}
