package io.irgstream.app.bench;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.RgbImage;
import io.irgstream.model.Sampling;
import io.irgstream.model.Seeds;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;
import io.irgstream.model.Verdict;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Real outputs of the real step models, recorded once so that {@link ReplayStepModel} can answer the same requests
 * again without computing them. {@link #record} runs the models in this process over a set of prompts, one trajectory
 * per prompt, as the workers run IRG: think, draw, reflect round 1 on the draft, refine when the verdict is
 * NEEDS_CHANGES, reflect round 2 on the refined image, and so on up to the requested rounds (a SATISFIED verdict
 * ends the trajectory, as {@link io.irgstream.schemas.RoundControl} does). Every request and its result are kept under
 * (prompt, step, round).
 *
 * <p>A trajectory that replays a recording must use the recorded seed of its prompt ({@link #seedOf}): the replay
 * finds a request's round by its step seed and answers only a request whose inputs are the recorded ones.
 */
public final class RecordedTraces {
    /** Where one output was recorded. */
    public record Key(String prompt, Step step, int round) {
    }

    /** One recorded model call: the request as the model got it and the model's result. */
    public record Call(Key key, StepRequest request, StepResult result) {
    }

    private final Map<Key, Call> calls = new LinkedHashMap<>();
    private final Map<String, Long> seeds = new LinkedHashMap<>();
    private final Map<String, String> rejections = new HashMap<>();
    private final Map<Step, ModelInfo> models = new EnumMap<>(Step.class);
    private final int rounds;

    private RecordedTraces(int rounds) {
        this.rounds = rounds;
    }

    /**
     * Runs {@code models} over {@code prompts} (distinct; prompt i gets trajectory seed {@code seed0 + i}), IRG up to
     * {@code rounds} rounds, {@code batch} trajectories per model call, and records every call. Each step's model is
     * loaded once and closed afterwards. Prompts the think model rejects are recorded as rejected and go no further.
     */
    public static RecordedTraces record(Function<Step, StepModel> models, List<String> prompts, long seed0, int rounds,
                                        int batch, PrintStream log) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        }
        List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(prompts));
        if (distinct.isEmpty()) {
            throw new IllegalArgumentException("no prompts to record");
        }
        RecordedTraces t = new RecordedTraces(rounds);
        Map<Step, StepModel> m = new EnumMap<>(Step.class);
        try {
            for (Step s : Step.values()) {
                StepModel model = models.apply(s);
                m.put(s, model);
                t.models.put(s, model.info());
            }
            List<String> rejected = m.get(Step.THINK).rejections(distinct);
            for (int i = 0; i < distinct.size(); i++) {
                String p = distinct.get(i);
                String reason = rejected.get(i) == null ? "" : rejected.get(i);
                t.rejections.put(p, reason);
                t.seeds.put(p, seed0 + i);
            }
            List<String> accepted = distinct.stream().filter(p -> t.rejections.get(p).isEmpty()).toList();
            for (int from = 0; from < accepted.size(); from += batch) {
                t.recordChunk(m, accepted.subList(from, Math.min(accepted.size(), from + batch)));
                if (log != null) {
                    log.printf("recorded %d of %d prompts%n", Math.min(accepted.size(), from + batch), accepted.size());
                }
            }
        } finally {
            m.values().forEach(StepModel::close);
        }
        return t;
    }

    private void recordChunk(Map<Step, StepModel> m, List<String> chunk) {
        List<String> thoughts = texts(call(m, Step.THINK, 0, chunk, p -> new StepRequest("record", seed(p, Step.THINK, 0),
                p, null, null, null, Sampling.DEFAULTS)));
        Map<String, String> thought = zip(chunk, thoughts);
        List<StepResult> drafts = call(m, Step.DRAW, 0, chunk, p -> new StepRequest("record", seed(p, Step.DRAW, 0), p,
                thought.get(p), null, null, Sampling.DEFAULTS));
        Map<String, RgbImage> judged = new HashMap<>();
        for (int i = 0; i < chunk.size(); i++) {
            judged.put(chunk.get(i), drafts.get(i).image());
        }
        List<String> open = chunk;
        for (int round = 1; round <= rounds && !open.isEmpty(); round++) {
            int r = round;
            List<String> reflections = texts(call(m, Step.REFLECT, r, open, p -> new StepRequest("record",
                    seed(p, Step.REFLECT, r), p, thought.get(p), judged.get(p), null, Sampling.DEFAULTS)));
            Map<String, String> reflection = zip(open, reflections);
            List<String> refine = open.stream().filter(p -> Verdict.of(reflection.get(p)) == Verdict.NEEDS_CHANGES).toList();
            if (refine.isEmpty()) {
                break;
            }
            List<StepResult> refined = call(m, Step.REFINE, r, refine, p -> new StepRequest("record",
                    seed(p, Step.REFINE, r), p, thought.get(p), judged.get(p), reflection.get(p), Sampling.DEFAULTS));
            for (int i = 0; i < refine.size(); i++) {
                judged.put(refine.get(i), refined.get(i).image());
            }
            open = refine; // a SATISFIED verdict ends the trajectory; a refined image is reflected on next round
        }
    }

    private List<StepResult> call(Map<Step, StepModel> m, Step step, int round, List<String> prompts,
                                  Function<String, StepRequest> request) {
        List<StepRequest> batch = prompts.stream().map(request).toList();
        List<StepResult> results = m.get(step).run(batch);
        if (results.size() != batch.size()) {
            throw new IllegalStateException("the " + step.id() + " model returned " + results.size() + " results for "
                    + batch.size() + " requests");
        }
        for (int i = 0; i < batch.size(); i++) {
            Key k = new Key(prompts.get(i), step, round);
            calls.put(k, new Call(k, batch.get(i), results.get(i)));
        }
        return results;
    }

    private static List<String> texts(List<StepResult> results) {
        return results.stream().map(StepResult::text).toList();
    }

    private static <V> Map<String, V> zip(List<String> keys, List<V> values) {
        Map<String, V> out = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            out.put(keys.get(i), values.get(i));
        }
        return out;
    }

    private long seed(String prompt, Step step, int round) {
        return Seeds.stepSeed(seeds.get(prompt), step, round);
    }

    /** The rounds recorded at most. */
    public int rounds() {
        return rounds;
    }

    /** The prompts the think model accepted, in recording order: the ones a replay can run. */
    public List<String> prompts() {
        return seeds.keySet().stream().filter(p -> rejections.get(p).isEmpty()).toList();
    }

    /** The trajectory seed {@code prompt} was recorded with. */
    public long seedOf(String prompt) {
        Long s = seeds.get(prompt);
        if (s == null) {
            throw new IllegalStateException("prompt \"" + prompt + "\" was not recorded");
        }
        return s;
    }

    /** The model that made the recorded outputs of {@code step}. */
    public ModelInfo model(Step step) {
        return models.get(step);
    }

    /** Every recorded call, in recording order. */
    public List<Call> calls() {
        return List.copyOf(calls.values());
    }

    /** The recorded call under {@code key}, or null. */
    public Call get(Key key) {
        return calls.get(key);
    }

    /** How many model calls of {@code step} one trajectory makes on average in the recording. */
    public double callsPerTrajectory(Step step) {
        long n = calls.keySet().stream().filter(k -> k.step() == step).count();
        return prompts().isEmpty() ? 0 : (double) n / prompts().size();
    }

    /**
     * The recorded reason the think model gave for each prompt ({@code ""} when accepted).
     *
     * @throws IllegalStateException for a prompt that was not recorded
     */
    public List<String> rejections(List<String> prompts) {
        List<String> out = new ArrayList<>(prompts.size());
        for (String p : prompts) {
            String r = rejections.get(p);
            if (r == null) {
                throw new IllegalStateException("no recorded prompt check for prompt \"" + p + "\": the replay answers "
                        + "only the " + seeds.size() + " recorded prompts");
            }
            out.add(r);
        }
        return out;
    }

    /**
     * The recorded call that answers {@code request} of {@code step}: the one of the same prompt whose step seed is the
     * request's (that gives the round), with the same inputs (thought, image, reflection, sampling).
     *
     * @throws IllegalStateException naming the prompt, step and seed when nothing recorded answers it
     */
    public Call find(Step step, StepRequest request) {
        String p = request.prompt();
        TreeSet<Integer> rounds = new TreeSet<>();
        Call match = null;
        for (int round = 0; round <= this.rounds; round++) {
            Call c = calls.get(new Key(p, step, round));
            if (c != null) {
                rounds.add(round);
                if (c.request().stepSeed() == request.stepSeed()) {
                    match = c;
                }
            }
        }
        String what = "the " + step.id() + " step of prompt \"" + p + "\" with step seed " + request.stepSeed()
                + " (trajectory " + request.trajectoryId() + ")";
        if (rounds.isEmpty()) {
            throw new IllegalStateException("no recorded output for " + what + ": that prompt has no recorded "
                    + step.id() + " call (" + seeds.size() + " prompts recorded)");
        }
        if (match == null) {
            throw new IllegalStateException("no recorded output for " + what + ": its recorded " + step.id()
                    + " calls (rounds " + rounds + ") have other step seeds; a replayed trajectory must use the recorded "
                    + "trajectory seed " + seeds.get(p));
        }
        String differs = differs(match.request(), request);
        if (differs != null) {
            throw new IllegalStateException("no recorded output for " + what + ": the recorded call of round "
                    + match.key().round() + " had another " + differs);
        }
        return match;
    }

    private static String differs(StepRequest recorded, StepRequest asked) {
        if (!Objects.equals(recorded.thought(), asked.thought())) {
            return "thought";
        }
        if (!Objects.equals(recorded.image(), asked.image())) {
            return "input image";
        }
        if (!Objects.equals(recorded.reflection(), asked.reflection())) {
            return "reflection";
        }
        if (!recorded.sampling().equals(asked.sampling())) {
            return "sampling (" + recorded.sampling() + ")";
        }
        return null;
    }
}
