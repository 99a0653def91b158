package io.irgstream.schemas;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Schema compatibility levels, with the meaning the Confluent schema registry gives them.
 *
 * <p>"Backward" means consumers on the new schema can read data written with the old one (the safe order for
 * upgrading consumers first); "forward" means consumers on the old schema can read data written with the new one;
 * "full" means both. Non-transitive levels check against the latest version only; transitive ones against every
 * version of the subject.
 */
public enum CompatibilityLevel {
    /** No check. */
    NONE,
    /** The new schema can read data written with the latest version. */
    BACKWARD,
    /** The new schema can read data written with every earlier version. */
    BACKWARD_TRANSITIVE,
    /** The latest version can read data written with the new schema. */
    FORWARD,
    /** Every earlier version can read data written with the new schema. */
    FORWARD_TRANSITIVE,
    /** Both {@link #BACKWARD} and {@link #FORWARD}. */
    FULL,
    /** Both {@link #BACKWARD_TRANSITIVE} and {@link #FORWARD_TRANSITIVE}. */
    FULL_TRANSITIVE;

    /** @return true when the new schema must read data of older versions */
    public boolean checksBackward() {
        return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }

    /** @return true when older versions must read data of the new schema */
    public boolean checksForward() {
        return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
    }

    /** @return true when every earlier version is checked, false when only the latest is */
    public boolean isTransitive() {
        return name().endsWith("_TRANSITIVE");
    }

    /**
     * Parses a level name, ignoring case.
     *
     * @param name level name such as {@code "backward"}
     * @return the level
     * @throws IllegalArgumentException naming the value and the valid levels when it is not one
     */
    public static CompatibilityLevel parse(String name) {
        if (name != null) {
            try {
                return valueOf(name.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("invalid compatibility level '" + name + "'; valid levels: "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
