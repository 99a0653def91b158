package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.ImageRef;
import io.irgstream.events.Provenance;
import io.irgstream.events.SamplerParams;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
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
 * The webhook and tenant fields (TrajectoryContext.callbackUrl, Trajectory.tenant and callbackUrl) are a BACKWARD
 * compatible change: the registry accepts the new schemas after the ones before them (in
 * src/test/resources/avro-before-webhooks), and a context written before them reads with no callback.
 */
class WebhookSchemaCompatibilityTest {
    @RegisterExtension
    final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private SchemaRegistryClient client;

    @BeforeEach
    void registryClient() {
        client = registry.client();
        AvroClassTrust.install();
    }

    private static Schema before(String file, Schema.Parser parser) throws IOException {
        try (InputStream in = WebhookSchemaCompatibilityTest.class.getResourceAsStream("/avro-before-webhooks/"
                + file)) {
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
    void shouldRegisterTheWebhookFieldsAfterTheSchemasBeforeThem() throws IOException {
        Schema oldContext = before("TrajectoryContext.avsc", parserKnowingTheSharedTypes());
        Schema oldTrajectory = before("Trajectory.avsc", parserKnowingTheSharedTypes());
        assertThat(oldContext.getField("callbackUrl")).isNull();
        assertThat(oldTrajectory.getField("tenant")).isNull();

        client.register("webhooks.context-value", oldContext);
        client.register("webhooks.context-value", TrajectoryContext.getClassSchema());
        client.register("webhooks.trajectories-value", oldTrajectory);
        client.register("webhooks.trajectories-value", Trajectory.getClassSchema());

        assertThat(client.getVersions("webhooks.context-value")).containsExactly(1, 2);
        assertThat(client.getVersions("webhooks.trajectories-value")).containsExactly(1, 2);
    }

    @Test
    void shouldReadAnOldContextWithNoCallback() throws IOException {
        Schema oldContext = before("TrajectoryContext.avsc", parserKnowingTheSharedTypes());
        GenericRecord c = new GenericData.Record(oldContext);
        c.put("trajectoryId", "t-1");
        c.put("prompt", "a red circle");
        c.put("seed", 7L);
        c.put("rounds", 1);
        GenericRecord sampler = new GenericData.Record(SamplerParams.getClassSchema());
        for (Schema.Field f : SamplerParams.getClassSchema().getFields()) {
            sampler.put(f.name(), GenericData.get().getDefaultValue(f));
        }
        c.put("sampler", sampler);
        c.put("submittedAt", 1_000L);
        c.put("tenant", "shop");
        TrajectoryContext ctx = read(oldContext, TrajectoryContext.getClassSchema(), c);
        assertThat(ctx.getCallbackUrl()).isNull();
        assertThat(ctx.getTenant()).isEqualTo("shop");
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
