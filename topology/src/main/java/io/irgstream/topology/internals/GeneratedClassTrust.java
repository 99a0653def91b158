package io.irgstream.topology.internals;

import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificFixed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro 1.12 load the generated event classes by schema name, as irg-schemas' serdes do on first use: building a
 * {@link io.irgstream.events.Trajectory} fills its array defaults through that lookup, which Avro's
 * {@link ClassSecurityValidator} forbids by default ("Forbidden io.irgstream.events.TrajectoryRound"). Only
 * generated records, enums and fixed types are trusted; arbitrary classes stay forbidden.
 */
final class GeneratedClassTrust {

    private static boolean installed;

    private GeneratedClassTrust() {
    }

    static synchronized void install() {
        if (!installed) {
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(),
                    c -> SpecificRecord.class.isAssignableFrom(c) || SpecificFixed.class.isAssignableFrom(c)
                            || (c.isEnum() && GenericEnumSymbol.class.isAssignableFrom(c))));
            installed = true;
        }
    }
}
