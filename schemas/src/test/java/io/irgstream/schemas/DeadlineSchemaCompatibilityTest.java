package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Provenance;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.events.Verdict;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The deadline fields (TrajectoryContext.deadline, CancellationRequested.deadline and step, Trajectory.deadline and
 * expiredStep, the EXPIRED status) are a BACKWARD compatible change: the registry accepts the new schemas after the
 * ones before them (in src/test/resources/avro-before-deadlines), and events written before them read with no deadline.
 */
class DeadlineSchemaCompatibilityTest {
    @RegisterExtension
    final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private SchemaRegistryClient client;

    @BeforeEach
    void registryClient() {
        client = registry.client();
        AvroClassTrust.install();
    }

    private static Schema before(String file, Schema.Parser parser) throws IOException {
        try (InputStream in = DeadlineSchemaCompatibilityTest.class.getResourceAsStream("/avro-before-deadlines/" + file)) {
            return parser.parse(in);
        }
    }

    private static Schema.Parser parserKnowingTheSharedTypes() {
        Schema.Parser parser = new Schema.Parser();
        for (Schema s : new Schema[] {SamplerParams.getClassSchema(), ImageRef.getClassSchema(),
                Verdict.getClassSchema(), Provenance.getClassSchema()}) {
            parser.parse(s.toString());
        }
        return parser;
    }

    @Test
    void shouldRegisterTheDeadlineFieldsAfterTheSchemasBeforeThem() throws IOException {
        Schema.Parser parser = parserKnowingTheSharedTypes();
        Schema oldContext = before("TrajectoryContext.avsc", parser);
        Schema oldCancel = before("CancellationRequested.avsc", parser);
        Schema oldTrajectory = before("Trajectory.avsc", parserKnowingTheSharedTypes());
        assertThat(oldContext.getField("deadline")).isNull();

        client.register("compat.context-value", oldContext);
        client.register("compat.context-value", TrajectoryContext.getClassSchema());
        client.register("compat.cancellations-value", oldCancel);
        client.register("compat.cancellations-value", CancellationRequested.getClassSchema());
        client.register("compat.trajectories-value", oldTrajectory);
        client.register("compat.trajectories-value", Trajectory.getClassSchema());

        assertThat(client.getVersions("compat.context-value")).containsExactly(1, 2);
        assertThat(client.getVersions("compat.cancellations-value")).containsExactly(1, 2);
        assertThat(client.getVersions("compat.trajectories-value")).containsExactly(1, 2);
        assertThat(TrajectoryStatus.valueOf("EXPIRED")).isNotNull();
    }

    @Test
    void shouldReadAnOldContextAndCancellationWithNoDeadline() throws IOException {
        Schema.Parser parser = parserKnowingTheSharedTypes();
        Schema oldContext = before("TrajectoryContext.avsc", parser);
        Schema oldCancel = before("CancellationRequested.avsc", parser);

        GenericRecord c = new GenericData.Record(oldContext);
        c.put("trajectoryId", "t-1");
        c.put("prompt", "a red circle");
        c.put("seed", 7L);
        c.put("rounds", 1);
        c.put("sampler", new GenericData.Record(SamplerParams.getClassSchema()) {{
            for (Schema.Field f : SamplerParams.getClassSchema().getFields()) {
                put(f.name(), GenericData.get().getDefaultValue(f));
            }
        }});
        c.put("submittedAt", 1_000L);
        TrajectoryContext ctx = read(oldContext, TrajectoryContext.getClassSchema(), c);
        assertThat(ctx.getDeadline()).isNull();

        GenericRecord x = new GenericData.Record(oldCancel);
        x.put("trajectoryId", "t-1");
        x.put("requestedAt", 2_000L);
        CancellationRequested cancel = read(oldCancel, CancellationRequested.getClassSchema(), x);
        assertThat(cancel.getDeadline()).isNull();
        assertThat(cancel.getStep()).isNull();
    }

    private static <T> T read(Schema writer, Schema reader, GenericRecord r) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(r, enc);
        enc.flush();
        return new SpecificDatumReader<T>(writer, reader)
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }
}
