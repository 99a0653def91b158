package io.irgstream.schemas;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Trajectory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.avro.specific.SpecificRecord;

/**
 * The pipeline's topics in one immutable, typed registry: names (with a configurable prefix), value classes and
 * cleanup policy. Every module takes topic names from here rather than spelling them.
 *
 * <pre>{@code
 * Topics topics = Topics.withPrefix("tenant1.irg.");
 * topics.prompts().name();        // "tenant1.irg.prompts"
 * topics.prompts().valueClass();  // Optional[PromptSubmitted.class]
 * topics.all();                   // every topic, in pipeline order
 * }</pre>
 */
public final class Topics {

    /** The default prefix: topics are {@code irg.prompts}, {@code irg.thoughts}, ... */
    public static final String DEFAULT_PREFIX = "irg.";

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]*");
    private static final int MAX_NAME_LENGTH = 249;

    private final String prefix;
    private final Topic<PromptSubmitted> prompts;
    private final Topic<ThoughtProduced> thoughts;
    private final Topic<DraftImageProduced> draftImages;
    private final Topic<ReflectionProduced> reflections;
    private final Topic<FinalImageProduced> finalImages;
    private final Topic<Trajectory> trajectories;
    private final Topic<DeadLetter> deadLetters;
    private final Topic<CancellationRequested> cancellations;
    private final Topic<PromptSubmitted> submissions;
    private final Map<String, List<Topic<SpecificRecord>>> retries = new LinkedHashMap<>();
    private final List<Topic<?>> all;

    /** The steps, as named in retry topics ({@link io.irgstream.model.Step#IDS}). */
    public static final List<String> STEPS = io.irgstream.model.Step.IDS;

    /** Retry tiers per step: a failed record waits on tier 1, then 2, ... before each further attempt. */
    public static final int RETRY_TIERS = 3;

    private Topics(String prefix) {
        this.prefix = prefix;
        this.prompts = topic("prompts", PromptSubmitted.class, false);
        this.thoughts = topic("thoughts", ThoughtProduced.class, false);
        this.draftImages = topic("draft-images", DraftImageProduced.class, false);
        this.reflections = topic("reflections", ReflectionProduced.class, false);
        this.finalImages = topic("final-images", FinalImageProduced.class, false);
        this.trajectories = topic("trajectories", Trajectory.class, true);
        this.deadLetters = topic("dead-letters", DeadLetter.class, false);
        this.cancellations = topic("cancellations", CancellationRequested.class, false);
        this.submissions = topic("submissions", PromptSubmitted.class, false);
        List<Topic<?>> list = new java.util.ArrayList<>(List.of(prompts, thoughts, draftImages, reflections, finalImages,
                trajectories, deadLetters, cancellations));
        for (String step : STEPS) {
            List<Topic<SpecificRecord>> tiers = new java.util.ArrayList<>();
            for (int tier = 1; tier <= RETRY_TIERS; tier++) {
                tiers.add(topic("retry-" + step + "-" + tier, null, false));
            }
            retries.put(step, List.copyOf(tiers));
            list.addAll(tiers);
        }
        list.add(submissions);
        this.all = List.copyOf(list);
    }

    /** @return the topics with the default prefix {@value #DEFAULT_PREFIX} */
    public static Topics defaults() {
        return new Topics(DEFAULT_PREFIX);
    }

    /**
     * Creates the topics with a prefix, e.g. {@code "tenant1.irg."} for {@code tenant1.irg.prompts}.
     *
     * @param prefix prefix put before each base name; may be empty; letters, digits, '.', '_' and '-' only
     * @return the topics
     * @throws IllegalArgumentException naming the prefix when it holds other characters or makes names too long
     */
    public static Topics withPrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        if (!LEGAL.matcher(prefix).matches()) {
            throw new IllegalArgumentException("invalid topic prefix '" + prefix
                    + "': only letters, digits, '.', '_' and '-' are allowed");
        }
        if (prefix.length() + "retry-reflect-1".length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("topic prefix '" + prefix + "' is too long: topic names are limited to "
                    + MAX_NAME_LENGTH + " characters");
        }
        return new Topics(prefix);
    }

    /** @return the prefix, e.g. {@code irg.} */
    public String prefix() {
        return prefix;
    }

    /** @return prompts submitted by clients: {@code irg.prompts}, {@link PromptSubmitted} */
    public Topic<PromptSubmitted> prompts() {
        return prompts;
    }

    /** @return the think step's output: {@code irg.thoughts}, {@link ThoughtProduced} */
    public Topic<ThoughtProduced> thoughts() {
        return thoughts;
    }

    /** @return the draw step's output: {@code irg.draft-images}, {@link DraftImageProduced} */
    public Topic<DraftImageProduced> draftImages() {
        return draftImages;
    }

    /** @return the reflect step's output: {@code irg.reflections}, {@link ReflectionProduced} */
    public Topic<ReflectionProduced> reflections() {
        return reflections;
    }

    /** @return the refine step's output: {@code irg.final-images}, {@link FinalImageProduced} */
    public Topic<FinalImageProduced> finalImages() {
        return finalImages;
    }

    /** @return the topology's folded view of each trajectory: {@code irg.trajectories}, compacted, {@link Trajectory} */
    public Topic<Trajectory> trajectories() {
        return trajectories;
    }

    /** @return records a step gave up on: {@code irg.dead-letters}, {@link DeadLetter} */
    public Topic<DeadLetter> deadLetters() {
        return deadLetters;
    }

    /**
     * @return requests to stop trajectories: {@code irg.cancellations}, {@link CancellationRequested}, keyed by
     *     trajectory id
     */
    public Topic<CancellationRequested> cancellations() {
        return cancellations;
    }

    /**
     * @return the admission queue's entry: {@code irg.submissions}, {@link PromptSubmitted}, keyed by trajectory id.
     *     The topology's admission scheduler reads it and releases each trajectory into {@link #prompts()} when its
     *     partition has room (docs/scheduling.md); clients that go through the scheduler write here
     */
    public Topic<PromptSubmitted> submissions() {
        return submissions;
    }

    /**
     * @param step  think, draw, reflect or refine
     * @param tier  1..{@value #RETRY_TIERS}
     * @return the topic where records of {@code step} wait before their attempt {@code tier + 1}:
     *     {@code irg.retry-<step>-<tier>}; values are the original input records, unchanged, with retry headers
     */
    public Topic<SpecificRecord> retry(String step, int tier) {
        List<Topic<SpecificRecord>> tiers = retries.get(step);
        if (tiers == null || tier < 1 || tier > RETRY_TIERS) {
            throw new IllegalArgumentException("no retry topic for step '" + step + "' tier " + tier
                    + ": steps are " + STEPS + ", tiers 1.." + RETRY_TIERS);
        }
        return tiers.get(tier - 1);
    }

    /** @return every topic, in pipeline order: prompts, thoughts, draft images, reflections, final images,
     *     trajectories, dead letters, cancellations, then the retry tiers of each step, then submissions */
    public List<Topic<?>> all() {
        return all;
    }

    /**
     * @param name full topic name
     * @return the topic with that name, or empty
     */
    public Optional<Topic<?>> byName(String name) {
        return all.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Topics && ((Topics) o).prefix.equals(prefix);
    }

    @Override
    public int hashCode() {
        return prefix.hashCode();
    }

    @Override
    public String toString() {
        return "Topics" + all;
    }

    private <V extends SpecificRecord> Topic<V> topic(String baseName, Class<V> valueClass, boolean compacted) {
        return new Topic<>(prefix + baseName, baseName, valueClass, compacted);
    }
}
