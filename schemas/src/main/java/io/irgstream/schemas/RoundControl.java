package io.irgstream.schemas;

import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.Verdict;

import java.util.OptionalInt;

/**
 * The one place that decides how reflection rounds go on. A trajectory asks for {@code rounds} (default 1, as in
 * IRG). After round r's final image, round r+1 reflects on that image, unless round r's verdict was SATISFIED (the
 * image already satisfies the prompt) or r is the last requested round. The reflect workers use this to pick up
 * final images for another round; the topology uses it to decide when a trajectory is complete.
 */
public final class RoundControl {
    private RoundControl() {
    }

    /** Whether {@code f} is the last image of its trajectory. */
    public static boolean isLast(FinalImageProduced f) {
        return f.getVerdict() == Verdict.SATISFIED || f.getRound() >= f.getContext().getRounds();
    }

    /** The round in which {@code f} is reflected on, or empty when {@code f} ends its trajectory. */
    public static OptionalInt nextRound(FinalImageProduced f) {
        return isLast(f) ? OptionalInt.empty() : OptionalInt.of(f.getRound() + 1);
    }
}
