package io.irgstream.shapes.prompts;

import io.irgstream.shapes.think.PlanSampler;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random prompts of each category, for training and held-out sets. Every sampled prompt is in the language, not
 * contradictory, of the asked category, and has a plan ({@link PlanSampler} finds one).
 */
final class PromptSampler {
    private PromptSampler() {
    }

    static PromptSpec sample(Category c, Random rnd) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            PromptSpec p;
            try {
                p = draft(c, rnd);
            } catch (PromptException e) {
                continue;
            }
            if (p.category() == c && PlanSampler.plannable(p)) {
                return p;
            }
        }
        throw new IllegalStateException("no prompt of category " + c.id() + " found");
    }

    private static PromptSpec draft(Category c, Random rnd) {
        List<Phrase> ph = new ArrayList<>();
        List<RelationClause> rel = new ArrayList<>();
        switch (c) {
            case SINGLE_OBJECT -> ph.add(Phrase.a(null, null, shape(rnd)));
            case COLORS -> ph.add(Phrase.a(null, color(rnd), shape(rnd)));
            case COUNTING -> ph.add(new Phrase(2 + rnd.nextInt(3), null, null, shape(rnd)));
            case TWO_OBJECT -> {
                Shape a = shape(rnd);
                ph.add(Phrase.a(null, null, a));
                ph.add(Phrase.a(null, null, rnd.nextInt(8) == 0 ? a : other(a, rnd)));
            }
            case COLOR_ATTR -> {
                ph.add(Phrase.a(null, color(rnd), shape(rnd)));
                ph.add(Phrase.a(null, color(rnd), shape(rnd)));
            }
            case POSITION -> {
                ph.add(Phrase.a(null, null, shape(rnd)));
                ph.add(Phrase.a(null, null, shape(rnd)));
                rel.add(new RelationClause(0, relation(rnd), 1));
            }
            case COLOR_COUNT -> {
                int n = 2 + rnd.nextInt(3);
                ph.add(new Phrase(n, null, color(rnd), shape(rnd)));
                int left = 4 - n;
                while (left > 0 && rnd.nextInt(3) > 0) {
                    int k = rnd.nextInt(3) == 0 && left >= 2 ? 2 : rnd.nextInt(4) == 0 ? 1 : 0;
                    ph.add(new Phrase(k, null, rnd.nextInt(4) > 0 ? color(rnd) : null, shape(rnd)));
                    left -= Math.max(1, k);
                }
                java.util.Collections.shuffle(ph, rnd);
            }
            case COLOR_POSITION -> {
                int colored = rnd.nextInt(3);
                ph.add(Phrase.a(null, colored != 1 ? color(rnd) : null, shape(rnd)));
                ph.add(Phrase.a(null, colored != 0 ? color(rnd) : null, shape(rnd)));
                rel.add(new RelationClause(0, relation(rnd), 1));
            }
            case SIZE -> {
                switch (rnd.nextInt(4)) {
                    case 0 -> ph.add(Phrase.a(size(rnd), maybeColor(rnd), shape(rnd)));
                    case 1 -> ph.add(new Phrase(2, size(rnd), maybeColor(rnd), shape(rnd)));
                    case 2 -> {
                        ph.add(Phrase.a(size(rnd), maybeColor(rnd), shape(rnd)));
                        ph.add(Phrase.a(rnd.nextBoolean() ? size(rnd) : null, maybeColor(rnd), shape(rnd)));
                        java.util.Collections.shuffle(ph, rnd);
                    }
                    default -> {
                        ph.add(Phrase.a(size(rnd), maybeColor(rnd), shape(rnd)));
                        ph.add(Phrase.a(rnd.nextBoolean() ? size(rnd) : null, maybeColor(rnd), shape(rnd)));
                        java.util.Collections.shuffle(ph, rnd);
                        rel.add(new RelationClause(0, relation(rnd), 1));
                    }
                }
            }
            case COMPLEX -> complex(ph, rel, rnd);
        }
        return new PromptSpec(ph, rel);
    }

    /** Three or four objects mixed (sometimes "one ..." or a sized pair that makes it complex). */
    private static void complex(List<Phrase> ph, List<RelationClause> rel, Random rnd) {
        int total = rnd.nextInt(5) == 0 ? 1 + rnd.nextInt(2) : 3 + rnd.nextInt(2);
        int left = total;
        boolean relation = rnd.nextInt(5) < 3 && total >= 2;
        if (relation) {
            ph.add(new Phrase(rnd.nextInt(4) == 0 ? 1 : 0, maybeSize(rnd), maybeColor(rnd), shape(rnd)));
            ph.add(new Phrase(rnd.nextInt(4) == 0 ? 1 : 0, maybeSize(rnd), maybeColor(rnd), shape(rnd)));
            rel.add(new RelationClause(0, relation(rnd), 1));
            left -= 2;
        }
        while (left > 0) {
            int k;
            if (left >= 2 && rnd.nextInt(3) == 0) {
                k = 2 + rnd.nextInt(Math.min(3, left - 1));
            } else {
                k = rnd.nextInt(4) == 0 ? 1 : 0;
            }
            ph.add(new Phrase(k, maybeSize(rnd), maybeColor(rnd), shape(rnd)));
            left -= Math.max(1, k);
        }
        if (rel.isEmpty()) {
            java.util.Collections.shuffle(ph, rnd);
        } else if (ph.size() > 2 && rnd.nextBoolean()) {
            // put the relation clause last
            List<Phrase> tail = new ArrayList<>(ph.subList(2, ph.size()));
            tail.add(ph.get(0));
            tail.add(ph.get(1));
            ph.clear();
            ph.addAll(tail);
            rel.set(0, new RelationClause(ph.size() - 2, rel.get(0).relation(), ph.size() - 1));
        }
    }

    private static Shape shape(Random rnd) {
        return Shape.values()[rnd.nextInt(Shape.values().length)];
    }

    private static Shape other(Shape s, Random rnd) {
        return Shape.values()[(s.ordinal() + 1 + rnd.nextInt(Shape.values().length - 1)) % Shape.values().length];
    }

    private static Color color(Random rnd) {
        return Color.values()[rnd.nextInt(Color.values().length)];
    }

    private static Color maybeColor(Random rnd) {
        return rnd.nextInt(3) > 0 ? color(rnd) : null;
    }

    private static Size size(Random rnd) {
        return rnd.nextBoolean() ? Size.SMALL : Size.LARGE;
    }

    private static Size maybeSize(Random rnd) {
        return rnd.nextInt(3) == 0 ? size(rnd) : null;
    }

    private static Relation relation(Random rnd) {
        return Relation.values()[rnd.nextInt(Relation.values().length)];
    }
}
