package io.irgstream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The secure kustomize overlay {@code deploy/k8s-secure}: its kustomization against the fields it may use, every
 * patch parsed strictly as the kind it patches (a partial object, but any field fabric8 does not know fails; KEDA's
 * ScaledObject against the fields KEDA documents) and aimed at an object and container of {@code deploy/k8s}; each
 * worker, the topology and the topics job mount their own role's Secret, the topology serves API keys instead of
 * {@code http.insecure}, and each step's ScaledObject reads its lag over SASL_SSL as the step's user through a KEDA
 * TriggerAuthentication.
 */
class SecureOverlayTest {
    private static final Path DIR = Path.of("k8s-secure");
    private static final Path BASE = Path.of("k8s");
    private static final List<String> STEPS = List.of("think", "draw", "reflect", "refine");
    /** The kafka scaler's authentication parameters (KEDA docs, scalers/apache-kafka, "Authentication Parameters"). */
    private static final Set<String> KAFKA_AUTH = Set.of("sasl", "saslTokenProvider", "username", "password", "keytab",
            "realm", "kerberosConfig", "kerberosServiceName", "kerberosDisableFAST", "oauthTokenEndpointUri", "scopes",
            "oauthExtensions", "tls", "ca", "cert", "key", "keyPassword", "awsRoleArn", "awsAccessKeyID",
            "awsSecretAccessKey");

    /** The kustomization fields this overlay uses; any other (a typo) fails. */
    record Kustomization(String apiVersion, String kind, List<String> resources, List<PatchRef> patches) {
    }

    record PatchRef(String path) {
    }

    // KEDA's TriggerAuthentication (keda.sh/v1alpha1), the fields KEDA documents; any other field fails.

    record TriggerAuthentication(String apiVersion, String kind, ManifestsTest.Meta metadata, AuthSpec spec) {
    }

    record AuthSpec(List<SecretRef> secretTargetRef, JsonNode env, JsonNode configMapTargetRef, JsonNode podIdentity,
                    JsonNode hashiCorpVault, JsonNode azureKeyVault, JsonNode awsSecretManager,
                    JsonNode gcpSecretManager, JsonNode boundServiceAccountToken) {
    }

    record SecretRef(String parameter, String name, String key) {
        /** A parameter the kafka scaler does not know (a typo) fails. */
        void check() {
            if (!KAFKA_AUTH.contains(parameter)) {
                throw new AssertionError("kafka trigger authentication: unknown parameter " + parameter);
            }
        }
    }

    private static TriggerAuthentication triggerAuthentication(JsonNode doc) throws IOException {
        TriggerAuthentication a = ManifestsTest.STRICT.treeToValue(doc, TriggerAuthentication.class);
        a.spec().secretTargetRef().forEach(SecretRef::check);
        return a;
    }

    private static ManifestsTest.ScaledObject scaledObject(JsonNode doc) throws IOException {
        ManifestsTest.ScaledObject so = ManifestsTest.STRICT.treeToValue(doc, ManifestsTest.ScaledObject.class);
        so.spec().triggers().forEach(ManifestsTest.Trigger::check);
        return so;
    }

    private static Kustomization kustomization(String yaml) throws IOException {
        return ManifestsTest.STRICT.treeToValue(ManifestsTest.documents(yaml).get(0), Kustomization.class);
    }

    private static Set<String> baseObjects() throws IOException {
        Set<String> out = new HashSet<>();
        try (Stream<Path> s = Files.list(BASE)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode d : ManifestsTest.documents(Files.readString(f))) {
                    out.add(d.path("kind").asText() + "/" + d.path("metadata").path("name").asText());
                }
            }
        }
        return out;
    }

    /** The patches of built-in kinds, each parsed by fabric8. */
    private static List<HasMetadata> patches() throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        for (PatchRef p : kustomization(Files.readString(DIR.resolve("kustomization.yaml"))).patches()) {
            Path f = DIR.resolve(p.path());
            for (JsonNode d : ManifestsTest.documents(Files.readString(f))) {
                if (!d.path("kind").asText().equals("ScaledObject")) {
                    out.add(ManifestsTest.parse(d, f + " " + d.path("kind").asText()));
                }
            }
        }
        return out;
    }

    /** The ScaledObject patches, by name. */
    private static Map<String, ManifestsTest.ScaledObject> scaledObjectPatches() throws IOException {
        Map<String, ManifestsTest.ScaledObject> out = new java.util.TreeMap<>();
        for (PatchRef p : kustomization(Files.readString(DIR.resolve("kustomization.yaml"))).patches()) {
            for (JsonNode d : ManifestsTest.documents(Files.readString(DIR.resolve(p.path())))) {
                if (d.path("kind").asText().equals("ScaledObject")) {
                    ManifestsTest.ScaledObject so = scaledObject(d);
                    assertThat(out.put(so.metadata().name(), so)).as("patched twice: " + so.metadata().name()).isNull();
                }
            }
        }
        return out;
    }

    /** The overlay's own resources (every one but the base), by kind/name. */
    private static Map<String, JsonNode> ownResources() throws IOException {
        Map<String, JsonNode> out = new java.util.TreeMap<>();
        for (String r : kustomization(Files.readString(DIR.resolve("kustomization.yaml"))).resources()) {
            if (!r.equals("../k8s")) {
                for (JsonNode d : ManifestsTest.documents(Files.readString(DIR.resolve(r)))) {
                    out.put(d.path("kind").asText() + "/" + d.path("metadata").path("name").asText(), d);
                }
            }
        }
        return out;
    }

    @Test
    void theKustomizationUsesTheBaseAndListsEveryPatch() throws IOException {
        Kustomization k = kustomization(Files.readString(DIR.resolve("kustomization.yaml")));
        assertThat(k.apiVersion()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(k.kind()).isEqualTo("Kustomization");
        assertThat(k.resources()).containsExactly("../k8s", "trigger-authentications.yaml");
        List<String> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml")
                    && !k.resources().contains(n)).sorted().toList();
        }
        assertThat(k.patches().stream().map(PatchRef::path).sorted().toList()).as("patches = the other files")
                .isEqualTo(files);
        assertThatThrownBy(() -> kustomization(Files.readString(DIR.resolve("kustomization.yaml"))
                .replace("patches:", "patchs:"))).hasMessageContaining("patchs");
    }

    @Test
    void everyPatchIsStrictAndAimsAtABaseObjectAndContainer() throws IOException {
        Set<String> base = baseObjects();
        for (HasMetadata o : patches()) {
            assertThat(base).as("patched object").contains(o.getKind() + "/" + o.getMetadata().getName());
        }
        for (String name : scaledObjectPatches().keySet()) {
            assertThat(base).as("patched object").contains("ScaledObject/" + name);
        }
        String workers = Files.readString(DIR.resolve("workers.yaml"));
        for (String typo : new String[]{"volumeMounts:", "secretName:", "mountPath:"}) {
            JsonNode bad = ManifestsTest.documents(workers.replaceFirst(typo, typo.replace(":", "x:"))).get(0);
            assertThatThrownBy(() -> ManifestsTest.parse(bad, "workers.yaml")).isInstanceOf(AssertionError.class)
                    .hasMessageContaining("unknown fields");
        }
    }

    @Test
    void eachProcessMountsItsOwnRolesSecretAndTheApiNeedsKeys() throws IOException {
        Map<String, String> roleOf = Map.of("irg-think", "think", "irg-draw", "draw", "irg-reflect", "reflect",
                "irg-refine", "refine", "irg-topology", "topology", "irg-topics", "operator");
        Set<String> seen = new HashSet<>();
        for (HasMetadata o : patches()) {
            PodSpec pod = o instanceof Deployment d ? d.getSpec().getTemplate().getSpec()
                    : o instanceof StatefulSet s ? s.getSpec().getTemplate().getSpec()
                    : o instanceof Job j ? j.getSpec().getTemplate().getSpec() : null;
            if (pod == null) {
                continue;
            }
            String name = o.getMetadata().getName();
            seen.add(name);
            Volume client = pod.getVolumes().stream().filter(v -> v.getName().equals("client")).findFirst().orElseThrow();
            assertThat(client.getSecret().getSecretName()).as(name).isEqualTo("irg-" + roleOf.get(name) + "-client");
            Container c = pod.getContainers().get(0);
            String args = String.join(" ", c.getArgs());
            assertThat(args).as(name).contains("--config").doesNotContain("http.insecure");
            assertThat(c.getVolumeMounts()).as(name)
                    .anyMatch(m -> m.getName().equals("client") && m.getMountPath().equals("/etc/irg-secure"));
            if (o instanceof StatefulSet) {
                String keys = pod.getVolumes().stream().filter(v -> v.getSecret() != null
                        && v.getSecret().getSecretName().equals("irg-api-keys")).findFirst().orElseThrow().getName();
                String dir = c.getVolumeMounts().stream().filter(m -> m.getName().equals(keys)).findFirst()
                        .orElseThrow().getMountPath();
                assertThat(args).contains("http.auth.keys.file=" + dir + "/api-keys");
            }
        }
        assertThat(seen).isEqualTo(roleOf.keySet());
    }

    @Test
    void eachStepsScaledObjectReadsTheLagOverSaslSslAsTheStepsUser() throws IOException {
        Map<String, ManifestsTest.ScaledObject> patched = scaledObjectPatches();
        Map<String, JsonNode> own = ownResources();
        Map<String, ManifestsTest.ScaledObject> base = new HashMap<>();
        try (Stream<Path> s = Files.list(BASE)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode d : ManifestsTest.documents(Files.readString(f))) {
                    if (d.path("kind").asText().equals("ScaledObject")) {
                        ManifestsTest.ScaledObject so = scaledObject(d);
                        base.put(so.metadata().name(), so);
                    }
                }
            }
        }
        assertThat(patched.keySet()).as("every ScaledObject of the base is patched").isEqualTo(base.keySet());
        String bootstrap = secureSettings().getProperty("bootstrap.servers");
        assertThat(bootstrap).endsWith(":9093");
        Map<String, String> secretOf = new HashMap<>();
        for (HasMetadata o : patches()) {
            if (o instanceof Deployment d) {
                secretOf.put(d.getMetadata().getName(), d.getSpec().getTemplate().getSpec().getVolumes().stream()
                        .filter(v -> v.getName().equals("client")).findFirst().orElseThrow().getSecret().getSecretName());
            }
        }
        Set<String> authentications = new HashSet<>();
        for (String step : STEPS) {
            String name = "irg-" + step;
            assertThat(patched.get(name).spec().triggers()).as(name).hasSize(1);
            ManifestsTest.Trigger t = patched.get(name).spec().triggers().get(0);
            ManifestsTest.Trigger b = base.get(name).spec().triggers().get(0);
            assertThat(t.type()).isEqualTo("kafka");
            // kustomize replaces the list: the trigger is the base's, on the SASL_SSL listener, with sasl and tls
            Map<String, String> expected = new HashMap<>(b.metadata());
            expected.put("bootstrapServers", bootstrap);
            expected.put("sasl", "scram_sha512");
            expected.put("tls", "enable");
            assertThat(t.metadata()).as(name + " trigger metadata").isEqualTo(expected);
            assertThat(t.authenticationRef()).as(name).isNotNull();
            assertThat(t.authenticationRef().kind()).as(name).isIn(null, "TriggerAuthentication");
            String authName = t.authenticationRef().name();
            JsonNode doc = own.get("TriggerAuthentication/" + authName);
            assertThat(doc).as("TriggerAuthentication " + authName + " among the overlay's resources").isNotNull();
            TriggerAuthentication auth = triggerAuthentication(doc);
            assertThat(auth.apiVersion()).isEqualTo("keda.sh/v1alpha1");
            authentications.add(authName);
            Map<String, SecretRef> refs = new HashMap<>();
            auth.spec().secretTargetRef().forEach(r -> refs.put(r.parameter(), r));
            assertThat(refs.keySet()).as(authName).containsExactlyInAnyOrder("username", "password", "ca");
            assertThat(refs.values()).as(authName + ": the step's own Secret, the one its pods mount")
                    .allSatisfy(r -> assertThat(r.name()).isEqualTo(secretOf.get(name)).isEqualTo(name + "-client"));
            assertThat(refs.get("username").key()).isEqualTo("username");
            assertThat(refs.get("password").key()).isEqualTo("password");
            assertThat(refs.get("ca").key()).isEqualTo("ca.pem");
        }
        assertThat(own.keySet()).as("the overlay's resources are the steps' TriggerAuthentications")
                .isEqualTo(authentications.stream().map(n -> "TriggerAuthentication/" + n)
                        .collect(java.util.stream.Collectors.toSet()));

        // a typo fails
        String auths = Files.readString(DIR.resolve("trigger-authentications.yaml"));
        // {text, typo, what the failure names}
        for (String[] typo : new String[][]{{"secretTargetRef:", "secretTargetRefs:", "secretTargetRefs"},
                {"parameter: password", "parameter: passwd", "passwd"}, {"key: ca.pem}", "kye: ca.pem}", "kye"}}) {
            assertThat(auths).contains(typo[0]);
            JsonNode bad = ManifestsTest.documents(auths.replace(typo[0], typo[1])).get(0);
            assertThatThrownBy(() -> triggerAuthentication(bad)).as(typo[1]).hasMessageContaining(typo[2]);
        }
        String scaled = Files.readString(DIR.resolve("scaledobjects.yaml"));
        for (String[] typo : new String[][]{{"authenticationRef:", "authenticationRefs:", "authenticationRefs"},
                {"sasl: scram_sha512", "sals: scram_sha512", "sals"}}) {
            assertThat(scaled).contains(typo[0]);
            JsonNode bad = ManifestsTest.documents(scaled.replace(typo[0], typo[1])).get(0);
            assertThatThrownBy(() -> scaledObject(bad)).as(typo[1]).hasMessageContaining(typo[2]);
        }
    }

    /** irg.properties of the overlay's ConfigMap irg-settings. */
    private static java.util.Properties secureSettings() throws IOException {
        for (HasMetadata o : patches()) {
            if (o instanceof io.fabric8.kubernetes.api.model.ConfigMap c && c.getMetadata().getName().equals("irg-settings")) {
                java.util.Properties p = new java.util.Properties();
                p.load(new java.io.StringReader(c.getData().get("irg.properties")));
                return p;
            }
        }
        throw new AssertionError("no ConfigMap irg-settings among the patches");
    }
}
