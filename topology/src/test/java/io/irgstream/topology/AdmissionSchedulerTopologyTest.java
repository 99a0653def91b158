package io.irgstream.topology;

import static io.irgstream.events.TrajectoryStatus.CANCELLED;
import static io.irgstream.events.TrajectoryStatus.COMPLETED;
import static io.irgstream.events.TrajectoryStatus.EXPIRED;
import static io.irgstream.events.TrajectoryStatus.QUEUED;
import static io.irgstream.events.TrajectoryStatus.SUBMITTED;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.PromptSubmitted;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryContext;
import io.irgstream.schemas.client.TrajectoryClient;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.topology.internals.AdmissionScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The admission scheduler in the production topology (TopologyTestDriver): submissions go on to the prompts topic
 * at once while the partition has room and nothing is queued, else they wait QUEUED and are released as trajectories
 * end, interactive first and within its headroom, by weighted round-robin over the classes (6/3/1) and round robin
 * over the tenants of a class; a queued trajectory that is cancelled or expires leaves the queue; a repeat is not
 * queued twice; window 0 turns the scheduler off. The driver has one partition, so every trajectory shares it.
 */
class AdmissionSchedulerTopologyTest {

    @RegisterExtension
    static final SchemaRegistryExtension registry = new SchemaRegistryExtension();
    private TopologyHarness harness;

    @AfterEach
    void closeDriver() {
        if (harness != null) {
            harness.close();
        }
    }

    private void start(int window, int headroom) {
        harness = new TopologyHarness(registry.registry(), Map.of(
                TopologyConfig.SCHEDULER_WINDOW_CONFIG, window,
                TopologyConfig.SCHEDULER_INTERACTIVE_HEADROOM_CONFIG, headroom));
    }

    private static PromptSubmitted submission(String id, String priority, String tenant) {
        return PromptSubmitted.newBuilder().setContext(TrajectoryContext.newBuilder(new Events(id, 1).context())
                .setPriority(priority).setTenant(tenant).build()).build();
    }

    private List<String> admittedIds() {
        List<String> ids = new ArrayList<>();
        for (TestRecord<String, PromptSubmitted> r : harness.prompts()) {
            assertThat(r.key()).isEqualTo(r.value().getContext().getTrajectoryId());
            ids.add(r.key());
        }
        return ids;
    }

    /** Ends trajectory {@code id} as the workers would: thought, draft, a SATISFIED reflection, its final image. */
    private void complete(String id) {
        Events e = new Events(id, 1);
        harness.send(id, e.thought(), e.draft(), e.reflection(1, SATISFIED), e.finalImage(1, SATISFIED));
        assertThat(harness.stored(id).getStatus()).isEqualTo(COMPLETED);
    }

    @Test
    void shouldAdmitAtOnceWhileThereIsRoomAndQueueTheRest() {
        start(2, 1);
        for (int i = 0; i < 5; i++) {
            harness.submit("b" + i, submission("b" + i, "batch", "shop"));
        }
        assertThat(admittedIds()).containsExactly("b0", "b1");
        assertThat(harness.stored("b0").getStatus()).isEqualTo(SUBMITTED);
        assertThat(harness.stored("b0").getQueuedAt()).isNull();
        Trajectory queued = harness.stored("b2");
        assertThat(queued.getStatus()).isEqualTo(QUEUED);
        assertThat(queued.getPriority()).isEqualTo("batch");
        assertThat(queued.getQueuedAt()).isNotNull();
        assertThat(queued.getPrompt()).isEqualTo("a large red circle");
        assertThat(harness.admission(AdmissionScheduler.IN_FLIGHT)).isEqualTo(2);
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isEqualTo(3);
        assertThat(harness.tenantInFlight("shop")).isEqualTo(5L); // queued ones count against the tenant's limit

        complete("b0");
        assertThat(admittedIds()).containsExactly("b2");
        Trajectory admitted = harness.stored("b2");
        assertThat(admitted.getStatus()).isEqualTo(SUBMITTED);
        assertThat(admitted.getAdmittedAt()).isNotNull();
        // the released prompt came back through the prompts topic and changed nothing
        assertThat(harness.stored("b2").getRevision()).isEqualTo(admitted.getRevision());
        complete("b1");
        complete("b2");
        assertThat(admittedIds()).containsExactly("b3", "b4");
        complete("b3");
        complete("b4");
        assertThat(harness.admission(AdmissionScheduler.IN_FLIGHT)).isZero();
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isZero();
        assertThat(admittedIds()).isEmpty();
    }

    @Test
    void shouldAdmitAnInteractiveOneWithinItsHeadroomAheadOfAQueuedBacklog() {
        start(2, 1);
        for (int i = 0; i < 6; i++) {
            harness.submit("b" + i, submission("b" + i, "batch", "shop"));
        }
        assertThat(admittedIds()).containsExactly("b0", "b1");
        harness.submit("i0", submission("i0", "interactive", "shop"));
        assertThat(admittedIds()).containsExactly("i0"); // beyond the window, within the headroom
        harness.submit("i1", submission("i1", "interactive", "shop"));
        assertThat(admittedIds()).isEmpty(); // the headroom is taken: it waits, first in line
        assertThat(harness.stored("i1").getStatus()).isEqualTo(QUEUED);
        complete("b0");
        assertThat(admittedIds()).containsExactly("i1");
        complete("b1"); // 2 in the pipeline (i0, i1): the window is full for batch
        assertThat(admittedIds()).isEmpty();
        complete("i0");
        assertThat(admittedIds()).containsExactly("b2");
    }

    @Test
    void shouldShareAdmissionsSixThreeOneWhileEveryClassWaits() {
        start(1, 0);
        harness.submit("first", submission("first", "batch", "shop"));
        for (int i = 0; i < 12; i++) {
            harness.submit("b" + i, submission("b" + i, "batch", "shop"));
            harness.submit("n" + i, submission("n" + i, "normal", "shop"));
            harness.submit("i" + i, submission("i" + i, "interactive", "shop"));
        }
        assertThat(admittedIds()).containsExactly("first");
        List<String> order = new ArrayList<>();
        String running = "first";
        for (int k = 0; k < 20; k++) {
            harness.send(running, new Events(running, 1).cancel()); // ends it: the next one goes
            List<String> next = admittedIds();
            assertThat(next).hasSize(1);
            running = next.get(0);
            order.add(running);
        }
        List<Character> classes = order.stream().map(id -> id.charAt(0)).toList();
        // the first 10 and the next 10: 6 interactive, 3 normal, 1 batch each, interactive first
        for (List<Character> ten : List.of(classes.subList(0, 10), classes.subList(10, 20))) {
            assertThat(ten.stream().filter(c -> c == 'i').count()).isEqualTo(6);
            assertThat(ten.stream().filter(c -> c == 'n').count()).isEqualTo(3);
            assertThat(ten.stream().filter(c -> c == 'b').count()).isEqualTo(1);
        }
        assertThat(classes.get(0)).isEqualTo('i');
        // inside a class, oldest first
        assertThat(order.stream().filter(id -> id.startsWith("i")).toList()).startsWith("i0", "i1", "i2", "i3");
        assertThat(order.stream().filter(id -> id.startsWith("b")).toList()).containsExactly("b0", "b1");
    }

    @Test
    void shouldServeTheTenantsOfAClassInTurn() {
        start(1, 0);
        for (int i = 0; i < 6; i++) {
            harness.submit("a" + i, submission("a" + i, "normal", "tenant-a"));
        }
        harness.submit("b0", submission("b0", "normal", "tenant-b"));
        harness.submit("c0", submission("c0", "normal", "tenant-c"));
        harness.submit("b1", submission("b1", "normal", "tenant-b"));
        assertThat(admittedIds()).containsExactly("a0");
        List<String> order = new ArrayList<>();
        String running = "a0";
        for (int k = 0; k < 8; k++) {
            complete(running);
            running = admittedIds().get(0);
            order.add(running);
        }
        // tenant-a had a backlog of 5 more: tenant-b and tenant-c each wait one turn, not for the backlog
        assertThat(order).containsExactly("b0", "c0", "a1", "b1", "a2", "a3", "a4", "a5");
    }

    @Test
    void shouldDropAQueuedTrajectoryThatIsCancelledOrExpires() {
        start(1, 0);
        harness.submit("run", submission("run", "normal", "shop"));
        harness.submit("gone", submission("gone", "normal", "shop"));
        PromptSubmitted due = submission("due", "normal", "shop");
        due.getContext().setDeadline(TopologyHarness.WALL_CLOCK_START.plusSeconds(3));
        harness.submit("due", due);
        harness.submit("next", submission("next", "normal", "shop"));
        assertThat(admittedIds()).containsExactly("run");
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isEqualTo(3);

        harness.send("gone", new Events("gone", 1).cancel());
        assertThat(harness.stored("gone").getStatus()).isEqualTo(CANCELLED);
        harness.advance(Duration.ofSeconds(5));
        assertThat(harness.stored("due").getStatus()).isEqualTo(EXPIRED);
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isEqualTo(1);
        assertThat(harness.tenantInFlight("shop")).isEqualTo(2L);

        complete("run");
        assertThat(admittedIds()).containsExactly("next");
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isZero();
    }

    @Test
    void shouldQueueARepeatOnceAndKeepTheIdempotencyHeaderOnRelease() {
        start(1, 0);
        harness.submit("run", submission("run", "normal", "shop"));
        PromptSubmitted keyed = submission("keyed", "normal", "shop");
        keyed.getContext().setIdempotencyKey("order-1");
        harness.submit("keyed", keyed);
        harness.submit("keyed", keyed); // a second API instance took the same key
        assertThat(harness.admission(AdmissionScheduler.QUEUED)).isEqualTo(1);
        harness.submit("run", submission("run", "normal", "shop")); // a redelivery of a running one
        assertThat(harness.admission(AdmissionScheduler.IN_FLIGHT)).isEqualTo(1);
        assertThat(admittedIds()).containsExactly("run");

        complete("run");
        List<TestRecord<String, PromptSubmitted>> released = harness.prompts();
        assertThat(released).extracting(TestRecord::key).containsExactly("keyed");
        RecordHeaders headers = new RecordHeaders(released.get(0).headers().toArray());
        assertThat(headers.lastHeader(TrajectoryClient.IDEMPOTENT_HEADER)).isNotNull();
        assertThat(new String(headers.lastHeader(TrajectoryClient.IDEMPOTENT_HEADER).value())).isEqualTo("shop");
        assertThat(harness.prompts()).isEmpty();
    }

    @Test
    void shouldPassEverySubmissionStraightOnWithWindowZero() {
        start(0, 0);
        for (int i = 0; i < 4; i++) {
            harness.submit("b" + i, submission("b" + i, "batch", "shop"));
        }
        assertThat(admittedIds()).containsExactly("b0", "b1", "b2", "b3");
        assertThat(harness.stored("b3").getStatus()).isEqualTo(SUBMITTED);
        assertThat(harness.stored("b3").getPriority()).isEqualTo("batch");
    }

    @Test
    void shouldCountAPromptWrittenStraightToThePromptsTopic() {
        start(1, 0);
        Events direct = new Events("direct", 1); // e.g. the API's direct path, or ./irg submit --direct
        harness.send(direct.id, direct.prompt());
        assertThat(harness.admission(AdmissionScheduler.IN_FLIGHT)).isEqualTo(1);
        harness.submit("waits", submission("waits", "normal", "shop"));
        assertThat(harness.stored("waits").getStatus()).isEqualTo(QUEUED);
        complete("direct");
        assertThat(admittedIds()).containsExactly("waits");
    }
}
