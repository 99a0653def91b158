package io.irgstream.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.app.cli.IrgCli;
import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Redrive;
import io.irgstream.app.client.Replay;
import io.irgstream.app.client.TrajectoryWatcher;
import io.irgstream.app.stack.EmbeddedStack;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.model.ModelInfo;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.worker.StepHandler;
import io.irgstream.worker.images.Png;
import io.irgstream.worker.testing.DeterministicTestModel;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code ./irg redrive}: re-running refine with a new model for completed trajectories writes one revision per
 * (trajectory, round), leaves the original events as they were, shows both in the trajectory record, is ignored by
 * the workers, and writes nothing when run again with the same model.
 */
class RedriveIT {
    private static final String V2_SHA = "f".repeat(64);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A "new" refine model: the test double's edit, then every pixel inverted; its own name and hash. */
    static final class RefineV2 implements StepModel {
        private final DeterministicTestModel base = new DeterministicTestModel(Step.REFINE, 0);
        int requests;

        @Override
        public Step step() {
            return Step.REFINE;
        }

        @Override
        public ModelInfo info() {
            return new ModelInfo("test-refine-v2", V2_SHA, 1, "cpu");
        }

        @Override
        public List<StepResult> run(List<StepRequest> batch) {
            requests += batch.size();
            List<StepResult> out = new ArrayList<>();
            for (StepResult r : base.run(batch)) {
                byte[] px = r.image().pixels().clone();
                for (int i = 0; i < px.length; i++) {
                    px[i] = (byte) ~px[i];
                }
                out.add(StepResult.image(new RgbImage(r.image().width(), r.image().height(), px)));
            }
            return out;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void shouldWriteOneRevisionPerRefineResultBesideTheUntouchedOriginals() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("redrive", 1);
        String p = layout.prefix();
        Instant start = Instant.now().minusSeconds(1);
        try (EmbeddedStack stack = PipelineHarness.stackOnFixture(dir, layout).imageInlineMaxBytes(0).topology(0)
                .models(step -> new DeterministicTestModel(step, 0)).build().start();
             TrajectoryWatcher watcher = new TrajectoryWatcher(stack.bootstrapServers(), stack.registryClient(), p);
             TrajectoryClient client = new TrajectoryClient(stack.bootstrapServers(), stack.registryClient(), p, "test")) {
            List<PromptSubmitted> prompts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                prompts.add(client.event(new Submission("a photo of redriven shape " + i, 100L + i, 2, null)));
            }
            List<String> ids = prompts.stream().map(e -> e.getContext().getTrajectoryId()).toList();
            ids.forEach(watcher::watch);
            client.submitEvents(prompts);
            watcher.awaitAll(ids, Duration.ofSeconds(90), null);

            List<ConsumerRecord<String, FinalImageProduced>> finalsBefore = finals(p, stack);
            List<ConsumerRecord<String, ReflectionProduced>> reflectionsBefore = reflections(p, stack);
            assertThat(finalsBefore).as("one final per round run").hasSizeGreaterThanOrEqualTo(4);
            assertThat(finalsBefore).as("some round needed changes, so a second round ran")
                    .anySatisfy(f -> assertThat(f.value().getRound()).isEqualTo(2));
            String baseSha = new DeterministicTestModel(Step.REFINE, 0).info().sha256();

            // dry plan: every refine result of the window, none made by v2 yet
            Redrive.Plan plan = Redrive.plan(stack.bootstrapServers(), stack.registryClient(), p, Step.REFINE, start, null,
                    Set.of(), V2_SHA, false);
            assertThat(plan.targets()).hasSameSizeAs(finalsBefore);
            assertThat(plan.toRedrive()).hasSameSizeAs(finalsBefore)
                    .allSatisfy(t -> {
                        assertThat(t.revision()).isEqualTo(1);
                        assertThat(t.originalModelSha256()).isEqualTo(baseSha);
                    });
            assertThat(Redrive.plan(stack.bootstrapServers(), stack.registryClient(), p, Step.REFINE, start, null,
                    Set.of(ids.get(0)), V2_SHA, false).targets()).allSatisfy(t -> assertThat(t.trajectoryId()).isEqualTo(ids.get(0)))
                    .isNotEmpty();

            RefineV2 v2 = new RefineV2();
            List<Redrive.Result> results = Redrive.run(plan, stack.bootstrapServers(), stack.registryClient(), p, v2,
                    stack.imageStore(), 2, "redrive-test", r -> { });
            assertThat(results).hasSameSizeAs(finalsBefore).allSatisfy(r -> assertThat(r.error()).isNull());

            // the originals are byte for byte what they were; one revision per (trajectory, round) follows them
            List<ConsumerRecord<String, FinalImageProduced>> finalsAfter = finals(p, stack);
            List<ConsumerRecord<String, FinalImageProduced>> originals = finalsAfter.stream()
                    .filter(f -> f.value().getProvenance().getRevision() == 0).toList();
            List<ConsumerRecord<String, FinalImageProduced>> revisions = finalsAfter.stream()
                    .filter(f -> f.value().getProvenance().getRevision() > 0).toList();
            assertThat(originals).hasSameSizeAs(finalsBefore);
            for (int i = 0; i < originals.size(); i++) {
                assertThat(originals.get(i).offset()).isEqualTo(finalsBefore.get(i).offset());
                assertThat(encode(originals.get(i).value())).isEqualTo(encode(finalsBefore.get(i).value()));
            }
            assertThat(revisions).hasSameSizeAs(finalsBefore);
            assertThat(revisions.stream().map(r -> r.key() + "/" + r.value().getRound()).collect(Collectors.toSet()))
                    .isEqualTo(finalsBefore.stream().map(r -> r.key() + "/" + r.value().getRound()).collect(Collectors.toSet()));
            int modelRuns = 0;
            for (ConsumerRecord<String, FinalImageProduced> r : revisions) {
                FinalImageProduced rev = r.value();
                FinalImageProduced orig = finalsBefore.stream().filter(o -> o.key().equals(r.key())
                        && o.value().getRound() == rev.getRound()).findFirst().orElseThrow().value();
                assertThat(rev.getProvenance().getRevision()).isEqualTo(1);
                assertThat(rev.getProvenance().getModelSha256()).isEqualTo(V2_SHA);
                assertThat(rev.getProvenance().getModelName()).isEqualTo("test-refine-v2");
                assertThat(rev.getProvenance().getRedrivenModelSha256()).isEqualTo(baseSha);
                assertThat(rev.getProvenance().getStepSeed()).as("the worker's step seed").isEqualTo(orig.getProvenance().getStepSeed());
                assertThat(rev.getSourceImage()).isEqualTo(orig.getSourceImage());
                assertThat(rev.getReflection()).isEqualTo(orig.getReflection());
                if (orig.getProvenance().getBatchSize() == 0) {
                    // SATISFIED: refine keeps the judged image, as the worker does; no model call
                    assertThat(rev.getImage().getSha256()).isEqualTo(orig.getImage().getSha256());
                    assertThat(rev.getProvenance().getBatchSize()).isZero();
                } else {
                    modelRuns++;
                    ReflectionProduced input = reflectionsBefore.stream().filter(x -> x.key().equals(r.key())
                            && x.value().getRound() == rev.getRound()).findFirst().orElseThrow().value();
                    StepRequest req = ((StepHandler.Refine) StepHandler.of(Step.REFINE)).request(input,
                            Seeds.stepSeed(input.getContext().getSeed(), Step.REFINE, rev.getRound()), stack.imageStore());
                    RgbImage want = new RefineV2().run(List.of(req)).get(0).image();
                    assertThat(Png.load(stack.imageStore(), rev.getImage())).isEqualTo(want);
                    assertThat(rev.getImage().getSha256()).isNotEqualTo(orig.getImage().getSha256());
                    assertThat(rev.getImage().getUri()).as("stored like the workers' images").startsWith("file:");
                }
            }
            assertThat(modelRuns).isPositive().isEqualTo(v2.requests);

            // the workers take no revision as work: reflect read past them and wrote no reflection, refine no final
            String groupBase = p.endsWith(".") ? p.substring(0, p.length() - 1) : p; // as WorkerConfig.groupId()
            awaitCommitted(p + "final-images", groupBase + "-reflect", finals(p, stack).get(finalsAfter.size() - 1).offset() + 1);
            awaitCommitted(p + "reflections", groupBase + "-refine", reflectionsBefore.get(reflectionsBefore.size() - 1).offset() + 1);
            assertThat(reflections(p, stack)).hasSameSizeAs(reflectionsBefore);
            assertThat(finals(p, stack)).hasSize(2 * finalsBefore.size());
            assertThat(PipelineHarness.deadLetters(layout, stack.registryClient())).isEmpty();

            // the trajectory record (store, HTTP API, ./irg get) shows the original and the revision
            String base = stack.topology().url();
            ObjectMapper json = new ObjectMapper();
            for (String id : ids) {
                long rounds = finalsBefore.stream().filter(f -> f.key().equals(id)).count();
                JsonNode t = await().atMost(Duration.ofSeconds(30)).until(() -> json.readTree(get(base + "/api/trajectories/" + id).body()),
                        n -> n.path("revisions").size() == rounds);
                FinalImageProduced lastOriginal = finalsBefore.stream().filter(f -> f.key().equals(id))
                        .map(ConsumerRecord::value).reduce((a, b) -> b).orElseThrow();
                assertThat(t.path("status").asText()).isEqualTo("COMPLETED");
                assertThat(t.path("finalImage").path("sha256").asText()).isEqualTo(lastOriginal.getImage().getSha256());
                assertThat(t.path("reflectionRounds").size()).isEqualTo((int) rounds);
                assertThat(t.path("steps").size()).isEqualTo(2 + 2 * (int) rounds);
                for (JsonNode rev : t.path("revisions")) {
                    assertThat(rev.path("step").asText()).isEqualTo("refine");
                    assertThat(rev.path("revision").asInt()).isEqualTo(1);
                    assertThat(rev.path("provenance").path("modelSha256").asText()).isEqualTo(V2_SHA);
                    assertThat(rev.path("provenance").path("redrivenModelSha256").asText()).isEqualTo(baseSha);
                    String sha = rev.path("image").path("sha256").asText();
                    assertThat(get(base + rev.path("image").path("url").asText()).statusCode()).as("image " + sha).isEqualTo(200);
                }
            }
            StringWriter got = new StringWriter();
            CommandLine getCli = IrgCli.commandLine();
            getCli.setOut(new PrintWriter(got, true));
            assertThat(getCli.execute("get", ids.get(0), "--api", base)).isZero();
            assertThat(got.toString()).contains("\"revisions\"", "\"redrivenModelSha256\" : \"" + baseSha + "\"", V2_SHA);

            // replay lists the revisions (and --verify re-runs them with their own model); the originals stay the path
            CollectedTrajectory collected = Replay.collect(stack.bootstrapServers(), stack.registryClient(), p, ids.get(0), start);
            assertThat(collected.revisions()).hasSize((int) finalsBefore.stream().filter(f -> f.key().equals(ids.get(0))).count());
            assertThat(collected.finals()).allSatisfy(f -> assertThat(f.getProvenance().getRevision()).isZero());
            List<Replay.StepCheck> checks = Replay.verify(collected, stack.imageStore(), (step, sha) -> {
                if (sha.equals(V2_SHA)) {
                    return Optional.of(new RefineV2());
                }
                DeterministicTestModel m = new DeterministicTestModel(step, 0);
                return m.info().sha256().equals(sha) ? Optional.of(m) : Optional.empty();
            });
            assertThat(checks).filteredOn(c -> c.provenance().getRevision() == 1).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.outcome()).isEqualTo(Replay.Outcome.IDENTICAL));
            assertThat(checks).allSatisfy(c -> assertThat(c.outcome()).as(c.step() + " " + c.round()).isEqualTo(Replay.Outcome.IDENTICAL));
            StringWriter replayOut = new StringWriter();
            CommandLine replay = IrgCli.commandLine();
            replay.setOut(new PrintWriter(replayOut, true));
            assertThat(replay.execute("replay", ids.get(0), "--bootstrap-servers", KafkaFixture.bootstrapServers(),
                    "--schema-registry", stack.registryUrl(), "--topic-prefix", p, "--data-dir", dir.toString())).isZero();
            assertThat(replayOut.toString()).contains("step\tround\trevision").contains("refine\t1\t1\t").contains("refine\t1\t0\t");

            // run again with the same model: everything is skipped, nothing is written
            Redrive.Plan again = Redrive.plan(stack.bootstrapServers(), stack.registryClient(), p, Step.REFINE, start, null,
                    Set.of(), V2_SHA, false);
            assertThat(again.targets()).hasSameSizeAs(finalsBefore).allSatisfy(t -> {
                assertThat(t.action()).isEqualTo(Redrive.Action.SKIP_SAME_MODEL);
                assertThat(t.reason()).isEqualTo("revision 1 was made by this model");
            });
            assertThat(Redrive.run(again, stack.bootstrapServers(), stack.registryClient(), p, new RefineV2(), stack.imageStore(),
                    2, "redrive-test", r -> { })).isEmpty();
            assertThat(finals(p, stack)).hasSize(2 * finalsBefore.size());
            // the original model is skipped likewise; --force or another model makes revision 2
            assertThat(Redrive.plan(stack.bootstrapServers(), stack.registryClient(), p, Step.REFINE, start, null, Set.of(),
                    baseSha, false).toRedrive()).isEmpty();
            assertThat(Redrive.plan(stack.bootstrapServers(), stack.registryClient(), p, Step.REFINE, start, null, Set.of(),
                    V2_SHA, true).toRedrive()).hasSameSizeAs(finalsBefore).allSatisfy(t -> assertThat(t.revision()).isEqualTo(2));

            // the command line: dry run with another model file, nothing in the window, and clear errors
            String[] cluster = {"--bootstrap-servers", KafkaFixture.bootstrapServers(), "--schema-registry", stack.registryUrl(),
                    "--topic-prefix", p, "--data-dir", dir.toString()};
            Path otherModel = dir.resolve("refine-v3.pt");
            Files.write(otherModel, new byte[] {1, 2, 3});
            Cli dry = cli(cluster, "redrive", "--step", "refine", "--from", start.toString(), "--model", otherModel.toString(),
                    "--dry-run", "--trajectory", ids.get(0));
            assertThat(dry.code).as(dry.err).isZero();
            assertThat(dry.out).contains("would redrive\t" + ids.get(0) + "\t1\toriginal model " + baseSha.substring(0, 12)
                    + "\tas revision 2").doesNotContain(ids.get(1));
            assertThat(finals(p, stack)).as("a dry run writes nothing").hasSize(2 * finalsBefore.size());

            Cli nothing = cli(cluster, "redrive", "--step", "draw", "--from", Instant.now().toString(), "--model",
                    otherModel.toString(), "--dry-run");
            assertThat(nothing.code).isZero();
            assertThat(nothing.out).contains("nothing to redrive");

            Cli unknownStep = cli(cluster, "redrive", "--step", "paint", "--from", start.toString());
            assertThat(unknownStep.code).isEqualTo(2);
            assertThat(unknownStep.err).contains("unknown step 'paint'");
            Cli future = cli(cluster, "redrive", "--step", "refine", "--from", "2999-01-01");
            assertThat(future.code).isEqualTo(2);
            assertThat(future.err).contains("is in the future");
            Cli missing = cli(cluster, "redrive", "--step", "refine", "--from", start.toString(), "--model",
                    dir.resolve("nope.pt").toString());
            assertThat(missing.code).isEqualTo(2);
            assertThat(missing.err).contains("nope.pt", "does not exist");
            Cli notAModel = cli(cluster, "redrive", "--step", "refine", "--from", start.toString(), "--model", otherModel.toString());
            assertThat(notAModel.code).isEqualTo(2);
            assertThat(notAModel.err).contains("refine-v3.pt", "not a loadable TorchScript module");
            assertThat(finals(p, stack)).hasSize(2 * finalsBefore.size());
        }
    }

    private record Cli(int code, String out, String err) {
    }

    private static Cli cli(String[] cluster, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(cluster));
        InProcessCli.Result r = InProcessCli.run(all.toArray(String[]::new));
        return new Cli(r.exitCode(), r.out(), r.err());
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static ByteBuffer encode(FinalImageProduced f) throws Exception {
        return FinalImageProduced.getEncoder().encode(f);
    }

    private static List<ConsumerRecord<String, FinalImageProduced>> finals(String prefix, EmbeddedStack stack) {
        return PipelineHarness.readAllCommitted(prefix + "final-images", FinalImageProduced.class, stack.registryClient());
    }

    private static List<ConsumerRecord<String, ReflectionProduced>> reflections(String prefix, EmbeddedStack stack) {
        return PipelineHarness.readAllCommitted(prefix + "reflections", ReflectionProduced.class, stack.registryClient());
    }

    /** Waits until {@code group} has committed partition 0 of {@code topic} up to {@code offset}: it read every record before. */
    private static void awaitCommitted(String topic, String group, long offset) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaFixture.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().get(tp);
                return committed != null && committed.offset() >= offset;
            });
        }
    }
}
