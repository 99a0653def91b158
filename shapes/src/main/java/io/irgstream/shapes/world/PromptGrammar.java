package io.irgstream.shapes.world;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The TorchScript source of the shapes-world prompt grammar ({@code prompt_grammar.py}: the prompt language v2 of docs/shapes-world.md),
 * shared by the think and reflect modules: both append {@link #source()} to their own source, so the prompt is parsed
 * by one parser. Methods: {@code parse_prompt(prompt)} (phrases, relations and a problem, "" when the prompt parses),
 * {@code prompt_problem(prompt)} ("" or the reason), {@code prompt_rejection(prompt)} (the reason with the prompt
 * quoted), {@code canonical_words(prompt)}, {@code parse_thought(thought)} and
 * {@code satisfies(phrases, relations, objects, plan)}: whether objects ([shape, color, cx, cy, side] rows) satisfy
 * the prompt, with plan slack or as pixels are judged.
 */
public final class PromptGrammar {
    private PromptGrammar() {
    }

    /**
     * The prompt's canonical words, as the TorchScript {@code canonical_words} computes them: lower case, final
     * periods dropped, "an" as "a", "big" as "large", lead words ("a photo of", ...) dropped, "to the left of" as
     * "left of", ", and" and "," as "and".
     */
    public static java.util.List<String> canonicalWords(String prompt) {
        return io.irgstream.shapes.prompts.PromptSpec.canonicalWords(prompt);
    }

    /** The TorchScript source of the grammar methods. */
    public static String source() {
        try (InputStream in = PromptGrammar.class.getResourceAsStream("prompt_grammar.py")) {
            if (in == null) {
                throw new IllegalStateException("resource prompt_grammar.py is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
