package io.irgstream.app.client;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.DeadLetter;
import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.schemas.Revisions;
import io.irgstream.schemas.RoundControl;
import org.apache.avro.specific.SpecificRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * Every committed event of one trajectory seen by a {@link TrajectoryWatcher}, in arrival order. The accessors of
 * the steps (thought, draft, reflections, finals) give the pipeline's original events; {@link #revisions()} the
 * results written later by {@code ./irg redrive}.
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

    /** The original thought (revision 0), or null. */
    public ThoughtProduced thought() {
        return first(ThoughtProduced.class);
    }

    /** The original draft (revision 0), or null. */
    public DraftImageProduced draft() {
        return first(DraftImageProduced.class);
    }

    /** The original reflections (revision 0), in the order read. */
    public List<ReflectionProduced> reflections() {
        return originals(ReflectionProduced.class);
    }

    /** The original final images (revision 0), in the order read. */
    public List<FinalImageProduced> finals() {
        return originals(FinalImageProduced.class);
    }

    /** The revisions written by {@code ./irg redrive} (step events with a revision &gt; 0), in the order read. */
    public List<SpecificRecord> revisions() {
        return events.stream().filter(Revisions::isRevision).toList();
    }

    private <T extends SpecificRecord> List<T> originals(Class<T> type) {
        return all(type).stream().filter(e -> !Revisions.isRevision(e)).toList();
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
     * Whether the trajectory has ended: the final image that {@link RoundControl} calls the last is in, a step
     * dead-lettered it, or a step skipped it past its deadline ({@link #expiry()}).
     */
    public boolean isDone() {
        if (failed() || expiry() != null) {
            return true;
        }
        FinalImageProduced last = lastFinal();
        return last != null && RoundControl.isLast(last);
    }

    /** A step worker's report that it skipped the trajectory past its deadline, or null when none was read. */
    public CancellationRequested expiry() {
        for (SpecificRecord e : events) {
            if (e instanceof CancellationRequested c && c.getDeadline() != null) {
                return c;
            }
        }
        return null;
    }

    /**
     * Whether a step dead-lettered the trajectory. A dead letter of step {@code webhook} (the topology's callback
     * that kept failing, written after the trajectory ended) is not a failure of the trajectory.
     */
    public boolean failed() {
        return deadLetters().stream().anyMatch(d -> !"webhook".equals(d.getStep()));
    }

    private <T extends SpecificRecord> T first(Class<T> type) {
        for (SpecificRecord e : events) {
            if (type.isInstance(e) && !Revisions.isRevision(e)) {
                return type.cast(e);
            }
        }
        return null;
    }
}
