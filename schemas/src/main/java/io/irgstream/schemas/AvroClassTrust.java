package io.irgstream.schemas;

import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.specific.SpecificFixed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Lets Avro load generated (specific) classes by schema name.
 *
 * <p>Avro 1.12 only loads classes it trusts when it resolves a schema name to a class (see
 * {@link ClassSecurityValidator}); by default that excludes every generated record, so a specific reader fails
 * with "Forbidden io.irgstream.events.X! This class is not trusted". This adds, once per JVM and on top of whatever
 * predicate is already installed, trust for exactly the classes a specific reader instantiates: generated records,
 * enums and fixed types. Arbitrary classes (the risk the validator guards against) stay forbidden.
 */
public final class AvroClassTrust {

    private static final ClassSecurityPredicate GENERATED_TYPES = c -> SpecificRecord.class.isAssignableFrom(c)
            || SpecificFixed.class.isAssignableFrom(c)
            || (c.isEnum() && GenericEnumSymbol.class.isAssignableFrom(c));

    private static boolean installed;

    private AvroClassTrust() {
    }

    /** Installs the trust once per JVM; later calls do nothing. */
    public static synchronized void install() {
        if (!installed) {
            ClassSecurityValidator.setGlobal(
                    ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), GENERATED_TYPES));
            installed = true;
        }
    }
}
