package io.irgstream.app.cli;

import io.irgstream.app.stack.TopicLayout;
import io.irgstream.embedded.TopicBootstrap;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.embedded.TopicSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code irg topics}: create the irg topics on a cluster (idempotent). */
@Command(name = "topics", description = "Create the irg topics on a Kafka cluster if they are missing (existing topics are left as they are).",
        mixinStandardHelpOptions = true)
public final class TopicsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka cluster (or bootstrap.servers in --config).")
    String bootstrapServers;

    @Mixin
    SettingsOptions settings;

    @Option(names = "--topic-prefix", defaultValue = "irg.", description = "Prefix of every topic name (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic: the most instances per step that can work at once (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "3", description = "Replicas per partition (default: ${DEFAULT-VALUE}; 1 on a single broker).")
    int replicationFactor;

    @Option(names = "--retention-ms", defaultValue = "604800000", description = "Retention of the event topics; -1 keeps them forever (default: ${DEFAULT-VALUE}, 7 days). irg.trajectories is compacted.")
    long retentionMs;

    @Override
    public Integer call() throws IOException {
        TopicLayout layout = new TopicLayout(prefix, partitions, retentionMs);
        Map<String, Object> given = settings.load();
        if (bootstrapServers != null) {
            given.put(KafkaClientSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        }
        Map<String, Object> p = KafkaClientSettings.from(given).applyTo(new HashMap<>());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(p)) {
            Set<String> created = TopicBootstrap.ensureTopics(admin, layout.specs(replicationFactor));
            for (TopicSpec s : layout.specs(replicationFactor)) {
                spec.commandLine().getOut().println((created.contains(s.name()) ? "created  " : "exists   ") + s.name());
            }
        }
        return 0;
    }
}
