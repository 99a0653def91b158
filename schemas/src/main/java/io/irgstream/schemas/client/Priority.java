package io.irgstream.schemas.client;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A trajectory's priority class. The topology's admission scheduler releases queued trajectories by weighted
 * round-robin over the classes (see docs/scheduling.md); {@link #rank} orders them, highest first.
 */
public enum Priority {
    /** A person waits for it: served first, and may go a little beyond the admission window. */
    INTERACTIVE,
    /** The default. */
    NORMAL,
    /** Bulk work: gets its guaranteed share while the others wait, the rest of the capacity when they do not. */
    BATCH;

    /** The valid names, as the API and CLI spell them: {@code interactive, normal, batch}. */
    public static final String NAMES = Arrays.stream(values()).map(Priority::wireName)
            .collect(Collectors.joining(", "));

    /** @return the name on the wire and in the API: lower case */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return 0 for the highest class, then 1, 2 */
    public int rank() {
        return ordinal();
    }

    /**
     * Parses a class name as a client gives it (any case).
     *
     * @param name the name; null gives {@link #NORMAL}
     * @return the class
     * @throws IllegalArgumentException naming the valid values when {@code name} is none of them
     */
    public static Priority parse(String name) {
        if (name == null) {
            return NORMAL;
        }
        for (Priority p : values()) {
            if (p.wireName().equals(name.strip().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown priority '" + name + "': expected one of " + NAMES);
    }

    /**
     * The class a record carries, leniently: an unknown or missing name (an older or newer writer) is
     * {@link #NORMAL}.
     */
    public static Priority ofRecord(CharSequence name) {
        if (name == null) {
            return NORMAL;
        }
        try {
            return parse(name.toString());
        } catch (IllegalArgumentException e) {
            return NORMAL;
        }
    }
}
