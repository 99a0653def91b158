package io.irgstream.shapes.prompts;

import io.irgstream.shapes.eval.DetectedObject;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Shape;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

/**
 * A parsed GenEval-style prompt: its category and what it requires (WORLD.md). Fields a category does not use are
 * null (or 0 for {@code count}).
 *
 * @param category the category
 * @param shape1   the first (or only) shape
 * @param color1   the first color (colors, color_attr)
 * @param shape2   the second shape (two_object, position, color_attr)
 * @param color2   the second color (color_attr)
 * @param count    2..4 for counting, else 0
 * @param relation the relation of shape1 to shape2 (position)
 */
public record PromptSpec(Category category, Shape shape1, Color color1, Shape shape2, Color color2, int count,
                         Relation relation) {
    private static final String[] NUMBERS = {"", "one", "two", "three", "four"};
    private static final String GRAMMAR = "expected one of: 'a photo of a {shape}', 'a photo of a {shape} and a"
            + " {shape}', 'a photo of {two|three|four} {shapes}', 'a photo of a {color} {shape}', 'a photo of a"
            + " {shape} {left of|right of|above|below} a {shape}', 'a photo of a {color} {shape} and a {color}"
            + " {shape}'";

    public PromptSpec {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(shape1, "shape1");
        boolean ok = switch (category) {
            case SINGLE_OBJECT -> color1 == null && shape2 == null && color2 == null && count == 0 && relation == null;
            case TWO_OBJECT -> color1 == null && shape2 != null && shape2 != shape1 && color2 == null && count == 0
                    && relation == null;
            case COUNTING -> color1 == null && shape2 == null && color2 == null && count >= 2 && count <= 4
                    && relation == null;
            case COLORS -> color1 != null && shape2 == null && color2 == null && count == 0 && relation == null;
            case POSITION -> color1 == null && shape2 != null && color2 == null && count == 0 && relation != null;
            case COLOR_ATTR -> color1 != null && shape2 != null && color2 != null && count == 0 && relation == null
                    && !(shape1 == shape2 && color1 == color2);
        };
        if (!ok) {
            throw new IllegalArgumentException("inconsistent " + category.id() + " prompt: " + shape1 + ", " + color1
                    + ", " + shape2 + ", " + color2 + ", count " + count + ", " + relation);
        }
    }

    /** {@code a photo of a {shape}}. */
    public static PromptSpec single(Shape s) {
        return new PromptSpec(Category.SINGLE_OBJECT, s, null, null, null, 0, null);
    }

    /** {@code a photo of a {a} and a {b}}. */
    public static PromptSpec two(Shape a, Shape b) {
        return new PromptSpec(Category.TWO_OBJECT, a, null, b, null, 0, null);
    }

    /** {@code a photo of {n} {shape}s}. */
    public static PromptSpec counting(int n, Shape s) {
        return new PromptSpec(Category.COUNTING, s, null, null, null, n, null);
    }

    /** {@code a photo of a {c} {s}}. */
    public static PromptSpec colors(Color c, Shape s) {
        return new PromptSpec(Category.COLORS, s, c, null, null, 0, null);
    }

    /** {@code a photo of a {a} {rel} a {b}}. */
    public static PromptSpec position(Shape a, Relation rel, Shape b) {
        return new PromptSpec(Category.POSITION, a, null, b, null, 0, rel);
    }

    /** {@code a photo of a {c1} {s1} and a {c2} {s2}}. */
    public static PromptSpec colorAttr(Color c1, Shape s1, Color c2, Shape s2) {
        return new PromptSpec(Category.COLOR_ATTR, s1, c1, s2, c2, 0, null);
    }

    /** The prompt text, in the canonical form {@link #parse} reads. */
    public String text() {
        return switch (category) {
            case SINGLE_OBJECT -> "a photo of a " + shape1.word();
            case TWO_OBJECT -> "a photo of a " + shape1.word() + " and a " + shape2.word();
            case COUNTING -> "a photo of " + NUMBERS[count] + " " + shape1.plural();
            case COLORS -> "a photo of a " + color1.word() + " " + shape1.word();
            case POSITION -> "a photo of a " + shape1.word() + " " + relation.words() + " a " + shape2.word();
            case COLOR_ATTR -> "a photo of a " + color1.word() + " " + shape1.word() + " and a " + color2.word() + " "
                    + shape2.word();
        };
    }

    @Override
    public String toString() {
        return text();
    }

    /**
     * Parses a prompt (case-insensitive; extra spaces, {@code an} for {@code a} and a final period allowed).
     *
     * @throws IllegalArgumentException quoting the prompt and the grammar when it is outside the grammar
     */
    public static PromptSpec parse(String prompt) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is null; " + GRAMMAR);
        }
        String norm = prompt.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        if (norm.endsWith(".")) {
            norm = norm.substring(0, norm.length() - 1).trim();
        }
        String[] w = norm.split(" ");
        for (int i = 0; i < w.length; i++) {
            if (w[i].equals("an")) {
                w[i] = "a";
            }
        }
        try {
            PromptSpec spec = parseWords(w);
            if (spec != null) {
                return spec;
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prompt '" + prompt + "' is outside the shapes-world grammar ("
                    + e.getMessage() + "); " + GRAMMAR, e);
        }
        throw new IllegalArgumentException("prompt '" + prompt + "' is outside the shapes-world grammar; " + GRAMMAR);
    }

    private static PromptSpec parseWords(String[] w) {
        if (w.length < 4 || !w[0].equals("a") || !w[1].equals("photo") || !w[2].equals("of")) {
            return null;
        }
        int n = w.length;
        if (!w[3].equals("a")) {
            if (n == 5) {
                for (int k = 2; k <= 4; k++) {
                    if (w[3].equals(NUMBERS[k])) {
                        Shape s = Shape.parse(w[4]);
                        if (!w[4].equals(s.plural())) {
                            throw new IllegalArgumentException("counting needs the plural '" + s.plural() + "'");
                        }
                        return counting(k, s);
                    }
                }
            }
            return null;
        }
        switch (n) {
            case 5:
                return single(singular(w[4]));
            case 6:
                return colors(Color.parse(w[4]), singular(w[5]));
            case 8:
                if (w[5].equals("and") && w[6].equals("a")) {
                    Shape a = singular(w[4]);
                    Shape b = singular(w[7]);
                    if (a == b) {
                        throw new IllegalArgumentException("two_object needs two different shapes");
                    }
                    return two(a, b);
                }
                if (w[6].equals("a") && (w[5].equals("above") || w[5].equals("below"))) {
                    return position(singular(w[4]), Relation.parse(w[5]), singular(w[7]));
                }
                return null;
            case 9:
                if (w[6].equals("of") && w[7].equals("a")) {
                    return position(singular(w[4]), Relation.parse(w[5] + " " + w[6]), singular(w[8]));
                }
                return null;
            case 10:
                if (w[6].equals("and") && w[7].equals("a")) {
                    Color c1 = Color.parse(w[4]);
                    Shape s1 = singular(w[5]);
                    Color c2 = Color.parse(w[8]);
                    Shape s2 = singular(w[9]);
                    if (c1 == c2 && s1 == s2) {
                        throw new IllegalArgumentException("color_attr needs two different objects");
                    }
                    return colorAttr(c1, s1, c2, s2);
                }
                return null;
            default:
                return null;
        }
    }

    private static Shape singular(String word) {
        Shape s = Shape.parse(word);
        if (!word.equals(s.word())) {
            throw new IllegalArgumentException("expected the singular '" + s.word() + "', got '" + word + "'");
        }
        return s;
    }

    /** A random prompt of the category; all randomness from {@code rnd}. */
    public static PromptSpec sample(Category c, Random rnd) {
        Shape[] shapes = Shape.values();
        Color[] colors = Color.values();
        Shape a = shapes[rnd.nextInt(shapes.length)];
        return switch (c) {
            case SINGLE_OBJECT -> single(a);
            case TWO_OBJECT -> {
                Shape b = shapes[(a.ordinal() + 1 + rnd.nextInt(shapes.length - 1)) % shapes.length];
                yield two(a, b);
            }
            case COUNTING -> counting(2 + rnd.nextInt(3), a);
            case COLORS -> colors(colors[rnd.nextInt(colors.length)], a);
            case POSITION -> position(a, Relation.values()[rnd.nextInt(4)], shapes[rnd.nextInt(shapes.length)]);
            case COLOR_ATTR -> {
                Color c1 = colors[rnd.nextInt(colors.length)];
                Shape b;
                Color c2;
                do {
                    b = shapes[rnd.nextInt(shapes.length)];
                    c2 = colors[rnd.nextInt(colors.length)];
                } while (b == a && c2 == c1);
                yield colorAttr(c1, a, c2, b);
            }
        };
    }

    /** A random prompt of a uniformly random category. */
    public static PromptSpec sample(Random rnd) {
        return sample(Category.values()[rnd.nextInt(Category.values().length)], rnd);
    }

    /**
     * Whether an image with these detected objects passes the prompt (WORLD.md): unnamed objects are allowed except
     * in counting, where exactly N objects of the named shape (any color) must be present; relations compare centers
     * with a 3 px margin; two named objects must be two different detected objects.
     */
    public boolean passes(List<DetectedObject> objects) {
        return switch (category) {
            case SINGLE_OBJECT -> objects.stream().anyMatch(o -> o.is(shape1));
            case COLORS -> objects.stream().anyMatch(o -> o.is(shape1, color1));
            case COUNTING -> objects.stream().filter(o -> o.is(shape1)).count() == count;
            case TWO_OBJECT -> pair(objects, (a, b) -> a.is(shape1) && b.is(shape2));
            case COLOR_ATTR -> pair(objects, (a, b) -> a.is(shape1, color1) && b.is(shape2, color2));
            case POSITION -> pair(objects, (a, b) -> a.is(shape1) && b.is(shape2)
                    && relation.holds(a.cx(), a.cy(), b.cx(), b.cy()));
        };
    }

    private static boolean pair(List<DetectedObject> objects,
                                java.util.function.BiPredicate<DetectedObject, DetectedObject> p) {
        for (int i = 0; i < objects.size(); i++) {
            for (int j = 0; j < objects.size(); j++) {
                if (i != j && p.test(objects.get(i), objects.get(j))) {
                    return true;
                }
            }
        }
        return false;
    }
}
