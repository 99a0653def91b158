package io.irgstream.model;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** Finds the engine for a {@code model.backend} value among the {@link StepModelProvider}s on the class path. */
public final class StepModelProviders {
    private StepModelProviders() {
    }

    /**
     * The engine named {@code backend}.
     *
     * @throws IllegalArgumentException naming {@code model.backend} and the engines on the class path when none matches
     */
    public static StepModelProvider find(String backend) {
        for (StepModelProvider p : ServiceLoader.load(StepModelProvider.class, StepModelProviders.class.getClassLoader())) {
            if (p.backend().equals(backend)) {
                return p;
            }
        }
        throw new IllegalArgumentException("model.backend=" + backend + ": no step-model engine of that name on the class"
                + " path (engines found: " + available() + "); add the engine's jar or choose one of those");
    }

    /** The {@code model.backend} names of the engines on the class path, in the order the class path lists them. */
    public static List<String> available() {
        List<String> names = new ArrayList<>();
        for (StepModelProvider p : ServiceLoader.load(StepModelProvider.class, StepModelProviders.class.getClassLoader())) {
            names.add(p.backend());
        }
        return names;
    }
}
