package io.irgstream.shapes.prompts;

/**
 * A prompt outside the shapes-world prompt language; the message names the problem and shows a valid example
 * (docs/shapes-world.md).
 */
public final class PromptException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param reason what is wrong, with a valid example */
    public PromptException(String reason) {
        super(reason);
    }
}
