package io.irgstream.app.cli;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Settings of a long-running process: a properties file, overridden by repeated {@code --set name=value}. */
public final class SettingsOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "Properties file with settings, e.g. a "
            + "client.properties with the Kafka client settings every process shares (bootstrap.servers, "
            + "security.protocol, sasl.*, ssl.*; docs/configuration.md).")
    Path configFile;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "A setting; repeatable; wins over --config.")
    Map<String, String> settings = new HashMap<>();

    /** The merged settings. */
    Map<String, Object> load() throws IOException {
        Map<String, Object> p = new HashMap<>();
        if (configFile != null) {
            if (!Files.isReadable(configFile)) {
                throw new IllegalArgumentException("cannot read settings file " + configFile);
            }
            Properties file = new Properties();
            try (Reader r = Files.newBufferedReader(configFile)) {
                file.load(r);
            }
            file.forEach((k, v) -> p.put(k.toString(), v.toString()));
        }
        p.putAll(settings);
        return p;
    }
}
