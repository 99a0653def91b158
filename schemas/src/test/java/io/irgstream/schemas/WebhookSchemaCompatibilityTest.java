package io.irgstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.schemas.testing.SchemaSnapshots;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
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

    private static Schema before(String file) {
        return SchemaSnapshots.load("avro-before-webhooks", file);
    }

    @Test
    void shouldRegisterTheWebhookFieldsAfterTheSchemasBeforeThem() throws IOException {
        Schema oldContext = before("TrajectoryContext.avsc");
        Schema oldTrajectory = before("Trajectory.avsc");
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
        Schema oldContext = before("TrajectoryContext.avsc");
        GenericRecord c = SchemaSnapshots.oldContext(oldContext);
        c.put("tenant", "shop");
        TrajectoryContext ctx = SchemaSnapshots.readAs(oldContext, TrajectoryContext.getClassSchema(), c);
        assertThat(ctx.getCallbackUrl()).isNull();
        assertThat(ctx.getTenant()).isEqualTo("shop");
    }
}
