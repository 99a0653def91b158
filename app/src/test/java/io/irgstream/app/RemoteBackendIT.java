package io.irgstream.app;

import io.irgstream.app.client.CollectedTrajectory;
import io.irgstream.app.client.Replay;
import io.irgstream.app.serve.ModelServer;
import io.irgstream.app.stack.TopicLayout;
import io.irgstream.app.testing.InProcessCli;
import io.irgstream.app.testing.PipelineHarness;
import io.irgstream.app.testing.RunningPipeline;
import io.irgstream.embedded.testing.KafkaFixture;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.openai.OpenAiSettings;
import io.irgstream.model.openai.OpenAiStepModel;
import io.irgstream.model.torch.StepModels;
import io.irgstream.schemas.client.Submission;
import io.irgstream.worker.images.Png;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every step on a remote model server: {@code ./irg serve-models}' server with the shipped models, the embedded
 * stack's four workers on {@code model.backend=openai}, the results equal to the local backend's for the same seeds,
 * replay, and the start-up errors a user can meet.
 */
class RemoteBackendIT {
    static final String PROMPT = "a photo of a red circle and a blue square";
    /** A copy of the shipped models taken once, so both backends load the same files while models/ may change. */
    static Path models;

    @TempDir
    Path dir;

    private final Map<Step, StepModel> served = new EnumMap<>(Step.class);
    private final Map<Step, StepModel> local = new EnumMap<>(Step.class);
    private ModelServer server;
    private URI baseUrl;

    @BeforeAll
    static void copyModels(@TempDir Path tmp) throws Exception {
        models = tmp.resolve("shapes");
        Files.createDirectories(models);
        for (Step s : Step.values()) {
            Files.copy(Path.of("..", "models", "shapes", s.id() + ".pt"), models.resolve(s.id() + ".pt"));
        }
    }

    /**
     * Fresh model instances for the server and for the local side: a TorchScript module's first calls can differ
     * from its later ones (the profiling executor), so both sides must make the same calls in the same order.
     */
    @BeforeEach
    void serve() {
        for (Step s : Step.values()) {
            served.put(s, StepModels.load(s, models.resolve(s.id() + ".pt")));
            local.put(s, StepModels.load(s, models.resolve(s.id() + ".pt")));
        }
        server = new ModelServer(List.copyOf(served.values()), null);
        baseUrl = URI.create("http://127.0.0.1:" + server.start("127.0.0.1", 0) + "/v1");
    }

    @AfterEach
    void stop() {
        server.close();
        served.values().forEach(StepModel::close);
        local.values().forEach(StepModel::close);
    }

    StepModel remote(Step step) {
        return OpenAiStepModel.connect(step, OpenAiSettings.of(baseUrl, served.get(step).info().name()));
    }

    @Test
    void shouldCompleteTrajectoriesWithAllFourStepsRemoteAndReplayThemOnTheLocalModels() throws Exception {
        TopicLayout layout = PipelineHarness.uniqueLayout("remote", 1);
        try (RunningPipeline pipeline = RunningPipeline.start(dir, layout, stack -> stack.models(this::remote))) {
            List<String> ids = new ArrayList<>();
            for (long seed : new long[]{7, 8}) {
                CollectedTrajectory t = pipeline.submitAndAwait(new Submission(PROMPT, seed, 2, null), Duration.ofMinutes(3));
                assertThat(t.failed()).as("dead letters: %s", t.deadLetters()).isFalse();
                assertThat(t.isDone()).isTrue();
                ids.add(t.id());
            }
            for (String id : ids) {
                CollectedTrajectory t = Replay.collect(KafkaFixture.bootstrapServers(), pipeline.stack().registryClient(),
                        layout.prefix(), id, Instant.EPOCH);
                for (SpecificRecord e : t.events()) {
                    Provenance p = provenance(e);
                    if (p != null && p.getBatchSize() > 0) {
                        assertThat(p.getBackend()).isEqualTo("openai");
                        assertThat(p.getDevice()).isEqualTo("remote:" + baseUrl.getHost() + ":" + baseUrl.getPort());
                        assertThat(p.getModelSha256()).isEqualTo(local.get(Step.parse(p.getStep())).info().sha256());
                        assertThat(p.getRemote().getHost()).isEqualTo(baseUrl.getHost() + ":" + baseUrl.getPort());
                        assertThat(p.getRemote().getSeed()).as("the server echoed the step seed").isEqualTo(p.getStepSeed());
                        assertThat(p.getRemote().getResponseId()).isNotBlank();
                        assertThat(p.getRemote().getLatencyMs()).isNotNegative();
                    }
                }
                // The server honoured each step seed: the local models give the same text and pixels.
                List<Replay.StepCheck> checks = Replay.verify(t, pipeline.stack().imageStore(),
                        (step, sha) -> Optional.ofNullable(local.get(step)).filter(m -> m.info().sha256().equals(sha)));
                assertThat(checks).extracting(Replay.StepCheck::step).startsWith("think", "draw", "reflect", "refine");
                // Every remote step is re-run on the local model the server named by sha256, with the echoed seed.
                // All four give the same text and pixels as the local backend (within replay's tolerance for images
                // computed at another batch size).
                assertThat(checks).allSatisfy(c -> assertThat(c.outcome()).as(c.step() + " round " + c.round() + " "
                        + c.detail()).isIn(Replay.Outcome.IDENTICAL, Replay.Outcome.WITHIN_TOLERANCE));

                // A server that does not echo the seed cannot be replayed, and replay says so instead of a mismatch.
                t.thought().getProvenance().getRemote().setSeed(null);
                Replay.StepCheck think = Replay.verify(t, pipeline.stack().imageStore(), (s, sha) -> Optional.empty()).get(0);
                assertThat(think.outcome()).isEqualTo(Replay.Outcome.NOT_REPRODUCIBLE);
                assertThat(think.detail()).startsWith("not reproducible: remote backend");
            }
            Path html = dir.resolve("audit.html");
            InProcessCli.Result audit = pipeline.runCli("audit", ids.get(0), "--html", html.toString());
            assertThat(audit.exitCode()).as("audit; err: %s", audit.err()).isZero();
            assertThat(Files.readString(html)).contains("backend openai", "remote call", "chatcmpl-irg-", "seed echoed");
        }
    }

    @Test
    void shouldWriteTheTrajectoryFolderWithTheLocalThoughtWhenGenerateRunsEveryStepRemotely() throws Exception {
        InProcessCli.Result remote = InProcessCli.run("generate", PROMPT, "--seed", "11", "--backend", "openai",
                "--base-url", baseUrl.toString(), "--out", dir.resolve("remote").toString(),
                "--data-dir", dir.resolve("data-remote").toString(), "--models", models.toString());
        assertThat(remote.exitCode()).as("remote generate; stderr: %s", remote.err()).isZero();
        InProcessCli.Result localRun = InProcessCli.run("generate", PROMPT, "--seed", "11",
                "--out", dir.resolve("local").toString(), "--data-dir", dir.resolve("data-local").toString(),
                "--models", models.toString());
        assertThat(localRun.exitCode()).as("local generate; stderr: %s", localRun.err()).isZero();
        Path r = Path.of(remote.out().lines().toList().get(1));
        Path l = Path.of(localRun.out().lines().toList().get(1));
        assertThat(Files.readString(r.resolve("thought.txt"))).as("thought.txt")
                .isEqualTo(Files.readString(l.resolve("thought.txt")));
        // Pixels of draft and final are not asserted equal here: see the replay test's note on the runtime.
        for (String image : List.of("draft.png", "final.png")) {
            io.irgstream.model.RgbImage img = Png.decode(Files.readAllBytes(r.resolve(image)));
            assertThat(maxDifference(img, Png.decode(Files.readAllBytes(l.resolve(image))))).as(image).isBetween(0, 255);
        }
        assertThat(Files.readString(r.resolve("reflection-1.txt"))).containsPattern("Verdict: (SATISFIED|NEEDS_CHANGES)");
        assertThat(Files.readString(r.resolve("trajectory.json"))).contains("\"backend\"", "openai", "\"remote\"");
    }

    @Test
    void shouldFailToStartWithOneLineNamingTheSettingWhenTheServerIsUnusable() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        InProcessCli.Result down = generateRemote("http://127.0.0.1:" + closed + "/v1", "down");
        assertThat(down.exitCode()).isEqualTo(2);
        assertThat(down.err().strip().lines()).hasSize(1);
        assertThat(down.err()).contains("cannot start the think model", "does not answer", "model.base.url");

        InProcessCli.Result unknown = generateRemote(baseUrl.toString(), "unknown", "--model-setting", "model.name=no-such-model");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("model.name 'no-such-model' is not served by", "shapes-think");

        try (ModelServer locked = new ModelServer(List.copyOf(served.values()), "sk-right")) {
            String url = "http://127.0.0.1:" + locked.start("127.0.0.1", 0) + "/v1";
            InProcessCli.Result refused = generateRemote(url, "refused");
            assertThat(refused.exitCode()).isEqualTo(2);
            assertThat(refused.err()).contains("401", "Incorrect API key provided", "model.api.key.env");
        }
    }

    private InProcessCli.Result generateRemote(String url, String name, String... more) {
        List<String> args = new ArrayList<>(List.of("generate", PROMPT, "--seed", "1", "--backend", "openai",
                "--base-url", url, "--out", dir.resolve(name).toString(), "--data-dir", dir.resolve("data-" + name).toString(),
                "--models", models.toString(), "--timeout", "PT30S"));
        args.addAll(List.of(more));
        return InProcessCli.run(args.toArray(String[]::new));
    }

    private static int maxDifference(io.irgstream.model.RgbImage a, io.irgstream.model.RgbImage b) {
        assertThat(a.width()).isEqualTo(b.width());
        assertThat(a.height()).isEqualTo(b.height());
        int max = 0;
        for (int i = 0; i < a.pixels().length; i++) {
            max = Math.max(max, Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff)));
        }
        return max;
    }

    private static Provenance provenance(SpecificRecord e) {
        if (e instanceof ThoughtProduced t) {
            return t.getProvenance();
        } else if (e instanceof DraftImageProduced d) {
            return d.getProvenance();
        } else if (e instanceof ReflectionProduced r) {
            return r.getProvenance();
        } else if (e instanceof FinalImageProduced f) {
            return f.getProvenance();
        }
        return null;
    }
}
