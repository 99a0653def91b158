package io.irgstream.schemas.testing;

import io.irgstream.events.ImageRef;
import io.irgstream.events.Provenance;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * The tools of the BACKWARD-compatibility tests: schemas as they were before a change (snapshots under
 * {@code src/test/resources/<folder>/}), records written with them, and reading those records through today's
 * generated classes, as a consumer on the new version reads what an old producer wrote.
 */
public final class SchemaSnapshots {
    private SchemaSnapshots() {
    }

    /** A parser that already knows the named types the snapshots refer to without defining them. */
    public static Schema.Parser parserKnowing(Schema... types) {
        Schema.Parser parser = new Schema.Parser();
        for (Schema s : types) {
            parser.parse(s.toString());
        }
        return parser;
    }

    /** A parser knowing the types shared by the trajectory schemas: SamplerParams, ImageRef, Verdict, Provenance. */
    public static Schema.Parser parserKnowingTheSharedTypes() {
        return parserKnowing(SamplerParams.getClassSchema(), ImageRef.getClassSchema(), Verdict.getClassSchema(),
                Provenance.getClassSchema());
    }

    /** The snapshot {@code /folder/file} parsed with {@code parser}. */
    public static Schema load(String folder, String file, Schema.Parser parser) {
        String resource = "/" + folder + "/" + file;
        try (InputStream in = SchemaSnapshots.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no schema snapshot " + resource + " on the test classpath");
            }
            return parser.parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema snapshot " + resource, e);
        }
    }

    /** The snapshot {@code /folder/file} parsed with a fresh {@link #parserKnowingTheSharedTypes()}. */
    public static Schema load(String folder, String file) {
        return load(folder, file, parserKnowingTheSharedTypes());
    }

    /** A record of {@code schema} with every field at its declared default. */
    public static GenericRecord defaults(Schema schema) {
        GenericRecord r = new GenericData.Record(schema);
        for (Schema.Field f : schema.getFields()) {
            r.put(f.name(), GenericData.get().getDefaultValue(f));
        }
        return r;
    }

    /**
     * A trajectory context written with an old context schema: trajectory t-1, prompt "a red circle", seed 7, one
     * round, default sampling, submitted at 1,000 ms. The caller adds the fields its snapshot has beyond these.
     */
    public static GenericRecord oldContext(Schema oldContextSchema) {
        GenericRecord c = new GenericData.Record(oldContextSchema);
        c.put("trajectoryId", "t-1");
        c.put("prompt", "a red circle");
        c.put("seed", 7L);
        c.put("rounds", 1);
        c.put("sampler", defaults(SamplerParams.getClassSchema()));
        c.put("submittedAt", 1_000L);
        return c;
    }

    /** Writes {@code record} with {@code writer} and reads it back with {@code reader} into the generated class. */
    public static <T> T readAs(Schema writer, Schema reader, GenericRecord record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new GenericDatumWriter<GenericRecord>(writer).write(record, enc);
            enc.flush();
            return new SpecificDatumReader<T>(writer, reader)
                    .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
