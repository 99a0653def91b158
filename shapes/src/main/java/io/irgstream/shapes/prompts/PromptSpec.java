package io.irgstream.shapes.prompts;

import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * A parsed prompt of the shapes-world prompt language v2 (docs/shapes-world.md): object phrases
 * ({@code quantity [size] [color] noun}) and relation clauses between consecutive single-object phrases, at most four
 * objects in all. Built by {@link #parse} (or the samplers); the constructor rejects structures outside the language
 * and contradictory prompts with a {@link PromptException}.
 *
 * @param phrases   the object phrases in prompt order
 * @param relations the relation clauses (phrase i to phrase i + 1), in prompt order
 */
public record PromptSpec(List<Phrase> phrases, List<RelationClause> relations) {
    /** Most objects a prompt may name. */
    public static final int MAX_OBJECTS = 4;

    public PromptSpec {
        Objects.requireNonNull(phrases, "phrases");
        Objects.requireNonNull(relations, "relations");
        phrases = List.copyOf(phrases);
        relations = List.copyOf(relations);
        if (phrases.isEmpty()) {
            throw new PromptException("the prompt names no object; e.g. \"a red circle\"");
        }
        int n = 0;
        for (Phrase p : phrases) {
            n += p.objects();
        }
        if (n > MAX_OBJECTS) {
            throw new PromptException("the prompt names " + n + " objects; at most " + MAX_OBJECTS
                    + " are allowed, e.g. \"two red circles and two blue squares\"");
        }
        boolean[] used = new boolean[phrases.size()];
        for (RelationClause r : relations) {
            if (r.b() >= phrases.size() || used[r.a()] || used[r.b()]) {
                throw new PromptException("chained relations are outside the language; write one relation per"
                        + " clause, e.g. \"a circle left of a square and a triangle\"");
            }
            used[r.a()] = true;
            used[r.b()] = true;
            for (int i : new int[]{r.a(), r.b()}) {
                if (!phrases.get(i).single()) {
                    throw new PromptException("a relation compares single objects (\"a\" or \"one\"), not \""
                            + phrases.get(i).text() + "\"; e.g. \"a circle left of a square\"");
                }
            }
        }
        for (int i = 0; i < phrases.size(); i++) {
            Phrase p = phrases.get(i);
            if (!p.exact()) {
                continue;
            }
            for (int j = 0; j < phrases.size(); j++) {
                if (j != i && p.impliedBy(phrases.get(j))) {
                    throw new PromptException("contradictory prompt: \"" + p.text() + "\" allows exactly " + p.count()
                            + " such objects but \"" + phrases.get(j).text() + "\" needs "
                            + (phrases.get(j).objects() == 1 ? "another" : "more") + "; e.g. \"" + p.text() + " and a "
                            + otherShape(p.shape()).word() + "\"");
                }
            }
        }
    }

    private static Shape otherShape(Shape s) {
        return s == Shape.SQUARE ? Shape.CIRCLE : Shape.SQUARE;
    }

    /** Number of objects the prompt names (a phrase {@code a} counts one). */
    public int objectCount() {
        int n = 0;
        for (Phrase p : phrases) {
            n += p.objects();
        }
        return n;
    }

    /** The phrase of each planned object, in plan order (a phrase of count N gives N entries). */
    public List<Integer> slots() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < phrases.size(); i++) {
            for (int k = 0; k < phrases.get(i).objects(); k++) {
                out.add(i);
            }
        }
        return out;
    }

    /** The relation clause whose first phrase is {@code i}, or null. */
    public RelationClause relationFrom(int i) {
        for (RelationClause r : relations) {
            if (r.a() == i) {
                return r;
            }
        }
        return null;
    }

    /** The category the prompt is scored in (docs/shapes-world.md, checked in order). */
    public Category category() {
        boolean anySize = phrases.stream().anyMatch(p -> p.size() != null);
        boolean plainA = phrases.stream().allMatch(p -> p.count() == 0 && p.size() == null);
        boolean noColor = phrases.stream().allMatch(p -> p.color() == null);
        boolean allColor = phrases.stream().allMatch(p -> p.color() != null);
        int np = phrases.size();
        if (np == 1 && plainA && noColor) {
            return Category.SINGLE_OBJECT;
        }
        if (np == 1 && plainA && allColor) {
            return Category.COLORS;
        }
        Phrase first = phrases.get(0);
        if (np == 1 && first.count() >= 2 && first.color() == null && first.size() == null) {
            return Category.COUNTING;
        }
        if (np == 2 && plainA && noColor && relations.isEmpty()) {
            return Category.TWO_OBJECT;
        }
        if (np == 2 && plainA && allColor && relations.isEmpty()) {
            return Category.COLOR_ATTR;
        }
        if (np == 2 && plainA && noColor && relations.size() == 1) {
            return Category.POSITION;
        }
        if (!anySize && relations.isEmpty()
                && phrases.stream().anyMatch(p -> p.count() >= 2 && p.color() != null)) {
            return Category.COLOR_COUNT;
        }
        if (!anySize && np == 2 && relations.size() == 1 && plainA && !noColor) {
            return Category.COLOR_POSITION;
        }
        if (anySize && objectCount() <= 2) {
            return Category.SIZE;
        }
        return Category.COMPLEX;
    }

    /** The prompt in canonical form, without lead words ({@code a red circle left of a blue square and two ...}). */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < phrases.size(); i++) {
            if (i > 0) {
                b.append(" and ");
            }
            b.append(phrases.get(i).text());
            RelationClause r = relationFrom(i);
            if (r != null) {
                b.append(' ').append(r.relation().words()).append(' ').append(phrases.get(r.b()).text());
                i = r.b();
            }
        }
        return b.toString();
    }

    /**
     * The same prompt as a user might type it: optional lead words, commas, "to the left of", "big", "an" before a
     * vowel, capitals and a final period, chosen by {@code rnd}. It parses back to an equal spec.
     */
    public String surface(Random rnd) {
        String[] leads = {"", "", "", "a photo of ", "a picture of ", "an image of ", "a drawing of "};
        StringBuilder b = new StringBuilder(leads[rnd.nextInt(leads.length)]);
        boolean commas = rnd.nextInt(3) == 0;
        int clauses = phrases.size() - relations.size();
        int clause = 0;
        for (int i = 0; i < phrases.size(); i++) {
            if (i > 0) {
                clause++;
                if (commas && clause < clauses - 1) {
                    b.append(", ");
                } else if (commas) {
                    b.append(rnd.nextBoolean() ? ", and " : " and ");
                } else {
                    b.append(" and ");
                }
            }
            b.append(surfacePhrase(phrases.get(i), rnd));
            RelationClause r = relationFrom(i);
            if (r != null) {
                String w = r.relation().words();
                if ((r.relation() == Relation.LEFT_OF || r.relation() == Relation.RIGHT_OF) && rnd.nextBoolean()) {
                    w = "to the " + w;
                }
                b.append(' ').append(w).append(' ').append(surfacePhrase(phrases.get(r.b()), rnd));
                i = r.b();
            }
        }
        String s = b.toString();
        if (rnd.nextInt(4) == 0) {
            s = s + ".";
        }
        if (rnd.nextInt(4) == 0) {
            s = Character.toUpperCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }

    private static String surfacePhrase(Phrase p, Random rnd) {
        String t = p.text();
        if (p.size() == Size.LARGE && rnd.nextInt(3) == 0) {
            t = t.replace("large", "big");
        }
        if (t.startsWith("a ") && "aeiou".indexOf(t.charAt(2)) >= 0) {
            t = "an " + t.substring(2);
        }
        return t;
    }

    @Override
    public String toString() {
        return text();
    }

    /**
     * Parses a prompt of the language (docs/shapes-world.md).
     *
     * @throws PromptException naming the problem, with a valid example, when it is outside the language
     */
    public static PromptSpec parse(String prompt) {
        return PromptParser.parse(prompt);
    }

    /** The prompt's canonical words (see {@link io.irgstream.shapes.world.PromptGrammar#canonicalWords}). */
    public static List<String> canonicalWords(String prompt) {
        return PromptParser.canonicalWords(prompt == null ? "" : prompt);
    }

    /** Why a prompt is outside the language, or null when it parses. */
    public static String problem(String prompt) {
        try {
            parse(prompt);
            return null;
        } catch (PromptException e) {
            return e.getMessage();
        }
    }

    /**
     * Whether an image with these detected objects passes the prompt: one assignment of distinct objects to the
     * prompt's phrases satisfies every phrase's shape, color and size and every relation at once, and each exact
     * quantity N has exactly N matching objects in the image. Sizes are judged from the measured side (small <= 14,
     * large >= 16).
     */
    public boolean passes(List<DetectedObject> objects) {
        return new Matcher(this, objects.stream().map(o -> new Seen(o.shape(), o.color(), o.size(), o.cx(), o.cy()))
                .toList(), false).satisfied();
    }

    /**
     * Whether a plan (the objects a thought places) satisfies the prompt with drawing slack: required sizes within
     * the plan ranges (small 10..13, large 18..20), and an object counts toward an exact quantity whenever its drawn
     * shape could measure as matching (small when its side is at most 15, large when at least 16).
     */
    public boolean satisfiedBy(List<SceneObject> plan) {
        return new Matcher(this, plan.stream().map(o -> new Seen(o.shape(), o.color(), o.size(), o.centerX(),
                o.centerY())).toList(), true).satisfied();
    }

    /** An object as the matcher sees it: shape (null when unrecognised), color, box side and center. */
    private record Seen(Shape shape, Color color, int side, int cx, int cy) {
    }

    /** Backtracking assignment of objects to the prompt's slots. */
    private static final class Matcher {
        private final PromptSpec spec;
        private final List<Seen> objs;
        private final boolean plan;
        private final List<Integer> slots;
        private final int[] chosen;
        private final boolean[] used;

        /** plan: required sizes by the plan ranges, exact counts by "could read as"; else sizes as judged. */
        Matcher(PromptSpec spec, List<Seen> objs, boolean plan) {
            this.spec = spec;
            this.objs = objs;
            this.plan = plan;
            this.slots = spec.slots();
            this.chosen = new int[slots.size()];
            this.used = new boolean[objs.size()];
        }

        boolean satisfied() {
            for (Phrase p : spec.phrases()) {
                if (p.exact()) {
                    int k = 0;
                    for (int i = 0; i < objs.size(); i++) {
                        if (counts(p, i)) {
                            k++;
                        }
                    }
                    if (k != p.count()) {
                        return false;
                    }
                }
            }
            return assign(0);
        }

        private boolean counts(Phrase p, int i) {
            Seen o = objs.get(i);
            if (o.shape() != p.shape() || (p.color() != null && o.color() != p.color())) {
                return false;
            }
            if (p.size() == null) {
                return true;
            }
            if (!plan) {
                return p.size().judges(o.side());
            }
            return p.size() == Size.SMALL ? o.side() <= 15 : o.side() >= 16;
        }

        private boolean fits(Phrase p, int i) {
            Seen o = objs.get(i);
            if (o.shape() != p.shape() || (p.color() != null && o.color() != p.color())) {
                return false;
            }
            if (p.size() == null) {
                return true;
            }
            return plan ? p.size().plans(o.side()) : p.size().judges(o.side());
        }

        private boolean assign(int k) {
            if (k == slots.size()) {
                return true;
            }
            Phrase p = spec.phrases().get(slots.get(k));
            for (int i = 0; i < objs.size(); i++) {
                if (used[i] || !fits(p, i)) {
                    continue;
                }
                chosen[k] = i;
                if (!relationsHold(k)) {
                    continue;
                }
                used[i] = true;
                if (assign(k + 1)) {
                    return true;
                }
                used[i] = false;
            }
            return false;
        }

        /** Relations whose second phrase's slot is k (both ends then assigned; relation phrases are single). */
        private boolean relationsHold(int k) {
            int phrase = slots.get(k);
            for (RelationClause r : spec.relations()) {
                if (r.b() == phrase) {
                    int ka = slots.indexOf(r.a());
                    Seen a = objs.get(chosen[ka]);
                    Seen b = objs.get(chosen[k]);
                    if (!r.relation().holds(a.cx(), a.cy(), b.cx(), b.cy())) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /** A random prompt of the category, all randomness from {@code rnd}; one that a plan can satisfy. */
    public static PromptSpec sample(Category c, Random rnd) {
        return PromptSampler.sample(c, rnd);
    }

    /** A random prompt of a uniformly random category. */
    public static PromptSpec sample(Random rnd) {
        return sample(Category.values()[rnd.nextInt(Category.values().length)], rnd);
    }
}
