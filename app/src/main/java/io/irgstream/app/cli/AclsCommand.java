package io.irgstream.app.cli;

import io.irgstream.app.security.KafkaAcls;
import io.irgstream.app.security.KafkaAcls.Role;
import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.topology.TopologyConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code irg acls --print|--apply}: the least-privilege Kafka ACLs of each role ({@link KafkaAcls}), printed, or
 * created on a cluster through the Admin API by an administrator.
 */
@Command(name = "acls", mixinStandardHelpOptions = true,
        description = "Print (--print) or create (--apply) the least-privilege Kafka ACLs of each role: the think, draw, "
                + "reflect and refine workers, the topology, the submitter and the operator (docs/security.md).")
public final class AclsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    /** What to do. */
    static final class Action {
        @Option(names = "--print", required = true, description = "Print the ACLs, one a line: principal, permission, "
                + "operation, resource type, pattern type, resource name, host.")
        boolean print;

        @Option(names = "--apply", required = true, description = "Create the ACLs on the cluster (needs an "
                + "administrator's --config: ALTER on the cluster). ACLs that exist already are left as they are.")
        boolean apply;
    }

    @Option(names = "--role", split = ",", paramLabel = "ROLE",
            description = "Only these roles (think, draw, reflect, refine, topology, submitter, operator; default: all).")
    List<String> roles = new ArrayList<>();

    @Option(names = "--principal", paramLabel = "ROLE=PRINCIPAL",
            description = "The principal of a role, e.g. think=User:CN-of-its-certificate (repeatable; default: "
                    + "User:irg-<role>).")
    Map<String, String> principals = new HashMap<>();

    @Option(names = "--topic-prefix", defaultValue = "irg.", paramLabel = "PREFIX",
            description = "Prefix of every topic name, as the processes' topic.prefix (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--application-id", defaultValue = TopologyConfig.DEFAULT_APPLICATION_ID, paramLabel = "ID",
            description = "The topology's application.id (default: ${DEFAULT-VALUE}).")
    String applicationId;

    @Option(names = "--format", defaultValue = "tsv", paramLabel = "tsv|kafka-acls",
            description = "With --print: tsv (one ACL a line, tab-separated; the default) or kafka-acls (one "
                    + "kafka-acls.sh command a line, for creating them with Kafka's own tool).")
    String format;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "With --apply: the cluster (or bootstrap.servers in --config).")
    String bootstrapServers;

    @Mixin
    SettingsOptions settings;

    @Override
    public Integer call() throws Exception {
        Map<Role, String> byRole = new EnumMap<>(Role.class);
        principals.forEach((r, p) -> byRole.put(Role.parse(r), p));
        KafkaAcls acls = new KafkaAcls(topicPrefix, applicationId, byRole);
        List<Role> chosen = roles.isEmpty() ? List.of(Role.values()) : roles.stream().map(Role::parse).toList();
        PrintWriter out = spec.commandLine().getOut();
        if (action.print) {
            if (!format.equals("tsv") && !format.equals("kafka-acls")) {
                throw new IllegalArgumentException("--format is tsv or kafka-acls, not " + format);
            }
            String servers = bootstrapServers != null ? bootstrapServers : "BROKER:9093";
            for (Role r : chosen) {
                out.println("# " + r.id() + " (" + r.description() + "): " + acls.principal(r));
                for (AclBinding b : acls.forRole(r)) {
                    out.println(format.equals("tsv") ? KafkaAcls.format(b) : "kafka-acls.sh --bootstrap-server "
                            + servers + " --command-config admin.properties --add " + KafkaAcls.kafkaAclsArguments(b));
                }
            }
            out.flush();
            return 0;
        }
        List<AclBinding> all = new ArrayList<>();
        chosen.forEach(r -> all.addAll(acls.forRole(r)));
        Map<String, Object> given = settings.load();
        if (bootstrapServers != null) {
            given.put(KafkaClientSettings.BOOTSTRAP_SERVERS, bootstrapServers);
        }
        KafkaClientSettings kafka = KafkaClientSettings.from(given);
        Map<String, Object> p = kafka.applyTo(new HashMap<>());
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        try (Admin admin = Admin.create(p)) {
            admin.createAcls(all).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create the ACLs (it takes an administrator: ALTER on the "
                    + "cluster): " + kafka.explain(e.getCause()), e.getCause());
        }
        for (Role r : chosen) {
            out.println("applied " + acls.forRole(r).size() + " ACLs of " + r.id() + " for " + acls.principal(r));
        }
        out.flush();
        return 0;
    }
}
