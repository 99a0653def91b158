package io.irgstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.app.client.DatasetExport;
import io.irgstream.app.cli.IrgCli;
import io.irgstream.events.ImageRef;
import io.irgstream.schemas.IrgAvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import java.nio.charset.StandardCharsets;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.model.Step;
import io.irgstream.schemas.AvroJson;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./irg export} against the embedded stack: finished trajectories become WebDataset shards, an export stopped
 * midway and run again holds every trajectory exactly once, a missing blob is recorded and counted, bad options are
 * refused before anything is read.
 */
class ExportIT {
    @TempDir
    Path dir;

    @org.junit.jupiter.api.BeforeAll
    static void trustGeneratedRecords() {
        io.irgstream.schemas.AvroClassTrust.install(); // the test builds Trajectory records itself
    }

    @Test
    void shouldExportEachFinishedTrajectoryOnceAcrossAnInterruptedAndResumedRun() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("export", 1);
        Instant start = Instant.now().minusSeconds(1);
        try (RunningPipeline pipeline = RunningPipeline.start(dir.resolve("stack"), layout, stack -> stack.imageInlineMaxBytes(0)
                .topology(0).models(step -> new DeterministicTestModel(step, 0)))) {
            EmbeddedStack stack = pipeline.stack();
            List<PromptSubmitted> prompts = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                prompts.add(pipeline.client().event(new Submission("a photo of exported shape " + i, 200L + i, i % 2 + 1, null)));
            }
            pipeline.submitAndAwait(prompts, Duration.ofSeconds(120));
            List<String> ids = prompts.stream().map(p -> p.getContext().getTrajectoryId()).toList();
            await().atMost(Duration.ofSeconds(60)).until(() -> read(stack, layout, start).size() == ids.size());
            String from = start.toString();

            // bad input: refused with one line, nothing written
            Path fileOut = Files.writeString(dir.resolve("a-file"), "x");
            assertRefused(pipeline.runCli("export", "--out", fileOut.toString()), "is a file");
            assertRefused(pipeline.runCli("export", "--out", dir.resolve("x").toString(), "--from", "2026-12-02T00:00:00Z",
                    "--to", "2026-12-01T00:00:00Z"), "is not before --to");
            assertRefused(pipeline.runCli("export", "--out", dir.resolve("x").toString(), "--status", "DONE"),
                    "unknown --status 'DONE'; one of SUBMITTED");
            assertRefused(pipeline.runCli("export", "--out", dir.resolve("x").toString(), "--from", "yesterday"),
                    "--from 'yesterday' is neither");

            // an export stopped after 4 of 7 (in its second shard of 3), then resumed by the CLI
            Path out = dir.resolve("dataset");
            List<Trajectory> found = read(stack, layout, start);
            assertThatThrownBy(() -> new DatasetExport(out, stack.imageStore(), 3).run(found, new DatasetExport.Listener() {
                @Override
                public void sampleWritten(String id, int done, int total) throws IOException {
                    if (done == 4) {
                        throw new IOException("stopped midway");
                    }
                }
            })).hasMessage("stopped midway");
            assertThat(shardKeys(out)).hasSize(3);

            InProcessCli.Result resumed = pipeline.runCli("export", "--from", from, "--status", "COMPLETED",
                    "--samples-per-shard", "3", "--out", out.toString());
            assertThat(resumed.exitCode()).as("err: %s", resumed.err()).isZero();
            assertThat(resumed.out()).contains("exported 4 trajectories", "3 were already exported", "0 with unreadable images");
            assertThat(resumed.err()).contains("irg export: 4/4 trajectories");
            List<String> keys = shardKeys(out);
            assertThat(keys).as("every trajectory exactly once").containsExactlyInAnyOrderElementsOf(ids);

            InProcessCli.Result again = pipeline.runCli("export", "--from", from, "--samples-per-shard", "3", "--out", out.toString());
            assertThat(again.out()).contains("exported 0 trajectories", "7 were already exported");
            assertThat(shardKeys(out)).hasSize(7);

            // a sample: sidecar with the trajectory, its provenance and the sha256 of files that match their bytes
            Map<String, byte[]> sample = samples(out).get(ids.get(1));
            JsonNode json = AvroJson.MAPPER.readTree(sample.get("json"));
            assertThat(json.get("prompt").asText()).isEqualTo("a photo of exported shape 1");
            assertThat(json.get("status").asText()).isEqualTo("COMPLETED");
            assertThat(json.get("thought").asText()).isNotBlank();
            assertThat(json.get("reflectionRounds").size()).isBetween(1, 2);
            json.get("reflectionRounds").forEach(r -> assertThat(r.get("verdict").asText()).isIn("SATISFIED", "NEEDS_CHANGES"));
            assertThat(json.get("steps")).anySatisfy(s -> assertThat(s.get("provenance").get("modelSha256").asText())
                    .isEqualTo(new DeterministicTestModel(Step.DRAW, 0).info().sha256()));
            assertThat(json.get("endToEndMs").asLong()).isPositive();
            assertThat(sample).containsKeys("draft.png", "final.png");
            json.get("files").fields().forEachRemaining(f -> assertThat(ImageStore.sha256(sample.get(f.getKey())))
                    .as(f.getKey()).isEqualTo(f.getValue().get("sha256").asText()));
            if (json.get("reflectionRounds").size() == 2) {
                assertThat(sample).containsKeys("final1.png", "final2.png");
            }
            JsonNode manifest = AvroJson.MAPPER.readTree(out.resolve("manifest.json").toFile());
            assertThat(manifest.get("samples").asInt()).isEqualTo(7);
            assertThat(manifest.get("shards").size()).isEqualTo(3);

            // a missing blob: the row says which image and why, the export goes on and counts it
            Trajectory victim = found.stream().filter(t -> !t.getFinalImage().getSha256().equals(t.getDraft().getSha256()))
                    .findFirst().orElseThrow(() -> new AssertionError("no trajectory whose final image differs from its draft"));
            Files.delete(Path.of(URI.create(victim.getFinalImage().getUri())));
            Path out2 = dir.resolve("dataset2");
            InProcessCli.Result withHole = pipeline.runCli("export", "--from", from, "--out", out2.toString());
            assertThat(withHole.exitCode()).as("err: %s", withHole.err()).isZero();
            assertThat(withHole.out()).contains("exported 7 trajectories", "1 with unreadable images");
            Map<String, byte[]> hole = samples(out2).get(victim.getId());
            assertThat(hole).containsKey("draft.png").doesNotContainKey("final.png");
            // final.png, and final<N>.png of the last round when there were several: the same blob
            assertThat(AvroJson.MAPPER.readTree(hole.get("json")).get("imageProblems"))
                    .allSatisfy(p -> assertThat(p.get("sha256").asText()).isEqualTo(victim.getFinalImage().getSha256()))
                    .anySatisfy(p -> assertThat(p.get("file").asText()).isEqualTo("final.png"));

            InProcessCli.Result none = pipeline.runCli("export", "--from", from, "--status", "cancelled,failed",
                    "--out", dir.resolve("dataset3").toString());
            assertThat(none.out()).contains("exported 0 trajectories");
        }
    }

    @Test
    void shouldExportEachTrajectoryOnceWhenTheExportProcessIsKilledAndRunAgain() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("export-kill", 1);
        int n = 3000;
        Path data = dir.resolve("stack");
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(data, layout).imageInlineMaxBytes(0).steps(List.of())
                .models(step -> new DeterministicTestModel(step, 0))
                .build().start();
             KafkaProducer<String, Trajectory> producer = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 20),
                     new StringSerializer(), new IrgAvroSerializer<>(stack.registryClient()))) {
            // finished trajectories as the topology writes them (no workers: nothing else writes this topic)
            List<String> ids = new ArrayList<>();
            Instant at = Instant.now().minusSeconds(60);
            for (int i = 0; i < n; i++) {
                String id = "kill-" + i;
                ImageRef draft = stack.imageStore().put(("draft of " + id).getBytes(StandardCharsets.UTF_8), "image/png", 64, 64);
                ImageRef fin = stack.imageStore().put(("final of " + id).getBytes(StandardCharsets.UTF_8), "image/png", 64, 64);
                producer.send(new ProducerRecord<>(layout.prefix() + "trajectories", id, Trajectory.newBuilder().setId(id)
                        .setRevision(5).setStatus(TrajectoryStatus.COMPLETED).setPrompt("prompt " + i).setSeed((long) i)
                        .setThought("thought " + i).setDraft(draft).setFinalImage(fin).setSubmittedAt(at).setCreatedAt(at)
                        .setUpdatedAt(at).setProgressedAt(at).setCompletedAt(at).build()));
                ids.add(id);
            }
            producer.flush();

            Path out = dir.resolve("killed");
            List<String> args = List.of("export", "--bootstrap-servers", stack.bootstrapServers(), "--schema-registry",
                    stack.registryUrl(), "--topic-prefix", layout.prefix(), "--data-dir", data.toString(),
                    "--samples-per-shard", "100", "--out", out.toString());
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), IrgCli.class.getName()));
            command.addAll(args);
            Process child = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("export-child.log").toFile()).start();
            try {
                Path progress = out.resolve(DatasetExport.PROGRESS_FILE);
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(5)).until(() -> !child.isAlive()
                        || (Files.exists(progress) && Files.readAllLines(progress).size() >= 3));
                assertThat(child.isAlive()).as("the export was still running when killed (else raise n); log: %s",
                        Files.exists(dir.resolve("export-child.log")) ? Files.readString(dir.resolve("export-child.log")) : "").isTrue();
            } finally {
                child.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
                child.waitFor();
            }
            int committed = shardKeys(out).size();
            assertThat(committed).as("killed midway").isBetween(300, n - 1);

            InProcessCli.Result resumed = InProcessCli.run(args.toArray(String[]::new));
            assertThat(resumed.exitCode()).as("err: %s", resumed.err()).isZero();
            assertThat(resumed.out()).contains("exported " + (n - committed) + " trajectories",
                    committed + " were already exported");
            assertThat(shardKeys(out)).as("every trajectory exactly once").hasSize(n).containsExactlyInAnyOrderElementsOf(ids);
            try (Stream<Path> files = Files.list(out)) {
                assertThat(files.map(f -> f.getFileName().toString())).noneMatch(f -> f.endsWith(".partial"));
            }
        }
    }

    private static void assertRefused(InProcessCli.Result r, String message) {
        assertThat(r.exitCode()).as("out: %s err: %s", r.out(), r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("irg export: ").contains(message);
    }

    private static List<Trajectory> read(EmbeddedStack stack, TopicLayout layout, Instant from) {
        return DatasetExport.read(stack.bootstrapServers(), stack.registryClient(), layout.prefix(), from,
                Instant.now().plusSeconds(60), EnumSet.of(TrajectoryStatus.COMPLETED));
    }

    /** The key of every sample in every shard, a key as often as it occurs. */
    private static List<String> shardKeys(Path out) throws IOException {
        List<String> keys = new ArrayList<>();
        for (Path shard : shards(out)) {
            try (InputStream in = Files.newInputStream(shard); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    if (e.getName().endsWith(".json")) {
                        keys.add(e.getName().substring(0, e.getName().indexOf('.')));
                    }
                }
            }
        }
        return keys;
    }

    private static Map<String, Map<String, byte[]>> samples(Path out) throws IOException {
        Map<String, Map<String, byte[]>> all = new LinkedHashMap<>();
        for (Path shard : shards(out)) {
            try (InputStream in = Files.newInputStream(shard); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    int dot = e.getName().indexOf('.');
                    all.computeIfAbsent(e.getName().substring(0, dot), k -> new LinkedHashMap<>())
                            .put(e.getName().substring(dot + 1), tar.readAllBytes());
                }
            }
        }
        return all;
    }

    private static List<Path> shards(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(out)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".tar")).sorted().toList();
        }
    }
}
