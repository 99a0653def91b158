package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.CancellationRequested;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.testing.SchemaSnapshots;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
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

    private static Schema before(String file, Schema.Parser parser) {
        return SchemaSnapshots.load("avro-before-deadlines", file, parser);
    }

    @Test
    void shouldRegisterTheDeadlineFieldsAfterTheSchemasBeforeThem() throws IOException {
        Schema.Parser parser = SchemaSnapshots.parserKnowingTheSharedTypes();
        Schema oldContext = before("TrajectoryContext.avsc", parser);
        Schema oldCancel = before("CancellationRequested.avsc", parser);
        Schema oldTrajectory = SchemaSnapshots.load("avro-before-deadlines", "Trajectory.avsc");
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
        Schema.Parser parser = SchemaSnapshots.parserKnowingTheSharedTypes();
        Schema oldContext = before("TrajectoryContext.avsc", parser);
        Schema oldCancel = before("CancellationRequested.avsc", parser);

        GenericRecord c = SchemaSnapshots.oldContext(oldContext);
        TrajectoryContext ctx = SchemaSnapshots.readAs(oldContext, TrajectoryContext.getClassSchema(), c);
        assertThat(ctx.getDeadline()).isNull();

        GenericRecord x = new GenericData.Record(oldCancel);
        x.put("trajectoryId", "t-1");
        x.put("requestedAt", 2_000L);
        CancellationRequested cancel = SchemaSnapshots.readAs(oldCancel, CancellationRequested.getClassSchema(), x);
        assertThat(cancel.getDeadline()).isNull();
        assertThat(cancel.getStep()).isNull();
    }
}
