package io.irgstream.shapes.prompts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Prompt sets for evaluation: the default held-out set (fixed seed, the same on every machine) and prompt files
 * (one prompt per line, {@code #} comments and blank lines ignored).
 */
public final class PromptSet {
    /** Seed of the default held-out set; training never draws prompts from this stream. */
    public static final long HELD_OUT_SEED = 0x5EEDE7A1L;
    /** Default prompts per category. */
    public static final int DEFAULT_PER_CATEGORY = 50;

    private PromptSet() {
    }

    /** The default held-out set: {@code perCategory} prompts of each category, categories in enum order. */
    public static List<PromptSpec> heldOut(int perCategory) {
        return generate(perCategory, HELD_OUT_SEED);
    }

    /** {@code perCategory} prompts of each category from {@code seed}. */
    public static List<PromptSpec> generate(int perCategory, long seed) {
        if (perCategory < 1) {
            throw new IllegalArgumentException("prompts per category must be >= 1, got " + perCategory);
        }
        List<PromptSpec> out = new ArrayList<>();
        for (Category c : Category.values()) {
            Random rnd = new Random(seed * 31 + c.ordinal());
            for (int i = 0; i < perCategory; i++) {
                out.add(PromptSpec.sample(c, rnd));
            }
        }
        return out;
    }

    /** Reads a prompt file; fails naming the line of a prompt outside the grammar. */
    public static List<PromptSpec> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompt file " + file, e);
        }
        List<PromptSpec> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                out.add(PromptSpec.parse(line));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("prompt file " + file + " has no prompts");
        }
        return out;
    }

    /** Writes prompts one per line. */
    public static void write(Path file, List<PromptSpec> prompts) {
        List<String> lines = new ArrayList<>();
        prompts.forEach(p -> lines.add(p.text()));
        try {
            Files.write(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write prompt file " + file, e);
        }
    }
}
