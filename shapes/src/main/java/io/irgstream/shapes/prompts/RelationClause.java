package io.irgstream.shapes.prompts;

import io.irgstream.shapes.world.Relation;

import java.util.Objects;

/**
 * A relation clause: phrase {@code a} stands in {@code relation} to phrase {@code b} (indices into
 * {@link PromptSpec#phrases()}; {@code b == a + 1}, both single-object phrases).
 */
public record RelationClause(int a, Relation relation, int b) {
    public RelationClause {
        Objects.requireNonNull(relation, "relation");
        if (a < 0 || b != a + 1) {
            throw new IllegalArgumentException("a relation links phrase i to phrase i + 1, got " + a + " and " + b);
        }
    }
}
