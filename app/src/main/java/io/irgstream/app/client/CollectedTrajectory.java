package io.irgstream.app.client;

import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.schemas.RoundControl;
import org.apache.avro.specific.SpecificRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * Every committed event of one trajectory seen by a {@link TrajectoryWatcher}, in arrival order.
 * Not thread-safe: the watcher fills it on its own thread and hands out copies.
 */
public final class CollectedTrajectory {
    private final String id;
    private final List<SpecificRecord> events = new ArrayList<>();

    CollectedTrajectory(String id) {
        this.id = id;
    }

    CollectedTrajectory copy() {
        CollectedTrajectory c = new CollectedTrajectory(id);
        c.events.addAll(events);
        return c;
    }

    void add(SpecificRecord event) {
        events.add(event);
    }

    public String id() {
        return id;
    }

    /** All events, in the order they were read. */
    public List<SpecificRecord> events() {
        return List.copyOf(events);
    }

    public <T extends SpecificRecord> List<T> all(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (SpecificRecord e : events) {
            if (type.isInstance(e)) {
                out.add(type.cast(e));
            }
        }
        return out;
    }

    public PromptSubmitted prompt() {
        return first(PromptSubmitted.class);
    }

    public ThoughtProduced thought() {
        return first(ThoughtProduced.class);
    }

    public DraftImageProduced draft() {
        return first(DraftImageProduced.class);
    }

    public List<ReflectionProduced> reflections() {
        return all(ReflectionProduced.class);
    }

    public List<FinalImageProduced> finals() {
        return all(FinalImageProduced.class);
    }

    public List<DeadLetter> deadLetters() {
        return all(DeadLetter.class);
    }

    /** The last final image, or null. */
    public FinalImageProduced lastFinal() {
        List<FinalImageProduced> f = finals();
        return f.isEmpty() ? null : f.get(f.size() - 1);
    }

    /**
     * Whether the trajectory has ended: the final image that {@link RoundControl} calls the last is in, or a step
     * dead-lettered it.
     */
    public boolean isDone() {
        if (!deadLetters().isEmpty()) {
            return true;
        }
        FinalImageProduced last = lastFinal();
        return last != null && RoundControl.isLast(last);
    }

    public boolean failed() {
        return !deadLetters().isEmpty();
    }

    private <T extends SpecificRecord> T first(Class<T> type) {
        for (SpecificRecord e : events) {
            if (type.isInstance(e)) {
                return type.cast(e);
            }
        }
        return null;
    }
}
