package io.irgstream.topology;

import static io.irgstream.events.TrajectoryStatus.CANCELLED;
import static io.irgstream.events.TrajectoryStatus.COMPLETED;
import static io.irgstream.events.TrajectoryStatus.FAILED;
import static io.irgstream.events.TrajectoryStatus.STALLED;
import static io.irgstream.events.TrajectoryStatus.THOUGHT;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.DeadLetter;
import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The per-tenant count of trajectories in flight, kept by the fold's processor: a trajectory counts from its first
 * event until it ends, STALLED counts, a FAILED one that resumes counts again; tenant and callback URL are copied
 * into the record; a webhook dead letter changes nothing.
 */
class TenantCountTopologyTest {

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private TopologyHarness harness;

    @BeforeEach
    void startDriver() {
        harness = new TopologyHarness(registry.registry());
    }

    @AfterEach
    void closeDriver() {
        harness.close();
    }

    private static PromptSubmitted prompt(Events e, String tenant) {
        return PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder(e.context()).setTenant(tenant)
                .setCallbackUrl("https://hooks.example.com/" + e.id).build()).build();
    }

    @Test
    void shouldCountATenantsTrajectoriesUntilTheyEnd() {
        Events a = new Events("tenant-a", 1);
        Events b = new Events("tenant-b", 1);
        Events old = new Events("tenant-old", 1);
        harness.send(a.id, prompt(a, "shop"));
        harness.send(b.id, prompt(b, "shop"), b.thought());
        harness.send(old.id, old.prompt()); // written before tenants: no tenant, counted as default
        assertThat(harness.tenantInFlight("shop")).isEqualTo(2L);
        assertThat(harness.tenantInFlight("default")).isEqualTo(1L);
        Trajectory t = harness.stored(a.id);
        assertThat(t.getTenant()).isEqualTo("shop");
        assertThat(t.getCallbackUrl()).isEqualTo("https://hooks.example.com/tenant-a");

        harness.advance(TopologyHarness.DRAW_TIMEOUT.plusSeconds(5));
        assertThat(harness.stored(b.id).getStatus()).isEqualTo(STALLED);
        assertThat(harness.tenantInFlight("shop")).as("a stalled trajectory is in flight").isEqualTo(2L);

        harness.send(a.id, a.cancel());
        assertThat(harness.stored(a.id).getStatus()).isEqualTo(CANCELLED);
        assertThat(harness.tenantInFlight("shop")).isEqualTo(1L);

        harness.send(b.id, b.deadLetter("draw", 7, Events.SUBMITTED_AT.plusSeconds(1)));
        assertThat(harness.stored(b.id).getStatus()).isEqualTo(FAILED);
        assertThat(harness.tenantInFlight("shop")).isNull();
        harness.send(b.id, b.draft()); // produced after the failure: the trajectory resumes
        assertThat(harness.stored(b.id).getStatus()).isNotEqualTo(FAILED);
        assertThat(harness.tenantInFlight("shop")).isEqualTo(1L);
        harness.send(b.id, b.reflection(1, SATISFIED), b.finalImage(1, SATISFIED));
        assertThat(harness.stored(b.id).getStatus()).isEqualTo(COMPLETED);
        assertThat(harness.tenantInFlight("shop")).isNull();
        assertThat(harness.tenantInFlight("default")).isEqualTo(1L);
    }

    @Test
    void shouldIgnoreAWebhookDeadLetter() {
        Events e = new Events("tenant-hook", 1);
        harness.send(e.id, prompt(e, "shop"), e.thought());
        harness.written();
        Trajectory before = harness.stored(e.id);
        DeadLetter hook = DeadLetter.newBuilder(e.deadLetter("webhook", 3, Events.SUBMITTED_AT.plusSeconds(9)))
                .setTopic(harness.topics().trajectories().name()).build();
        harness.send(e.id, hook);
        assertThat(harness.written()).isEmpty();
        assertThat(harness.stored(e.id)).isEqualTo(before);
        assertThat(harness.stored(e.id).getStatus()).isEqualTo(THOUGHT);
        assertThat(harness.stored(e.id).getErrors()).isEmpty();
    }

    @Test
    void shouldIgnoreAWebhookDeadLetterOfAnUnknownTrajectory() {
        Events e = new Events("tenant-unknown", 1);
        harness.send(e.id, e.deadLetter("webhook", 3, Events.SUBMITTED_AT));
        assertThat(harness.stored(e.id)).isNull();
        assertThat(harness.written()).isEmpty();
    }
}
