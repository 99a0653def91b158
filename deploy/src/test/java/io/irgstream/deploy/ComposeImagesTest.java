package io.irgstream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every third-party image in the repository's compose files names a fixed release (a tag other than
 * {@code latest}, or a digest), so that {@code docker compose up} next month runs what was tested; only the
 * project's own image ({@code irg-stream:...}, built from its Dockerfiles) may float.
 */
class ComposeImagesTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void thirdPartyImagesArePinned() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(ROOT)) {
            files = s.filter(p -> p.getFileName().toString().matches("docker-compose.*\\.ya?ml")).sorted().toList();
        }
        assertThat(files).as("compose files at the repository root").isNotEmpty();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<String> images = new ArrayList<>();
        List<String> floating = new ArrayList<>();
        for (Path f : files) {
            JsonNode services = yaml.readTree(f.toFile()).path("services");
            for (Map.Entry<String, JsonNode> e : services.properties()) {
                JsonNode image = e.getValue().path("image");
                if (!image.isTextual() || image.asText().startsWith("irg-stream:")) {
                    continue;
                }
                String ref = image.asText();
                images.add(ref);
                String name = ref.contains("@") ? ref : ref.substring(ref.lastIndexOf('/') + 1);
                boolean pinned = ref.contains("@sha256:") || (name.contains(":") && !name.endsWith(":latest"));
                if (!pinned) {
                    floating.add(f.getFileName() + ": " + e.getKey() + " -> " + ref);
                }
            }
        }
        assertThat(images).as("third-party images found").isNotEmpty();
        assertThat(floating).as("images without a fixed release").isEmpty();
    }
}
