package io.irgstream.schemas;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import org.apache.avro.specific.SpecificRecord;

/**
 * Revisions of step results: revision 0 is the event the pipeline made; revision n > 0 is a later re-run of the same
 * step and round written by {@code ./irg redrive} (recorded in {@link Provenance#getRevision()}). The one place that
 * tells them apart, shared by the workers (which never take a revision as input), the topology and the clients.
 */
public final class Revisions {
    private Revisions() {
    }

    /** The provenance of a step event (thought, draft, reflection or final image), or null for any other record. */
    public static Provenance provenance(SpecificRecord event) {
        if (event instanceof ThoughtProduced e) {
            return e.getProvenance();
        } else if (event instanceof DraftImageProduced e) {
            return e.getProvenance();
        } else if (event instanceof ReflectionProduced e) {
            return e.getProvenance();
        } else if (event instanceof FinalImageProduced e) {
            return e.getProvenance();
        }
        return null;
    }

    /** The revision of a step event; 0 for the original and for records that are not step events. */
    public static int of(SpecificRecord event) {
        Provenance p = provenance(event);
        return p == null ? 0 : p.getRevision();
    }

    /** Whether {@code event} is a redriven result (revision > 0): not work for any step, not part of the main path. */
    public static boolean isRevision(SpecificRecord event) {
        return of(event) > 0;
    }
}
