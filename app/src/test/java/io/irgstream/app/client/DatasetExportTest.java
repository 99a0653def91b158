package io.irgstream.app.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryRound;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.events.Verdict;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.images.FileSystemBlobStore;
import io.irgstream.schemas.images.ImageStore;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The WebDataset export: its sample layout, and exactly one row per trajectory however often it is stopped. */
class DatasetExportTest {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeAll
    static void trustGeneratedRecords() {
        io.irgstream.schemas.AvroClassTrust.install();
    }

    @Test
    void shouldWriteOneSamplePerTrajectoryWithSidecarAndImages() throws Exception {
        ImageStore images = images();
        List<Trajectory> ts = trajectories(images, 5);
        Path out = dir.resolve("ds");
        DatasetExport.Summary s = new DatasetExport(out, images, 2).run(ts, new DatasetExport.Listener() {
        });

        assertThat(s.exported()).isEqualTo(5);
        assertThat(s.shardsWritten()).isEqualTo(3);
        Map<String, Map<String, byte[]>> samples = readAll(out);
        assertThat(samples).hasSize(5);
        Map<String, byte[]> first = samples.get("t-0");
        assertThat(first).containsOnlyKeys("json", "draft.png", "final.png");
        JsonNode json = AvroJson.MAPPER.readTree(first.get("json"));
        assertThat(json.get("id").asText()).isEqualTo("t-0");
        assertThat(json.get("prompt").asText()).isEqualTo("prompt 0");
        assertThat(json.get("thought").asText()).isEqualTo("thought 0");
        assertThat(json.get("reflectionRounds").get(0).get("verdict").asText()).isEqualTo("NEEDS_CHANGES");
        assertThat(json.get("files").get("final.png").get("sha256").asText())
                .isEqualTo(ImageStore.sha256(first.get("final.png"))).isEqualTo(ts.get(0).getFinalImage().getSha256());
        assertThat(json.get("draft").has("inline")).as("image bytes are files, not base64 in the sidecar").isFalse();
        assertThat(json.get("draft").has("uri")).as("no blob-store paths in the dataset").isFalse();
        assertThat(json.get("imageProblems")).isEmpty();

        JsonNode manifest = AvroJson.MAPPER.readTree(out.resolve(DatasetExport.MANIFEST_FILE).toFile());
        assertThat(manifest.get("samples").asInt()).isEqualTo(5);
        assertThat(manifest.get("shards")).extracting(n -> n.get("name").asText())
                .containsExactly("shard-000000.tar", "shard-000001.tar", "shard-000002.tar");
        assertThat(manifest.get("shards").get(0).get("sha256").asText())
                .isEqualTo(ImageStore.sha256(Files.readAllBytes(out.resolve("shard-000000.tar"))));
    }

    @Test
    void shouldExportEveryTrajectoryExactlyOnceWhenStoppedMidShardAndRerun() throws Exception {
        ImageStore images = images();
        List<Trajectory> ts = trajectories(images, 7);
        Path out = dir.resolve("ds");
        assertThatThrownBy(() -> new DatasetExport(out, images, 3).run(ts, new DatasetExport.Listener() {
            @Override
            public void sampleWritten(String id, int done, int total) throws IOException {
                if (done == 5) {
                    throw new IOException("simulated crash in the middle of the second shard");
                }
            }
        })).hasMessageContaining("simulated crash");
        assertThat(Files.exists(out.resolve("shard-000001.tar.partial"))).as("the crash left a partial shard").isTrue();
        assertThat(readAll(out)).hasSize(3);

        DatasetExport.Summary s = new DatasetExport(out, images, 3).run(ts, new DatasetExport.Listener() {
        });
        assertThat(s.alreadyExported()).isEqualTo(3);
        assertThat(s.exported()).isEqualTo(4);
        assertEachExactlyOnce(out, ts);
    }

    @Test
    void shouldExportEveryTrajectoryExactlyOnceWhenStoppedBetweenRenameAndCommit() throws Exception {
        ImageStore images = images();
        List<Trajectory> ts = trajectories(images, 6);
        Path out = dir.resolve("ds");
        assertThatThrownBy(() -> new DatasetExport(out, images, 2).run(ts, new DatasetExport.Listener() {
            @Override
            public void shardRenamed(Path shard) throws IOException {
                if (shard.getFileName().toString().equals("shard-000001.tar")) {
                    throw new IOException("simulated crash after the rename, before the progress log line");
                }
            }
        })).hasMessageContaining("simulated crash");
        assertThat(Files.exists(out.resolve("shard-000001.tar"))).as("renamed but not committed").isTrue();
        // a torn line, as a crash in the middle of an append leaves it
        Files.writeString(out.resolve(DatasetExport.PROGRESS_FILE), "{\"shard\":\"shard-0000", StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.APPEND);

        new DatasetExport(out, images, 2).run(ts, new DatasetExport.Listener() {
        });
        assertEachExactlyOnce(out, ts);

        DatasetExport.Summary again = new DatasetExport(out, images, 2).run(ts, new DatasetExport.Listener() {
        });
        assertThat(again.exported()).as("a third run finds nothing left to do").isZero();
        assertThat(again.alreadyExported()).isEqualTo(6);
        assertEachExactlyOnce(out, ts);
    }

    @Test
    void shouldRecordAMissingImageInTheRowAndGoOn() throws Exception {
        ImageStore images = images();
        List<Trajectory> ts = trajectories(images, 3);
        Files.delete(Path.of(URI.create(ts.get(1).getFinalImage().getUri())));
        Path out = dir.resolve("ds");
        DatasetExport.Summary s = new DatasetExport(out, images, 10).run(ts, new DatasetExport.Listener() {
        });

        assertThat(s.exported()).isEqualTo(3);
        assertThat(s.withImageProblems()).isEqualTo(1);
        Map<String, byte[]> bad = readAll(out).get("t-1");
        assertThat(bad).containsOnlyKeys("json", "draft.png");
        JsonNode problem = AvroJson.MAPPER.readTree(bad.get("json")).get("imageProblems").get(0);
        assertThat(problem.get("file").asText()).isEqualTo("final.png");
        assertThat(problem.get("error").asText()).isEqualTo("ImageUnavailableException");
        assertThat(problem.get("sha256").asText()).isEqualTo(ts.get(1).getFinalImage().getSha256());
    }

    @Test
    void shouldRefuseAnOutThatIsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        assertThatThrownBy(() -> new DatasetExport(file, images(), 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is a file");
        assertThatThrownBy(() -> new DatasetExport(dir.resolve("ds"), images(), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }

    private void assertEachExactlyOnce(Path out, List<Trajectory> ts) throws IOException {
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path shard : files.filter(f -> f.getFileName().toString().endsWith(".tar")).sorted().toList()) {
                readShard(shard).forEach((k, v) -> keys.add(k));
            }
        }
        assertThat(keys).containsExactlyInAnyOrderElementsOf(ts.stream().map(Trajectory::getId).toList());
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
        }
        JsonNode manifest = AvroJson.MAPPER.readTree(out.resolve(DatasetExport.MANIFEST_FILE).toFile());
        assertThat(manifest.get("samples").asInt()).isEqualTo(ts.size());
    }

    private ImageStore images() {
        return new ImageStore(new FileSystemBlobStore(dir.resolve("blobs")), 0);
    }

    private static List<Trajectory> trajectories(ImageStore images, int n) throws IOException {
        List<Trajectory> out = new ArrayList<>();
        Instant t0 = Instant.parse("2026-12-01T10:00:00Z");
        for (int i = 0; i < n; i++) {
            ImageRef draft = images.put(("draft " + i).getBytes(StandardCharsets.UTF_8), "image/png", 64, 64);
            ImageRef fin = images.put(("final " + i).getBytes(StandardCharsets.UTF_8), "image/png", 64, 64);
            Instant at = t0.plusSeconds(i);
            out.add(Trajectory.newBuilder().setId("t-" + i).setStatus(TrajectoryStatus.COMPLETED).setPrompt("prompt " + i)
                    .setSeed((long) i).setThought("thought " + i).setDraft(draft).setFinalImage(fin)
                    .setReflectionRounds(List.of(TrajectoryRound.newBuilder().setRound(1).setJudgedImage(draft)
                            .setReflection("make it red").setVerdict(Verdict.NEEDS_CHANGES).setFinalImage(fin).build()))
                    .setSubmittedAt(at).setCreatedAt(at).setUpdatedAt(at.plusSeconds(3)).setProgressedAt(at.plusSeconds(3))
                    .setCompletedAt(at.plusSeconds(3)).build());
        }
        return out;
    }

    /** Every sample of every shard under {@code out}: key to (extension to bytes). */
    static Map<String, Map<String, byte[]>> readAll(Path out) throws IOException {
        Map<String, Map<String, byte[]>> all = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path shard : files.filter(f -> f.getFileName().toString().endsWith(".tar")).sorted().toList()) {
                all.putAll(readShard(shard));
            }
        }
        return all;
    }

    static Map<String, Map<String, byte[]>> readShard(Path shard) throws IOException {
        Map<String, Map<String, byte[]>> samples = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(shard); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = e.getName();
                int dot = name.indexOf('.');
                samples.computeIfAbsent(name.substring(0, dot), k -> new LinkedHashMap<>())
                        .put(name.substring(dot + 1), tar.readAllBytes());
            }
        }
        return samples;
    }
}
