package io.irgstream.shapes.world;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The TorchScript source of the shapes-world prompt grammar ({@code prompt_grammar.py}: WORLD.md's six prompt forms),
 * shared by the think and reflect modules: both append {@link #source()} to their own source, so the prompt is parsed
 * by one parser. Methods: {@code parse_prompt(prompt) -> List[int]} (category -1 when the prompt is none of the six
 * forms) and {@code prompt_problem(prompt) -> str} ("" when the prompt is understood, else a human-readable reason).
 */
public final class PromptGrammar {
    private PromptGrammar() {
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
