package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.testing.SchemaSnapshots;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Provenance;
import io.irgstream.events.Trajectory;
import java.io.IOException;
import java.time.Instant;
import org.apache.avro.Schema;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The redrive fields (Provenance.revision, Provenance.redrivenModelSha256, Trajectory.revisions) are a BACKWARD
 * compatible change: the registry accepts the new schemas after the ones before them, and events written before them
 * read as revision 0.
 */
class RevisionSchemaCompatibilityTest {
    /** A fresh, empty registry for each test. */
    @RegisterExtension
    final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private SchemaRegistryClient client;

    @BeforeEach
    void registryClient() {
        client = registry.client();
        // this test reads with a SpecificDatumReader of its own, not through IrgAvroDeserializer (which installs it)
        AvroClassTrust.install();
    }

    private static Schema v1(String file, Schema.Parser parser) {
        return SchemaSnapshots.load("avro-v1", file, parser);
    }

    @Test
    void shouldRegisterTheRevisionFieldsAfterTheSchemasBeforeThemAndReadOldEventsAsRevisionZero() throws IOException {
        Schema.Parser parser = SchemaSnapshots.parserKnowing(io.irgstream.events.TrajectoryContext.getClassSchema(),
                io.irgstream.events.ImageRef.getClassSchema(), io.irgstream.events.Verdict.getClassSchema());
        Schema oldProvenance = v1("Provenance.avsc", parser);
        Schema oldFinal = v1("FinalImageProduced.avsc", parser);
        assertThat(oldProvenance.getField("revision")).isNull();

        client.register("compat.provenance-value", oldProvenance);
        client.register("compat.provenance-value", Provenance.getClassSchema());
        client.register("compat.finals-value", oldFinal);
        client.register("compat.finals-value", FinalImageProduced.getClassSchema());
        assertThat(client.getVersions("compat.provenance-value")).containsExactly(1, 2);
        assertThat(client.getVersions("compat.finals-value")).containsExactly(1, 2);

        // An event written with the old schema reads as revision 0 with no redriven model.
        org.apache.avro.generic.GenericRecord p = new org.apache.avro.generic.GenericData.Record(oldProvenance);
        p.put("step", "draw");
        p.put("modelName", "m");
        p.put("modelSha256", "ab".repeat(32));
        p.put("device", "cpu");
        p.put("workerId", "w");
        p.put("attempt", 1);
        p.put("stepSeed", 7L);
        p.put("batchSize", 1);
        p.put("queueWaitMs", 0L);
        p.put("computeMs", 0L);
        p.put("producedAt", 1_000L);
        Provenance read = SchemaSnapshots.readAs(oldProvenance, Provenance.getClassSchema(), p);
        assertThat(read.getRevision()).isZero();
        assertThat(read.getRedrivenModelSha256()).isNull();
        assertThat(read.getProducedAt()).isEqualTo(Instant.ofEpochMilli(1_000));
        assertThat(Trajectory.getClassSchema().getField("revisions").defaultVal()).isNotNull();
    }

    @Test
    void shouldTellRevisionsFromOriginals() {
        Provenance p = Provenance.newBuilder().setStep("draw").setModelName("m").setModelSha256("ab".repeat(32))
                .setWorkerId("w").setStepSeed(1).setBatchSize(1).setQueueWaitMs(0).setComputeMs(0)
                .setProducedAt(Instant.EPOCH).build();
        assertThat(p.getRevision()).as("the builder's default").isZero();
        DraftImageProduced original = DraftImageProduced.newBuilder().setContext(TestEvents.context()).setThought("t")
                .setImage(TestEvents.inlinePng(java.awt.Color.RED)).setProvenance(p).build();
        DraftImageProduced revised = DraftImageProduced.newBuilder(original)
                .setProvenance(Provenance.newBuilder(p).setRevision(2).setRedrivenModelSha256("ab".repeat(32)).build()).build();
        assertThat(Revisions.of(original)).isZero();
        assertThat(Revisions.isRevision(original)).isFalse();
        assertThat(Revisions.of(revised)).isEqualTo(2);
        assertThat(Revisions.isRevision(revised)).isTrue();
        assertThat(Revisions.provenance(PromptSubmitted.newBuilder().setContext(TestEvents.context()).build())).isNull();
    }
}
