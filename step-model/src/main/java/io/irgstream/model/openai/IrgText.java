package io.irgstream.model.openai;

import io.irgstream.model.Verdict;

/**
 * Reading the texts of IRG's format that travel over the OpenAI-compatible APIs: the final comprehensive prompt of
 * a reflection, and the request texts that the built-in templates write ({@code <prompt>\nPlan: <plan>}), which
 * {@code ./irg serve-models} reads back.
 */
public final class IrgText {
    /** The heading of the reflection section that refine paints from. */
    public static final String FINAL_PROMPT_HEADING = "Final Comprehensive Prompt for the Improved Image:";
    /** The line prefix of the plan in the request texts of the built-in templates. */
    public static final String PLAN_PREFIX = "Plan:";

    private IrgText() {
    }

    /**
     * The final comprehensive prompt of {@code reflection}: the lines after its heading (markdown marks around the
     * heading allowed) up to the verdict line, joined with {@code " ; "} as a thought's objects are; empty when the
     * reflection has no such section.
     */
    public static String finalPrompt(String reflection) {
        if (reflection == null) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        boolean taking = false;
        for (String line : reflection.split("\\R")) {
            String l = line.strip();
            String bare = l.replaceAll("^[*_#>\\s]+|[*_\\s]+$", "").toLowerCase(java.util.Locale.ROOT);
            if (bare.startsWith("final comprehensive prompt")) {
                taking = true;
                String rest = l.substring(l.indexOf(':') + 1).replaceAll("^[*_\\s]+", "").strip();
                if (l.indexOf(':') >= 0 && !rest.isEmpty()) {
                    out.append(rest);
                }
            } else if (Verdict.find(l).isPresent()) {
                taking = false;
            } else if (taking && !l.isEmpty()) {
                out.append(out.isEmpty() ? "" : " ; ").append(l);
            }
        }
        return out.toString();
    }

    /** A request text split into the prompt (before the last {@code Plan:} line) and the plan (after it). */
    public record PromptAndPlan(String prompt, String plan) {
    }

    /** Reads a request text of the built-in templates; the plan is empty when there is no {@code Plan:} line. */
    public static PromptAndPlan promptAndPlan(String text) {
        String t = text == null ? "" : text.strip();
        int at = t.lastIndexOf("\n" + PLAN_PREFIX);
        if (at < 0) {
            return t.startsWith(PLAN_PREFIX) ? new PromptAndPlan("", t.substring(PLAN_PREFIX.length()).strip())
                    : new PromptAndPlan(t, "");
        }
        return new PromptAndPlan(t.substring(0, at).strip(), t.substring(at + 1 + PLAN_PREFIX.length()).strip());
    }
}
