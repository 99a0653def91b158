package io.irgstream.app.security;

import io.irgstream.model.Step;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.StepHandler;
import io.irgstream.worker.WorkerConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The least-privilege Kafka ACLs of each role of an irg-stream deployment, computed from the topic names, consumer
 * groups and transactional ids the processes use (a topic prefix, the workers' default {@code group.id}s and the
 * topology's {@code application.id}), for a cluster whose authorizer denies what no ACL allows. Every ACL allows one
 * operation on one resource to one principal, from any host; nothing else is granted.
 *
 * <ul>
 *   <li>step workers ({@link Role#THINK}, {@link Role#DRAW}, {@link Role#REFLECT}, {@link Role#REFINE}), one principal
 *       each: read their input topics, their retry tiers and the cancellations; write their output topic, their retry
 *       tiers, the dead letters and the cancellations (expiry reports); describe their output topic's configs (its
 *       {@code max.message.bytes}); read their group {@code <prefix>-<step>}; write transactional ids prefixed
 *       {@code <prefix>-<step>-};</li>
 *   <li>{@link Role#TOPOLOGY}: reads every event topic and the trajectories, writes the trajectories, describes every
 *       topic (its start-up check), owns the topics, group and transactional ids of its application id (prefix
 *       {@code <application.id>-}), for the HTTP API that runs in it writes prompts and cancellations, and for its
 *       webhook dispatcher (when webhooks are on) reads the group {@code <application.id>-webhooks} and writes the
 *       dead letters;</li>
 *   <li>{@link Role#SUBMITTER} ({@code ./irg submit}, an HTTP API run apart): writes prompts, submissions (the
 *       admission scheduler's queue) and cancellations;</li>
 *   <li>{@link Role#OPERATOR} (dead letters, retry-dead-letters, redrive, replay, audit, export, topics): reads every
 *       topic, writes the step topics and retry tiers (re-submitted dead letters, redriven results), writes
 *       transactional ids prefixed {@code <prefix>redrive-}, creates topics named with the prefix.</li>
 * </ul>
 * Applying ACLs ({@code ./irg acls --apply}) takes a cluster administrator (ALTER on the cluster), not one of these.
 */
public final class KafkaAcls {
    /** A role, with the principal it gets by default ({@code User:irg-<role>}). */
    public enum Role {
        THINK("think workers"), DRAW("draw workers"), REFLECT("reflect workers"), REFINE("refine workers"),
        TOPOLOGY("trajectory topology and its HTTP API"), SUBMITTER("submitter: ./irg submit"),
        OPERATOR("operator: dead letters, retry-dead-letters, redrive, replay, audit, export, topics");

        private final String description;

        Role(String description) {
            this.description = description;
        }

        /** @return the role's name as written on the command line, e.g. {@code think} */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @return what the role is */
        public String description() {
            return description;
        }

        /** @return {@code User:irg-<role>} */
        public String defaultPrincipal() {
            return "User:irg-" + id();
        }

        /** @return the step this role's workers perform, or null for a role that is not a step */
        public Step step() {
            return switch (this) {
                case THINK -> Step.THINK;
                case DRAW -> Step.DRAW;
                case REFLECT -> Step.REFLECT;
                case REFINE -> Step.REFINE;
                default -> null;
            };
        }

        /**
         * @param id a role name, any case
         * @return the role
         * @throws IllegalArgumentException naming the roles when there is none of that name
         */
        public static Role parse(String id) {
            for (Role r : values()) {
                if (r.id().equalsIgnoreCase(id.trim())) {
                    return r;
                }
            }
            throw new IllegalArgumentException("no role '" + id + "': one of "
                    + Arrays.stream(values()).map(Role::id).toList());
        }
    }

    private final Topics topics;
    private final String topicPrefix;
    private final String applicationId;
    private final Map<Role, String> principals;

    /**
     * @param topicPrefix   prefix of the topic names, as the processes' {@code topic.prefix} (e.g. {@code irg.})
     * @param applicationId the topology's {@code application.id}
     * @param principals    principals that differ from {@link Role#defaultPrincipal()}, e.g. a certificate's CN
     */
    public KafkaAcls(String topicPrefix, String applicationId, Map<Role, String> principals) {
        this.topicPrefix = Objects.requireNonNull(topicPrefix, "topicPrefix");
        this.topics = Topics.withPrefix(topicPrefix);
        this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
        this.principals = new EnumMap<>(Role.class);
        for (Role r : Role.values()) {
            String p = principals.getOrDefault(r, r.defaultPrincipal());
            if (!p.contains(":")) {
                throw new IllegalArgumentException("principal '" + p + "' of role " + r.id() + " needs a type, "
                        + "e.g. User:" + p);
            }
            this.principals.put(r, p);
        }
    }

    /** @return the ACLs of the default deployment: prefix {@code irg.}, application id {@code irg-topology} */
    public static KafkaAcls defaults() {
        return new KafkaAcls(Topics.DEFAULT_PREFIX, TopologyConfig.DEFAULT_APPLICATION_ID, Map.of());
    }

    /** @return the principal of {@code role} */
    public String principal(Role role) {
        return principals.get(role);
    }

    /** @return the ACLs of every role, role by role */
    public List<AclBinding> all() {
        List<AclBinding> all = new ArrayList<>();
        for (Role r : Role.values()) {
            all.addAll(forRole(r));
        }
        return all;
    }

    /**
     * @param role a role
     * @return exactly the ACLs it needs, without duplicates
     */
    public List<AclBinding> forRole(Role role) {
        Grants g = new Grants(principals.get(role));
        if (role.step() != null) {
            worker(role.step(), g);
        } else if (role == Role.TOPOLOGY) {
            topology(g);
        } else if (role == Role.SUBMITTER) {
            g.topic(AclOperation.WRITE, topics.prompts().name(), topics.cancellations().name(),
                    topics.submissions().name());
        } else {
            operator(g);
        }
        return List.copyOf(g.acls);
    }

    /** The worker's group id for {@code step} with this prefix, as {@link WorkerConfig#groupId()} derives it. */
    public String workerGroupId(Step step) {
        return new WorkerConfig(Map.of(WorkerConfig.STEP, step.id(), WorkerConfig.BOOTSTRAP_SERVERS, "-",
                WorkerConfig.SCHEMA_REGISTRY_URL, "-", WorkerConfig.TOPIC_PREFIX, topicPrefix)).groupId();
    }

    private void worker(Step step, Grants g) {
        StepHandler<?, ?> handler = StepHandler.of(step);
        List<String> retries = new ArrayList<>();
        for (int tier = 1; tier <= Topics.RETRY_TIERS; tier++) {
            retries.add(topics.retry(step.id(), tier).name());
        }
        String cancellations = topics.cancellations().name();
        g.topic(AclOperation.READ, handler.inputs(topics).keySet().stream().sorted().toArray(String[]::new));
        g.topic(AclOperation.READ, retries.toArray(String[]::new));
        g.topic(AclOperation.READ, cancellations);
        String output = handler.output(topics);
        g.topic(AclOperation.WRITE, output);
        g.topic(AclOperation.WRITE, retries.toArray(String[]::new));
        g.topic(AclOperation.WRITE, topics.deadLetters().name(), cancellations);
        g.topic(AclOperation.DESCRIBE_CONFIGS, output);
        String group = workerGroupId(step);
        g.add(ResourceType.GROUP, group, PatternType.LITERAL, AclOperation.READ);
        // transactional id <group.id>-<worker.id>
        g.add(ResourceType.TRANSACTIONAL_ID, group + "-", PatternType.PREFIXED, AclOperation.WRITE);
    }

    private void topology(Grants g) {
        g.topic(AclOperation.READ, topics.prompts().name(), topics.thoughts().name(), topics.draftImages().name(),
                topics.reflections().name(), topics.finalImages().name(), topics.deadLetters().name(),
                topics.cancellations().name(), topics.trajectories().name(), topics.submissions().name());
        g.topic(AclOperation.WRITE, topics.trajectories().name());
        for (Topic<?> t : topics.all()) {
            if (t.name().startsWith(topicPrefix + "retry-")) {
                g.topic(AclOperation.DESCRIBE, t.name()); // the start-up check describes every topic
            }
        }
        // Kafka Streams' own: changelog and repartition topics, group, transactional ids (exactly_once_v2)
        g.add(ResourceType.TOPIC, applicationId + "-", PatternType.PREFIXED, AclOperation.ALL);
        g.add(ResourceType.GROUP, applicationId, PatternType.LITERAL, AclOperation.READ);
        g.add(ResourceType.TRANSACTIONAL_ID, applicationId + "-", PatternType.PREFIXED, AclOperation.WRITE);
        // the HTTP API's submitter (prompts straight on, or to the scheduler) and the admission scheduler's releases
        g.topic(AclOperation.WRITE, topics.prompts().name(), topics.cancellations().name(),
                topics.submissions().name());
        // the webhook dispatcher: its own group over the trajectories, dead letters for callbacks that keep failing
        g.add(ResourceType.GROUP, applicationId + "-webhooks", PatternType.LITERAL, AclOperation.READ);
        g.topic(AclOperation.WRITE, topics.deadLetters().name());
    }

    private void operator(Grants g) {
        for (Topic<?> t : topics.all()) {
            g.topic(AclOperation.READ, t.name());
        }
        g.topic(AclOperation.WRITE, topics.prompts().name(), topics.thoughts().name(), topics.draftImages().name(),
                topics.reflections().name(), topics.finalImages().name());
        for (Topic<?> t : topics.all()) {
            if (t.name().startsWith(topicPrefix + "retry-")) {
                g.topic(AclOperation.WRITE, t.name());
            }
        }
        g.add(ResourceType.TRANSACTIONAL_ID, topicPrefix + "redrive-", PatternType.PREFIXED, AclOperation.WRITE);
        g.add(ResourceType.TOPIC, topicPrefix, PatternType.PREFIXED, AclOperation.CREATE);
    }

    /**
     * One ACL as a line: principal, permission, operation, resource type, pattern type, resource name, host.
     *
     * @param b an ACL
     * @return the line, tab-separated
     */
    public static String format(AclBinding b) {
        return String.join("\t", b.entry().principal(), b.entry().permissionType().name(),
                b.entry().operation().name(), b.pattern().resourceType().name(), b.pattern().patternType().name(),
                b.pattern().name(), b.entry().host());
    }

    /**
     * One ACL as the arguments of Kafka's {@code kafka-acls.sh --add}, for clusters where ACLs are created with
     * Kafka's own tools, e.g. {@code --allow-principal User:irg-think --operation Read --topic irg.prompts}.
     *
     * @param b an ACL
     * @return the arguments, space-separated
     */
    public static String kafkaAclsArguments(AclBinding b) {
        String resource = switch (b.pattern().resourceType()) {
            case TOPIC -> "--topic";
            case GROUP -> "--group";
            case TRANSACTIONAL_ID -> "--transactional-id";
            case CLUSTER -> "--cluster";
            default -> throw new IllegalArgumentException("no kafka-acls.sh option for " + b.pattern().resourceType());
        };
        StringBuilder op = new StringBuilder();
        for (String part : b.entry().operation().name().split("_")) {
            op.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return "--allow-principal " + b.entry().principal() + " --operation " + op + " " + resource + " "
                + b.pattern().name() + (b.pattern().patternType() == PatternType.PREFIXED
                ? " --resource-pattern-type prefixed" : "");
    }

    /** The ACLs of one principal, in order, without duplicates. */
    private static final class Grants {
        final String principal;
        final Set<AclBinding> acls = new LinkedHashSet<>();

        Grants(String principal) {
            this.principal = principal;
        }

        void topic(AclOperation op, String... names) {
            for (String n : names) {
                add(ResourceType.TOPIC, n, PatternType.LITERAL, op);
            }
        }

        void add(ResourceType type, String name, PatternType pattern, AclOperation op) {
            acls.add(new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", op, AclPermissionType.ALLOW)));
        }
    }
}
