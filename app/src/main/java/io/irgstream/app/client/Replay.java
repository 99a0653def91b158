package io.irgstream.app.client;

import io.irgstream.schemas.KafkaClientSettings;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.schemas.IrgAvroDeserializer;
import io.irgstream.schemas.SchemaRegistryClient;
import io.irgstream.schemas.Topic;
import io.irgstream.schemas.Topics;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.worker.StepHandler;
import io.irgstream.worker.images.Png;
import org.apache.avro.specific.SpecificRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Rebuilds a trajectory from the topics alone (not from the topology's store), checks every image against its
 * sha256, and optionally re-runs every step from its recorded input, seed, sampler parameters and model (found by
 * its sha256), comparing the result with what was recorded.
 */
public final class Replay {
    /** Outcome of re-running one step. */
    public enum Outcome {
        IDENTICAL, WITHIN_TOLERANCE, DIFFERENT, MODEL_MISSING, NOT_CHECKED,
        /** A step a remote server ran without echoing the seed it honoured, or whose model file is not here. */
        NOT_REPRODUCIBLE
    }

    /** One recorded step event and what replay found. */
    public record StepCheck(String step, int round, Instant producedAt, Provenance provenance, String imageCheck,
                            Outcome outcome, String detail) {
    }

    private Replay() {
    }

    /** Reads every event of trajectory {@code id} from the topics, in step order. */
    public static CollectedTrajectory collect(String bootstrapServers, SchemaRegistryClient registry, String prefix,
                                              String id, Instant since) {
        return collect(KafkaClientSettings.of(bootstrapServers), registry, prefix, id, since);
    }

    /** As above, connecting with {@code kafka} (bootstrap servers, security.protocol, sasl.*, ssl.*). */
    public static CollectedTrajectory collect(KafkaClientSettings kafka, SchemaRegistryClient registry, String prefix,
                                              String id, Instant since) {
        Topics t = Topics.withPrefix(prefix);
        CollectedTrajectory out = new CollectedTrajectory(id);
        List<SpecificRecord> all = new ArrayList<>();
        byte[] key = id.getBytes(StandardCharsets.UTF_8);
        for (Topic<? extends SpecificRecord> topic : List.of(t.prompts(), t.thoughts(), t.draftImages(), t.reflections(),
                t.finalImages(), t.deadLetters())) {
            IrgAvroDeserializer<? extends SpecificRecord> d = new IrgAvroDeserializer<>(registry, topic.valueClass().orElseThrow());
            List<SpecificRecord> found = new ArrayList<>();
            TopicReader.read(kafka, topic.name(), since, r -> {
                if (r.key() != null && java.util.Arrays.equals(r.key(), key)) {
                    found.add(d.deserialize(r.topic(), r.value()));
                }
            });
            all.addAll(found);
        }
        // trajectory order: think, draw, then reflect and refine round by round; dead letters last
        all.sort(Comparator.comparingInt(Replay::roundOf).thenComparingInt(Replay::stepOrder));
        all.forEach(out::add);
        return out;
    }

    /**
     * Checks the images of {@code t} and, when {@code models} is given, re-runs each step.
     *
     * @param models the model for (step, sha256), or empty when that model file is not available; null skips re-runs
     */
    public static List<StepCheck> verify(CollectedTrajectory t, ImageStore images,
                                         BiFunction<Step, String, Optional<StepModel>> models) {
        List<StepCheck> checks = new ArrayList<>();
        PromptSubmitted prompt = t.prompt();
        for (SpecificRecord e : t.events()) {
            if (e instanceof ThoughtProduced th) {
                checks.add(check(Step.THINK, 0, th.getProvenance(), null, prompt, images, models,
                        r -> r.text() != null && r.text().equals(th.getThought()) ? Outcome.IDENTICAL : Outcome.DIFFERENT));
            } else if (e instanceof DraftImageProduced d) {
                checks.add(imageStep(Step.DRAW, 0, d.getProvenance(), d.getImage(), t.thought(), images, models));
            } else if (e instanceof ReflectionProduced rf) {
                SpecificRecord input = rf.getRound() == 1 ? t.draft() : finalOfRound(t, rf.getRound() - 1);
                checks.add(check(Step.REFLECT, rf.getRound(), rf.getProvenance(), rf.getImage(), input, images, models,
                        r -> r.text() != null && r.text().equals(rf.getReflection()) ? Outcome.IDENTICAL : Outcome.DIFFERENT));
            } else if (e instanceof FinalImageProduced f) {
                ReflectionProduced input = t.reflections().stream().filter(r -> r.getRound() == f.getRound()).findFirst().orElse(null);
                checks.add(imageStep(Step.REFINE, f.getRound(), f.getProvenance(), f.getImage(), input, images, models));
            }
        }
        return checks;
    }

    private static FinalImageProduced finalOfRound(CollectedTrajectory t, int round) {
        return t.finals().stream().filter(f -> f.getRound() == round).findFirst().orElse(null);
    }

    private static StepCheck imageStep(Step step, int round, Provenance p, ImageRef recorded, SpecificRecord input,
                                       ImageStore images, BiFunction<Step, String, Optional<StepModel>> models) {
        String[] detail = {""};
        StepCheck c = check(step, round, p, recorded, input, images, models, r -> {
            RgbImage want = Png.load(images, recorded);
            if (r.image() == null) {
                return Outcome.DIFFERENT;
            }
            if (r.image().equals(want)) {
                return Outcome.IDENTICAL;
            }
            int max = 0;
            byte[] a = r.image().pixels();
            byte[] b = want.pixels();
            for (int i = 0; i < Math.min(a.length, b.length); i++) {
                max = Math.max(max, Math.abs((a[i] & 0xff) - (b[i] & 0xff)));
            }
            detail[0] = "max pixel difference " + max;
            return max <= 2 ? Outcome.WITHIN_TOLERANCE : Outcome.DIFFERENT;
        });
        return detail[0].isEmpty() ? c : new StepCheck(c.step(), c.round(), c.producedAt(), c.provenance(), c.imageCheck(),
                c.outcome(), detail[0]);
    }

    private static StepCheck check(Step step, int round, Provenance p, ImageRef image, SpecificRecord input,
                                   ImageStore images, BiFunction<Step, String, Optional<StepModel>> models,
                                   java.util.function.Function<StepResult, Outcome> compare) {
        String imageCheck = "-";
        if (image != null) {
            try {
                images.bytes(image);
                imageCheck = "ok";
            } catch (ImageIntegrityException ex) {
                imageCheck = "TAMPERED: " + ex.getMessage();
            }
        }
        Instant at = p.getProducedAt();
        if (models == null) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.NOT_CHECKED, "");
        }
        if (input == null) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.DIFFERENT, "its input event is missing from the topics");
        }
        if (p.getBatchSize() == 0) {
            // refine kept the judged image (SATISFIED): nothing ran
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.IDENTICAL, "kept the judged image (no model call)");
        }
        boolean remote = !io.irgstream.model.ModelInfo.TORCHSCRIPT.equals(p.getBackend());
        if (remote && (p.getRemote() == null || p.getRemote().getSeed() == null || p.getModelSha256().isEmpty())) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.NOT_REPRODUCIBLE,
                    "not reproducible: remote backend (" + remoteName(p) + " did not echo the seed it used"
                            + (p.getModelSha256().isEmpty() ? " nor name its model's sha256" : "") + ")");
        }
        Optional<StepModel> model = models.apply(step, p.getModelSha256());
        if (model.isEmpty() && remote) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.NOT_REPRODUCIBLE,
                    "not reproducible: remote backend (" + remoteName(p) + " honoured the seed, but no model file with "
                            + "sha256 " + p.getModelSha256() + " is available here)");
        }
        if (model.isEmpty()) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.MODEL_MISSING,
                    "no model file with sha256 " + p.getModelSha256() + " (" + p.getModelName() + ") is available");
        }
        try {
            @SuppressWarnings("unchecked")
            StepHandler<SpecificRecord, SpecificRecord> h = (StepHandler<SpecificRecord, SpecificRecord>) StepHandler.of(step);
            StepRequest req = h.request(input, p.getStepSeed(), images);
            StepResult r = model.get().run(List.of(req)).get(0);
            return new StepCheck(step.id(), round, at, p, imageCheck, compare.apply(r), "");
        } catch (RuntimeException ex) {
            return new StepCheck(step.id(), round, at, p, imageCheck, Outcome.DIFFERENT, "re-run failed: " + ex.getMessage());
        }
    }

    private static String remoteName(Provenance p) {
        return p.getRemote() == null ? p.getBackend() + " model " + p.getModelName()
                : "model " + p.getRemote().getModel() + " on " + p.getRemote().getHost();
    }

    private static int stepOrder(SpecificRecord e) {
        if (e instanceof PromptSubmitted) {
            return 0;
        } else if (e instanceof ThoughtProduced) {
            return 1;
        } else if (e instanceof DraftImageProduced) {
            return 2;
        } else if (e instanceof ReflectionProduced) {
            return 3;
        } else if (e instanceof FinalImageProduced) {
            return 4;
        }
        return 5;
    }

    private static int roundOf(SpecificRecord e) {
        if (e instanceof io.irgstream.events.DeadLetter) {
            return Integer.MAX_VALUE;
        }
        if (e instanceof ReflectionProduced r) {
            return r.getRound();
        } else if (e instanceof FinalImageProduced f) {
            return f.getRound();
        }
        return 0;
    }
}
