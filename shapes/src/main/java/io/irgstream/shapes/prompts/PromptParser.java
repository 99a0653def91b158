package io.irgstream.shapes.prompts;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Relation;
import io.irgstream.shapes.world.Shape;
import io.irgstream.shapes.world.Size;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The parser of the prompt language v2 (docs/shapes-world.md). It mirrors {@code prompt_grammar.py}, the TorchScript
 * parser inside the think and reflect modules, rule for rule and message for message; {@code PromptGrammarParityTest}
 * holds the two together.
 */
final class PromptParser {
    static final String EXAMPLE = "\"a large red circle left of a small blue square and two yellow crosses\"";
    private static final List<String> LEADS = List.of("photo", "picture", "image", "drawing");
    private static final List<String> RELATIONS = List.of("left", "right", "above", "below");

    private PromptParser() {
    }

    /** Lower case, lead words dropped, "an" as "a", "big" as "large", commas as "and", "to the left of" as "left of". */
    static List<String> canonicalWords(String prompt) {
        String p = prompt.strip().toLowerCase(Locale.ROOT);
        while (p.endsWith(".")) {
            p = p.substring(0, p.length() - 1).strip();
        }
        List<String> raw = new ArrayList<>();
        for (String t : p.replace(",", " , ").split("\\s+")) {
            if (!t.isEmpty()) {
                raw.add(t.equals("an") ? "a" : t.equals("big") ? "large" : t);
            }
        }
        int start = 0;
        if (raw.size() >= 3 && raw.get(0).equals("a") && LEADS.contains(raw.get(1)) && raw.get(2).equals("of")) {
            start = 3;
        }
        List<String> w = new ArrayList<>();
        for (int i = start; i < raw.size(); i++) {
            String t = raw.get(i);
            if (t.equals("to") && i + 3 < raw.size() && raw.get(i + 1).equals("the")
                    && (raw.get(i + 2).equals("left") || raw.get(i + 2).equals("right")) && raw.get(i + 3).equals("of")) {
                continue;
            }
            if (t.equals("the") && i > start && raw.get(i - 1).equals("to") && i + 2 < raw.size()
                    && (raw.get(i + 1).equals("left") || raw.get(i + 1).equals("right")) && raw.get(i + 2).equals("of")) {
                continue;
            }
            if (t.equals(",")) {
                if (i + 1 < raw.size() && raw.get(i + 1).equals("and")) {
                    continue;
                }
                t = "and";
            }
            w.add(t);
        }
        return w;
    }

    static PromptSpec parse(String prompt) {
        if (prompt == null || prompt.isBlank()) {
            throw new PromptException("the prompt is empty; e.g. " + EXAMPLE);
        }
        List<String> w = canonicalWords(prompt);
        if (w.isEmpty()) {
            throw new PromptException("the prompt names no object; e.g. " + EXAMPLE);
        }
        for (String t : w) {
            int n = List.of("five", "six", "seven", "eight", "nine", "ten", "many", "several").indexOf(t);
            if (n >= 0 || t.matches("[0-9]+")) {
                throw new PromptException("\"" + t + "\" is more than the prompt language counts: a prompt names at most"
                        + " four objects, counted with \"one\" to \"four\", e.g. \"four blue squares\"");
            }
        }
        List<String> unknown = new ArrayList<>();
        for (String t : w) {
            if (!known(t) && !unknown.contains(t)) {
                unknown.add(t);
            }
        }
        if (!unknown.isEmpty()) {
            StringBuilder q = new StringBuilder();
            for (int i = 0; i < Math.min(5, unknown.size()); i++) {
                q.append(i == 0 ? "" : ", ").append('"').append(unknown.get(i)).append('"');
            }
            throw new PromptException("unknown word" + (unknown.size() > 1 ? "s " : " ") + q
                    + ": the shapes are circle, square, triangle, diamond, cross; the colors are red, orange, yellow,"
                    + " green, blue, purple, pink, white; the sizes are small, large; e.g. " + EXAMPLE);
        }
        List<Phrase> phrases = new ArrayList<>();
        List<RelationClause> relations = new ArrayList<>();
        int pos = 0;
        while (true) {
            if (pos >= w.size() || w.get(pos).equals("and")) {
                throw new PromptException("an \"and\" or a comma has no object after it; e.g. " + EXAMPLE);
            }
            pos = phrase(w, pos, phrases);
            if (pos < w.size() && RELATIONS.contains(w.get(pos))) {
                Relation r = relation(w, pos);
                pos += r == Relation.ABOVE || r == Relation.BELOW ? 1 : 2;
                if (pos >= w.size() || w.get(pos).equals("and")) {
                    throw new PromptException("\"" + r.words() + "\" needs an object after it; e.g. \"a circle "
                            + r.words() + " a square\"");
                }
                pos = phrase(w, pos, phrases);
                relations.add(new RelationClause(phrases.size() - 2, r, phrases.size() - 1));
                if (pos < w.size() && RELATIONS.contains(w.get(pos))) {
                    throw new PromptException("chained relations are outside the language; write one relation per"
                            + " clause, e.g. \"a circle left of a square and a triangle\"");
                }
            }
            if (pos >= w.size()) {
                break;
            }
            if (!w.get(pos).equals("and")) {
                throw new PromptException("expected \"and\", a comma or a relation after \""
                        + phrases.get(phrases.size() - 1).text() + "\", got \"" + w.get(pos) + "\"; e.g. " + EXAMPLE);
            }
            pos++;
        }
        return new PromptSpec(phrases, relations);
    }

    private static Relation relation(List<String> w, int pos) {
        String t = w.get(pos);
        if (t.equals("above")) {
            return Relation.ABOVE;
        }
        if (t.equals("below")) {
            return Relation.BELOW;
        }
        if (pos + 1 >= w.size() || !w.get(pos + 1).equals("of")) {
            throw new PromptException("write \"" + t + " of\" (or \"to the " + t + " of\"), e.g. \"a circle " + t
                    + " of a square\"");
        }
        return t.equals("left") ? Relation.LEFT_OF : Relation.RIGHT_OF;
    }

    private static int phrase(List<String> w, int pos, List<Phrase> out) {
        int count = List.of("a", "one", "two", "three", "four").indexOf(w.get(pos));
        if (count < 0) {
            throw new PromptException("each object starts with \"a\", \"one\", \"two\", \"three\" or \"four\", got \""
                    + w.get(pos) + "\"; e.g. \"a red circle\" or \"two blue squares\"");
        }
        pos++;
        Size size = null;
        Color color = null;
        if (pos < w.size() && sizeOf(w.get(pos)) != null) {
            size = sizeOf(w.get(pos));
            pos++;
        }
        if (pos < w.size() && colorOf(w.get(pos)) != null) {
            color = colorOf(w.get(pos));
            pos++;
        }
        if (pos < w.size() && sizeOf(w.get(pos)) != null) {
            throw new PromptException("the size goes before the color: \"" + (count == 0 ? "a" : w.get(pos - 2))
                    + " " + w.get(pos) + " " + w.get(pos - 1) + " ...\", e.g. \"a large red circle\"");
        }
        if (pos >= w.size() || shapeOf(w.get(pos)) == null) {
            String got = pos >= w.size() ? "the end of the prompt" : "\"" + w.get(pos) + "\"";
            throw new PromptException("expected a shape (circle, square, triangle, diamond, cross) in an object, got "
                    + got + "; e.g. \"a small red circle\"");
        }
        String noun = w.get(pos);
        Shape shape = shapeOf(noun);
        boolean plural = noun.equals(shape.plural());
        if (count >= 2 && !plural) {
            throw new PromptException("\"" + Phrase.NUMBERS[count] + "\" needs the plural: \"" + Phrase.NUMBERS[count]
                    + " " + shape.plural() + "\"");
        }
        if (count <= 1 && plural) {
            throw new PromptException("\"" + Phrase.NUMBERS[count] + "\" needs the singular: \"" + Phrase.NUMBERS[count]
                    + " " + shape.word() + "\"; for several write a number, e.g. \"two " + shape.plural() + "\"");
        }
        out.add(new Phrase(count, size, color, shape));
        return pos + 1;
    }

    private static boolean known(String t) {
        return List.of("a", "one", "two", "three", "four", "and", "left", "right", "of", "above", "below").contains(t)
                || sizeOf(t) != null || colorOf(t) != null || shapeOf(t) != null;
    }

    private static Size sizeOf(String t) {
        return t.equals("small") ? Size.SMALL : t.equals("large") ? Size.LARGE : null;
    }

    private static Color colorOf(String t) {
        for (Color c : Color.values()) {
            if (c.word().equals(t)) {
                return c;
            }
        }
        return null;
    }

    private static Shape shapeOf(String t) {
        for (Shape s : Shape.values()) {
            if (s.word().equals(t) || s.plural().equals(t)) {
                return s;
            }
        }
        return null;
    }
}
