package io.irgstream.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.irgstream.schemas.images.BlobStoreConfig;
import io.irgstream.topology.TopologyConfig;
import io.irgstream.worker.WorkerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.StringReader;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every Kubernetes manifest under {@code deploy/k8s} parsed strictly: the built-in kinds into fabric8's Kubernetes
 * model with no field left unknown (a typo such as {@code replica:} or {@code livenesProbe:} fails), KEDA's
 * ScaledObject into the fields KEDA documents; then what the manifests promise: a Deployment, a PodDisruptionBudget and
 * a ScaledObject on the consumer group's lag per step, GPUs for draw and refine, probes on every container, the
 * topology as a StatefulSet with its state on a volume, and settings that the workers and the topology accept.
 */
class ManifestsTest {
    private static final Path DIR = Path.of("k8s");
    private static final List<String> STEPS = List.of("think", "draw", "reflect", "refine");
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/ConfigMap", ConfigMap.class, "v1/Secret", Secret.class, "v1/Service", Service.class,
            "apps/v1/Deployment", Deployment.class, "apps/v1/StatefulSet", StatefulSet.class,
            "batch/v1/Job", Job.class, "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final JsonMapper FABRIC8 = JsonMapper.builder().build();
    static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private static final List<HasMetadata> objects = new ArrayList<>();
    private static final Map<String, ScaledObject> scaledObjects = new HashMap<>();

    @BeforeAll
    static void parseAll() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            for (JsonNode doc : documents(Files.readString(f))) {
                String where = f + " " + doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
                if ("ScaledObject".equals(doc.path("kind").asText())) {
                    ScaledObject so = STRICT.treeToValue(doc, ScaledObject.class);
                    assertThat(so.apiVersion()).as(where).isEqualTo("keda.sh/v1alpha1");
                    scaledObjects.put(so.metadata().name(), so);
                } else {
                    objects.add(parse(doc, where));
                }
            }
        }
    }

    /** The YAML documents of a file (a {@code ---} stream), skipping empty ones. */
    static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(new StringReader(yaml))) {
            for (JsonNode n : YAML.readValues(p, JsonNode.class).readAll()) {
                if (n != null && !n.isNull() && !n.isMissingNode()) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    /** One built-in object into its fabric8 class; any field the model does not know fails, with its path. */
    static HasMetadata parse(JsonNode doc, String where) {
        String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
        Class<? extends HasMetadata> type = KINDS.get(key);
        if (type == null) {
            throw new AssertionError(where + ": unknown apiVersion/kind " + key);
        }
        HasMetadata o = FABRIC8.readValue(doc.toString(), type);
        List<String> unknown = new ArrayList<>();
        unknownFields(o, key, unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            throw new AssertionError(where + ": unknown fields " + unknown);
        }
        return o;
    }

    /** fabric8 keeps fields it does not know in each object's additionalProperties: find any, anywhere. */
    private static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) {
            return;
        }
        if (o instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                unknownFields(l.get(i), path + "[" + i + "]", out, seen);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.") || o instanceof IntOrString || o instanceof Quantity) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers()) || !g.getName().startsWith("get")
                    || g.getDeclaringClass() == Object.class) {
                continue;
            }
            Object v;
            try {
                v = g.invoke(o);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            String field = Character.toLowerCase(g.getName().charAt(3)) + g.getName().substring(4);
            if (g.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> out.add(path + "." + k));
                }
            } else {
                unknownFields(v, path + "." + field, out, seen);
            }
        }
    }

    private static <T extends HasMetadata> T get(Class<T> type, String name) {
        return objects.stream().filter(type::isInstance).map(type::cast)
                .filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in " + DIR));
    }

    @Test
    void aTypoAnywhereFails() throws IOException {
        String deployment = Files.readString(DIR.resolve("think.yaml")).split("\n---\n")[0];
        for (String[] typo : new String[][]{{"  replicas: 1", "  replica: 1"}, {"livenessProbe:", "livenesProbe:"},
                {"containerPort: 9400", "containerport: 9400"}}) {
            assertThat(deployment).contains(typo[0]);
            JsonNode doc = documents(deployment.replace(typo[0], typo[1])).get(0);
            assertThatThrownBy(() -> parse(doc, "think.yaml")).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("unknown fields").hasMessageContaining(typo[1].trim().replaceAll(":.*", ""));
        }
        String scaled = Files.readString(DIR.resolve("think.yaml")).split("\n---\n")[2];
        JsonNode so = documents(scaled.replace("minReplicaCount", "minReplicas")).get(0);
        assertThatThrownBy(() -> STRICT.treeToValue(so, ScaledObject.class)).hasMessageContaining("minReplicas");
        JsonNode badMeta = documents(scaled.replace("lagThreshold:", "lagTreshold:")).get(0);
        assertThatThrownBy(() -> STRICT.treeToValue(badMeta, ScaledObject.class).spec().triggers().forEach(Trigger::check))
                .hasMessageContaining("lagTreshold");
    }

    @Test
    void eachStepHasADeploymentADisruptionBudgetAndAScaledObjectOnItsGroupsLag() {
        for (String step : STEPS) {
            Deployment d = get(Deployment.class, "irg-" + step);
            PodTemplateSpec pod = d.getSpec().getTemplate();
            assertThat(d.getSpec().getSelector().getMatchLabels()).isEqualTo(pod.getMetadata().getLabels());
            Container c = pod.getSpec().getContainers().get(0);
            assertThat(c.getArgs()).containsSequence("worker", "--step", step);
            probes(step, c);
            Map<String, Quantity> limits = c.getResources().getLimits();
            boolean gpu = step.equals("draw") || step.equals("refine");
            assertThat(limits.containsKey("nvidia.com/gpu")).as(step + " GPU").isEqualTo(gpu);
            assertThat(pod.getSpec().getTerminationGracePeriodSeconds()).as(step).isGreaterThanOrEqualTo(30L);

            PodDisruptionBudget pdb = get(PodDisruptionBudget.class, "irg-" + step);
            assertThat(pod.getMetadata().getLabels()).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());

            ScaledObject so = scaledObjects.get("irg-" + step);
            assertThat(so).as("ScaledObject irg-" + step).isNotNull();
            assertThat(so.spec().scaleTargetRef().name()).isEqualTo(d.getMetadata().getName());
            assertThat(so.spec().minReplicaCount()).isGreaterThanOrEqualTo(1);
            assertThat(so.spec().maxReplicaCount()).isGreaterThanOrEqualTo(so.spec().minReplicaCount());
            assertThat(so.spec().triggers()).hasSize(1);
            Trigger t = so.spec().triggers().get(0);
            t.check();
            assertThat(t.type()).isEqualTo("kafka");
            // the group the workers join: <topic.prefix without its dot>-<step>
            Map<String, Object> p = settings();
            p.put(WorkerConfig.STEP, step);
            assertThat(t.metadata().get("consumerGroup")).isEqualTo(new WorkerConfig(p).groupId());
            assertThat(t.metadata().get("bootstrapServers")).isEqualTo(p.get(WorkerConfig.BOOTSTRAP_SERVERS));
            assertThat(Integer.parseInt(t.metadata().get("lagThreshold"))).isPositive();
        }
    }

    @Test
    void theTopologyIsAStatefulSetWithItsStateOnAVolume() {
        StatefulSet s = get(StatefulSet.class, "irg-topology");
        assertThat(get(Service.class, s.getSpec().getServiceName()).getSpec().getClusterIP()).isEqualTo("None");
        Container c = s.getSpec().getTemplate().getSpec().getContainers().get(0);
        probes("topology", c);
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(s.getSpec().getVolumeClaimTemplates()).extracting(v -> v.getMetadata().getName()).contains("streams");
        assertThat(c.getVolumeMounts()).anyMatch(m -> m.getName().equals("streams")
                && String.join(" ", c.getArgs()).contains("state.dir=" + m.getMountPath()));
        PodDisruptionBudget pdb = get(PodDisruptionBudget.class, "irg-topology");
        assertThat(s.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void theSharedSettingsAreAcceptedByTheWorkersAndTheTopology() {
        Map<String, Object> p = settings();
        Set<String> known = new java.util.HashSet<>(WorkerConfig.configDef().names());
        known.addAll(TopologyConfig.configDef().names());
        assertThat(p.keySet()).as("settings no process knows").isSubsetOf(known);
        for (String step : STEPS) {
            Map<String, Object> w = new HashMap<>(p);
            w.put(WorkerConfig.STEP, step);
            new WorkerConfig(w); // throws naming the setting when a value is wrong
        }
        assertThat(new BlobStoreConfig(p).isS3()).isTrue();
        Map<String, Object> t = new HashMap<>(p);
        t.put(TopologyConfig.APPLICATION_SERVER_CONFIG, "irg-topology-0.irg-topology-headless.default.svc:8080");
        new TopologyConfig(t);
    }

    private static Map<String, Object> settings() {
        Properties props = new Properties();
        try {
            props.load(new StringReader(get(ConfigMap.class, "irg-settings").getData().get("irg.properties")));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        Map<String, Object> m = new HashMap<>();
        props.forEach((k, v) -> m.put(k.toString(), v.toString()));
        return m;
    }

    /** Liveness, readiness and startup probes, each on a port the container declares. */
    private static void probes(String what, Container c) {
        List<String> ports = c.getPorts().stream().map(ContainerPort::getName).toList();
        for (Probe p : new Probe[]{c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe()}) {
            assertThat(p).as(what + " probes").isNotNull();
            IntOrString port = p.getHttpGet() != null ? p.getHttpGet().getPort() : p.getTcpSocket().getPort();
            assertThat(ports).as(what + " probe port").contains(port.getStrVal());
        }
    }

    // KEDA's ScaledObject (keda.sh/v1alpha1), the fields KEDA documents; any other field fails.

    record ScaledObject(String apiVersion, String kind, Meta metadata, Spec spec) {
    }

    record Meta(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {
    }

    record Spec(Target scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod, Integer initialCooldownPeriod,
                Integer idleReplicaCount, Integer minReplicaCount, Integer maxReplicaCount, Advanced advanced,
                Fallback fallback, List<Trigger> triggers) {
    }

    record Target(String name, String kind, String apiVersion, String envSourceContainerName) {
    }

    record Fallback(Integer failureThreshold, Integer replicas) {
    }

    record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig,
                    JsonNode scalingModifiers) {
    }

    record HpaConfig(String name, JsonNode behavior) {
    }

    record AuthRef(String name, String kind) {
    }

    record Trigger(String type, String name, Boolean useCachedMetrics, String metricType, Map<String, String> metadata,
                   AuthRef authenticationRef) {
        /** The Kafka scaler's metadata keys (KEDA docs, scalers/apache-kafka). */
        private static final Set<String> KAFKA = Set.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold",
                "activationLagThreshold", "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset",
                "excludePersistentLag", "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions",
                "partitionLimitation", "version", "sasl", "tls", "unsafeSsl");

        void check() {
            if ("kafka".equals(type)) {
                for (String k : metadata.keySet()) {
                    if (!KAFKA.contains(k)) {
                        throw new AssertionError("kafka trigger: unknown metadata key " + k);
                    }
                }
            }
        }
    }
}
