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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The secure kustomize overlay {@code deploy/k8s-secure}: its kustomization against the fields it may use, every
 * patch parsed strictly as the kind it patches (a partial object, but any field fabric8 does not know fails) and
 * aimed at an object and container of {@code deploy/k8s}; each worker, the topology and the topics job mount their
 * own role's Secret, and the topology serves API keys instead of {@code http.insecure}.
 */
class SecureOverlayTest {
    private static final Path DIR = Path.of("k8s-secure");
    private static final Path BASE = Path.of("k8s");

    /** The kustomization fields this overlay uses; any other (a typo) fails. */
    record Kustomization(String apiVersion, String kind, List<String> resources, List<PatchRef> patches) {
    }

    record PatchRef(String path) {
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

    private static List<HasMetadata> patches() throws IOException {
        List<HasMetadata> out = new ArrayList<>();
        for (PatchRef p : kustomization(Files.readString(DIR.resolve("kustomization.yaml"))).patches()) {
            Path f = DIR.resolve(p.path());
            for (JsonNode d : ManifestsTest.documents(Files.readString(f))) {
                out.add(ManifestsTest.parse(d, f + " " + d.path("kind").asText()));
            }
        }
        return out;
    }

    @Test
    void theKustomizationUsesTheBaseAndListsEveryPatch() throws IOException {
        Kustomization k = kustomization(Files.readString(DIR.resolve("kustomization.yaml")));
        assertThat(k.apiVersion()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(k.kind()).isEqualTo("Kustomization");
        assertThat(k.resources()).containsExactly("../k8s");
        List<String> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml")).sorted().toList();
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
}
