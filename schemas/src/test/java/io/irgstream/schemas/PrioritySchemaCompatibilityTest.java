package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.events.TrajectoryStatus;
import io.irgstream.schemas.client.Priority;
import io.irgstream.schemas.client.Submission;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.testing.SchemaSnapshots;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The priority fields (TrajectoryContext.priority, Trajectory.priority, queuedAt, admittedAt) and the status QUEUED
 * are a BACKWARD compatible change: the registry accepts the new schemas after the ones before them (in
 * src/test/resources/avro-before-priorities), and a context written before them reads as class normal.
 */
class PrioritySchemaCompatibilityTest {
    @RegisterExtension
    final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private SchemaRegistryClient client;

    @BeforeEach
    void registryClient() {
        client = registry.client();
        AvroClassTrust.install();
    }

    private static Schema before(String file) {
        return SchemaSnapshots.load("avro-before-priorities", file);
    }

    @Test
    void shouldRegisterThePriorityFieldsAfterTheSchemasBeforeThem() throws IOException {
        Schema oldContext = before("TrajectoryContext.avsc");
        Schema oldTrajectory = before("Trajectory.avsc");
        assertThat(oldContext.getField("priority")).isNull();
        assertThat(oldTrajectory.getField("status").schema().getEnumSymbols()).doesNotContain("QUEUED");

        client.register("priorities.context-value", oldContext);
        client.register("priorities.context-value", TrajectoryContext.getClassSchema());
        client.register("priorities.trajectories-value", oldTrajectory);
        client.register("priorities.trajectories-value", Trajectory.getClassSchema());

        assertThat(client.getVersions("priorities.context-value")).containsExactly(1, 2);
        assertThat(client.getVersions("priorities.trajectories-value")).containsExactly(1, 2);
        assertThat(TrajectoryStatus.valueOf("QUEUED")).isNotNull();
    }

    @Test
    void shouldReadAnOldContextAsClassNormal() throws IOException {
        Schema oldContext = before("TrajectoryContext.avsc");
        GenericRecord c = SchemaSnapshots.oldContext(oldContext);
        c.put("tenant", "shop");
        TrajectoryContext ctx = SchemaSnapshots.readAs(oldContext, TrajectoryContext.getClassSchema(), c);
        assertThat(ctx.getPriority()).isNull();
        assertThat(Priority.ofRecord(ctx.getPriority())).isEqualTo(Priority.NORMAL);
        assertThat(ctx.getTenant()).isEqualTo("shop");
    }

    @Test
    void shouldParseTheClassesAndRefuseOthersNamingTheValidOnes() {
        assertThat(Priority.parse("Interactive")).isEqualTo(Priority.INTERACTIVE);
        assertThat(Priority.parse(null)).isEqualTo(Priority.NORMAL);
        assertThat(Priority.parse("batch")).isEqualTo(Priority.BATCH);
        assertThatThrownBy(() -> Priority.parse("urgent")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown priority 'urgent': expected one of interactive, normal, batch");
        assertThat(Priority.ofRecord("urgent")).isEqualTo(Priority.NORMAL);
        assertThat(Submission.of("a red circle").priority()).isEqualTo(Priority.NORMAL);
    }
}
