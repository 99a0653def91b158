package io.irgstream.app.cli;

import io.irgstream.schemas.client.Priority;

/** The {@code --priority} option of {@code ./irg submit} and {@code ./irg generate}. */
final class CliPriority {
    private CliPriority() {
    }

    /**
     * @param value the option's value, or null when not given (normal)
     * @return the class
     * @throws IllegalArgumentException "--priority: unknown priority 'x': expected one of interactive, normal, batch"
     */
    static Priority parse(String value) {
        try {
            return Priority.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--priority: " + e.getMessage(), e);
        }
    }
}
