package io.irgstream.model.openai;

import io.irgstream.model.Step;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text a step sends: the instruction of think and reflect (the system message) and the prompt of draw and
 * refine. Built in as {@code <step>.txt} next to this class; a file of the same name in {@code model.templates.dir}
 * replaces it. Placeholders: {@code {prompt}} (the user's prompt), {@code {thought}} (think's plan; not in think),
 * {@code {final_prompt}} (refine only: the reflection's final comprehensive prompt).
 */
public final class Templates {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z_]+)}");
    private static final Map<Step, Set<String>> ALLOWED = Map.of(
            Step.THINK, Set.of("prompt"),
            Step.DRAW, Set.of("prompt", "thought"),
            Step.REFLECT, Set.of("prompt", "thought"),
            Step.REFINE, Set.of("prompt", "thought", "final_prompt"));

    private final Step step;
    private final String text;
    private final String source;

    private Templates(Step step, String text, String source) {
        this.step = step;
        this.text = text.strip();
        this.source = source;
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            if (!ALLOWED.get(step).contains(m.group(1))) {
                throw new IllegalArgumentException("template " + source + " uses {" + m.group(1) + "}; a " + step.id()
                        + " template may use " + ALLOWED.get(step).stream().sorted().map(p -> "{" + p + "}").toList());
            }
        }
    }

    /** The template of {@code step}: {@code dir/<step>.txt} when {@code dir} has it, else the built-in one. */
    public static Templates load(Step step, Path dir) {
        String name = step.id() + ".txt";
        if (dir != null) {
            Path f = dir.resolve(name);
            if (!Files.isDirectory(dir)) {
                throw new IllegalArgumentException(OpenAiSettings.TEMPLATES_DIR + " " + dir + " is not a folder");
            }
            if (Files.isRegularFile(f)) {
                try {
                    return new Templates(step, Files.readString(f, StandardCharsets.UTF_8), f.toString());
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read template " + f + ": " + e.getMessage(), e);
                }
            }
        }
        return builtIn(step);
    }

    /** The template shipped with irg-stream. */
    public static Templates builtIn(Step step) {
        String name = step.id() + ".txt";
        try (InputStream in = Templates.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("built-in template " + name + " is missing from the classpath");
            }
            return new Templates(step, new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in " + name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in template " + name, e);
        }
    }

    /** The template with its placeholders filled in; a null value becomes the empty string. */
    public String render(String prompt, String thought, String finalPrompt) {
        Map<String, String> values = new java.util.HashMap<>();
        values.put("prompt", prompt == null ? "" : prompt);
        values.put("thought", thought == null ? "" : thought);
        values.put("final_prompt", finalPrompt == null ? "" : finalPrompt);
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Where the template came from (a file or the built-in resource). */
    public String source() {
        return source;
    }

    public Step step() {
        return step;
    }
}
