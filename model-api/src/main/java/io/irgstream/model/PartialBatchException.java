package io.irgstream.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Some requests of a batch failed and the others succeeded. An engine that runs a batch as independent calls (a
 * remote server) throws it so the worker keeps the results that succeeded, routes each failure on its own type, and
 * neither re-runs the successes nor retries the batch one request at a time.
 */
public final class PartialBatchException extends RuntimeException {
    private final List<StepResult> results;
    private final List<RuntimeException> failures;

    /**
     * @param results  one entry per request, in request order: its result, or null where it failed
     * @param failures one entry per request: its failure, or null where it succeeded
     */
    public PartialBatchException(List<StepResult> results, List<RuntimeException> failures) {
        super(summary(failures), firstFailure(failures));
        if (results.size() != failures.size()) {
            throw new IllegalArgumentException("results (" + results.size() + ") and failures (" + failures.size()
                    + ") must have one entry per request");
        }
        for (int i = 0; i < results.size(); i++) {
            if ((results.get(i) == null) == (failures.get(i) == null)) {
                throw new IllegalArgumentException("request " + i + " must have either a result or a failure");
            }
        }
        this.results = Collections.unmodifiableList(new ArrayList<>(results));
        this.failures = Collections.unmodifiableList(new ArrayList<>(failures));
    }

    /** One entry per request: its result, or null where it failed. */
    public List<StepResult> results() {
        return results;
    }

    /** One entry per request: its failure, or null where it succeeded. */
    public List<RuntimeException> failures() {
        return failures;
    }

    private static String summary(List<RuntimeException> failures) {
        long n = failures.stream().filter(java.util.Objects::nonNull).count();
        RuntimeException first = firstFailure(failures);
        return n + " of " + failures.size() + " requests failed" + (first == null ? "" : "; first: " + first.getMessage());
    }

    private static RuntimeException firstFailure(List<RuntimeException> failures) {
        return failures.stream().filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }
}
