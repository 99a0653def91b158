package io.irgstream.app.cli;

import io.irgstream.shapes.eval.ShapesEval;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code irg eval}: the GenEval-style evaluation of the shapes-world models, in-process (no Kafka). */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Run the four steps in-process over a held-out prompt set, score drafts and finals with the "
                + "pixels-only evaluator, print the table and write eval.json and a contact sheet (docs/models.md).",
                "Options: [--models DIR] [--prompts FILE] [--per-category N (default 50)] [--out DIR (default "
                        + "irg-out/eval)] [--seed N] [--steps N] [--temperature T] [--sweep | --bench | --wrong-plans]"
                        + " [--record-manifest]",
                "--sweep compares draft budgets; --bench prints per-step speed at batch 1 and 16; --wrong-plans injects"
                        + " one mistake that breaks the prompt into every plan, to measure what reflect and refine do"
                        + " with drafts that go wrong."})
public final class EvalCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        List<String> a = new ArrayList<>(args);
        if (!a.contains("--models")) {
            String models = System.getenv("IRG_MODELS");
            if (models != null) {
                a.add("--models");
                a.add(models);
            }
        }
        ShapesEval.main(a.toArray(String[]::new));
        return 0;
    }
}
