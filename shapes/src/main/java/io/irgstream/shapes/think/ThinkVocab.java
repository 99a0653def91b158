package io.irgstream.shapes.think;

import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.PromptGrammar;
import io.irgstream.shapes.world.Shape;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The word vocabulary of the think model: special tokens, prompt words, plan words and the numbers 0..63.
 * The same list is compiled into the TorchScript module ({@code vocab()}), so Java training and the module's own
 * tokenizer agree by construction.
 */
public final class ThinkVocab {
    /** Padding. */
    public static final int PAD = 0;
    /** Start of sequence. */
    public static final int BOS = 1;
    /** End of prompt, start of plan. */
    public static final int SEP = 2;
    /** End of plan. */
    public static final int EOS = 3;
    /** Unknown prompt word. */
    public static final int UNK = 4;
    /**
     * Longest prompt the model reads, in canonical words (a prompt of the language has at most 21); longer prompts
     * are cut.
     */
    public static final int MAX_PROMPT = 24;
    /** Longest plan in tokens: 4 objects of 9 tokens and 3 separators. */
    public static final int MAX_PLAN = 39;
    /** Longest sequence: BOS, prompt, SEP, plan, EOS. */
    public static final int MAX_LEN = 1 + MAX_PROMPT + 1 + MAX_PLAN + 1;

    private static final List<String> WORDS;
    private static final Map<String, Integer> IDS;

    static {
        List<String> w = new ArrayList<>(List.of("<pad>", "<bos>", "<sep>", "<eos>", "<unk>",
                "a", "photo", "of", "and", "left", "right", "above", "below", "two", "three", "four",
                "one", "small", "large"));
        for (Shape s : Shape.values()) {
            w.add(s.word());
            w.add(s.plural());
        }
        for (Color c : Color.values()) {
            w.add(c.word());
        }
        w.addAll(List.of("at", "x", "y", "size", ";"));
        for (int i = 0; i < 64; i++) {
            w.add(Integer.toString(i));
        }
        WORDS = Collections.unmodifiableList(w);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < w.size(); i++) {
            ids.put(w.get(i), i);
        }
        IDS = Collections.unmodifiableMap(ids);
    }

    private ThinkVocab() {
    }

    /** All words, by id. */
    public static List<String> words() {
        return WORDS;
    }

    /** Vocabulary size. */
    public static int size() {
        return WORDS.size();
    }

    /** Id of a word. */
    public static int id(String word) {
        Integer i = IDS.get(word);
        if (i == null) {
            throw new IllegalArgumentException("word '" + word + "' is not in the think vocabulary");
        }
        return i;
    }

    /** Id of the number token {@code n} (0..63). */
    public static int number(int n) {
        return id(Integer.toString(n));
    }

    /**
     * Prompt words as the module reads them: the prompt's canonical words ({@link PromptGrammar#canonicalWords}:
     * lower case, lead words dropped, "an", "big", commas and "to the left of" normalised), unknown words as UNK.
     */
    public static List<Integer> encodePrompt(String prompt) {
        List<Integer> out = new ArrayList<>();
        for (String word : PromptGrammar.canonicalWords(prompt)) {
            if (out.size() < MAX_PROMPT) {
                out.add(IDS.getOrDefault(word, UNK));
            }
        }
        return out;
    }

    /** Plan tokens of a thought text (space separated). */
    public static List<Integer> encodePlan(String thought) {
        List<Integer> out = new ArrayList<>();
        for (String word : thought.trim().split(" ")) {
            if (!word.isEmpty()) {
                out.add(id(word));
            }
        }
        return out;
    }
}
