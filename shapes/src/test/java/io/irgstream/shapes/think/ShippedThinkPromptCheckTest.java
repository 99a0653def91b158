package io.irgstream.shapes.think;

import io.irgstream.model.Step;
import io.irgstream.model.torch.StepModels;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.shapes.prompts.Category;
import io.irgstream.shapes.prompts.PromptSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped think module's {@code check_prompts} (models/shapes/think.pt, the real module): every example prompt that
 * the README, the docs and the web page show is understood, so is every sampled prompt of the ten categories as users
 * type it, and a prompt outside the language gets a reason that names the problem.
 */
class ShippedThinkPromptCheckTest {
    private static final String OUTSIDE = "prompt outside the shapes-world language (docs/shapes-world.md): ";
    private static final Path ROOT = Path.of("..");
    private static TorchScriptStepModel think;

    @BeforeAll
    static void load() {
        Path p = ROOT.resolve("models/shapes/think.pt");
        Assumptions.assumeTrue(Files.exists(p), "no shipped " + p);
        think = (TorchScriptStepModel) StepModels.load(Step.THINK, p);
    }

    @AfterAll
    static void close() {
        if (think != null) {
            think.close();
        }
    }

    private static final Pattern COMMAND = Pattern.compile("\\./irg (?:generate|submit)\\b[^\"\\n]*?\"([^\"]+)\"");
    private static final Pattern JSON_PROMPT = Pattern.compile("\"prompt\"\\s*:\\s*\"([^\"]+)\"");
    private static final Pattern PLACEHOLDER = Pattern.compile("id=\"prompt\"[^>]*placeholder=\"([^\"]+)\"");
    private static final Pattern TABLE_EXAMPLE = Pattern.compile("^\\|[^|]+\\|[^|]+\\| ([^|]+?) \\|\\s*$");

    /**
     * Every example prompt the project shows: {@code ./irg generate|submit "..."} commands and JSON {@code "prompt"}
     * fields in README.md and docs/*.md, the web page's placeholder, and the example column of the category table in
     * docs/shapes-world.md.
     */
    static Map<String, String> examplePrompts() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<Path> docs = new ArrayList<>();
        docs.add(ROOT.resolve("README.md"));
        try (Stream<Path> s = Files.list(ROOT.resolve("docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        for (Path doc : docs) {
            String text = Files.readString(doc);
            for (Pattern pat : List.of(COMMAND, JSON_PROMPT)) {
                Matcher m = pat.matcher(text);
                while (m.find()) {
                    out.putIfAbsent(m.group(1), doc.getFileName().toString());
                }
            }
        }
        List<String> world = Files.readAllLines(ROOT.resolve("docs/shapes-world.md"));
        boolean inTable = false;
        for (String line : world) {
            if (line.startsWith("| category |")) {
                inTable = true;
                continue;
            }
            if (inTable && !line.startsWith("|")) {
                inTable = false;
            }
            Matcher m = TABLE_EXAMPLE.matcher(line);
            if (inTable && !line.startsWith("|---") && m.matches()) {
                out.putIfAbsent(m.group(1), "shapes-world.md category table");
            }
        }
        Path page = ROOT.resolve("topology/src/main/resources/io/irgstream/topology/web/index.html");
        Matcher m = PLACEHOLDER.matcher(Files.readString(page));
        assertThat(m.find()).as("the web page has a prompt placeholder").isTrue();
        out.putIfAbsent(m.group(1), "web page placeholder");
        return out;
    }

    @Test
    void shouldUnderstandEveryExamplePromptOfTheReadmeTheDocsAndTheWebPage() throws IOException {
        Map<String, String> examples = examplePrompts();
        assertThat(examples).as("example prompts found").hasSizeGreaterThanOrEqualTo(12);
        List<String> prompts = new ArrayList<>(examples.keySet());
        List<String> reasons = think.rejections(prompts);
        Map<String, String> rejected = new LinkedHashMap<>();
        Set<Category> categories = new LinkedHashSet<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (!reasons.get(i).isEmpty()) {
                rejected.put(prompts.get(i) + " (" + examples.get(prompts.get(i)) + ")", reasons.get(i));
            } else {
                categories.add(PromptSpec.parse(prompts.get(i)).category());
            }
        }
        assertThat(rejected).as("example prompts that the shipped think module rejects").isEmpty();
        assertThat(categories).as("the examples cover every category").hasSize(Category.values().length);
    }

    @Test
    void shouldUnderstandSampledPromptsOfEveryCategoryAsUsersTypeThem() {
        Random rnd = new Random(2);
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            prompts.add(PromptSpec.sample(Category.values()[i % 10], rnd).surface(rnd));
        }
        List<String> reasons = think.rejections(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(reasons.get(i)).as(prompts.get(i)).isEmpty();
        }
    }

    @Test
    void shouldGiveAReasonNamingTheProblemForAPromptOutsideTheLanguage() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("a photo of a dog", "unknown word \"dog\": the shapes are circle, square, triangle, diamond, cross;");
        cases.put("two circles, two squares and a triangle", "the prompt names 5 objects; at most 4 are allowed");
        cases.put("a circle left of two squares", "a relation compares single objects");
        cases.put("a red large circle", "the size goes before the color");
        cases.put("two circles and a red circle", "contradictory prompt");
        List<String> prompts = new ArrayList<>(cases.keySet());
        List<String> reasons = think.rejections(prompts);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(reasons.get(i)).as(prompts.get(i)).startsWith(OUTSIDE + "\"" + prompts.get(i) + "\": ")
                    .contains(cases.get(prompts.get(i))).contains("e.g. \"");
        }
        assertThat(think.checksPrompts()).isTrue();
        assertThat(think.rejections(List.of())).isEmpty();
    }
}
