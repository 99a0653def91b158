package io.irgstream.topology;

import static io.irgstream.events.TrajectoryStatus.COMPLETED;
import static io.irgstream.events.TrajectoryStatus.REFLECTED;
import static io.irgstream.events.Verdict.NEEDS_CHANGES;
import static io.irgstream.events.Verdict.SATISFIED;
import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.events.DraftImageProduced;
import io.irgstream.events.FinalImageProduced;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Provenance;
import io.irgstream.events.ReflectionProduced;
import io.irgstream.events.ThoughtProduced;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryRevision;
import io.irgstream.schemas.testing.SchemaRegistryExtension;
import io.irgstream.topology.internals.TrajectoryFold;
import io.irgstream.topology.internals.TrajectoryJson;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Revisions (redriven step results) are listed beside the originals and never move the trajectory. */
class TrajectoryRevisionTopologyTest {
    private static final String NEW_SHA = "cd".repeat(32);
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

    private static Provenance revised(Provenance original, int revision) {
        return Provenance.newBuilder(original).setModelName("shapes-refine-v2").setModelSha256(NEW_SHA)
                .setWorkerId("redrive-test").setRevision(revision).setRedrivenModelSha256(original.getModelSha256())
                .setProducedAt(Events.SUBMITTED_AT.plusSeconds(3600)).build();
    }

    private static FinalImageProduced revisedFinal(Events e, int round, int revision, ImageRef image) {
        FinalImageProduced f = e.finalImage(round, NEEDS_CHANGES);
        return FinalImageProduced.newBuilder(f).setImage(image).setProvenance(revised(f.getProvenance(), revision)).build();
    }

    @Test
    void shouldListARefineRevisionWithoutChangingStatusRoundsOrFinalImage() {
        Events e = new Events("t-redrive", 1);
        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES), e.finalImage(1, NEEDS_CHANGES));
        Trajectory before = harness.stored(e.id);
        assertThat(before.getStatus()).isEqualTo(COMPLETED);
        assertThat(before.getRevisions()).isEmpty();
        harness.written();

        ImageRef newImage = e.image(1, "redriven");
        harness.send(e.id, revisedFinal(e, 1, 1, newImage));

        Trajectory after = harness.stored(e.id);
        assertThat(after.getStatus()).isEqualTo(COMPLETED);
        assertThat(after.getPendingStep()).isNull();
        assertThat(after.getCompletedAt()).isEqualTo(before.getCompletedAt());
        assertThat(after.getProgressedAt()).isEqualTo(before.getProgressedAt());
        assertThat(after.getFinalImage()).isEqualTo(e.image(1, "final"));
        assertThat(after.getReflectionRounds()).singleElement().satisfies(r -> {
            assertThat(r.getFinalImage()).isEqualTo(e.image(1, "final"));
            assertThat(r.getRefinedAt()).isEqualTo(before.getReflectionRounds().get(0).getRefinedAt());
        });
        assertThat(after.getSteps()).extracting(s -> s.getStep() + s.getRound() + "x" + s.getDeliveries())
                .containsExactly("think0x1", "draw0x1", "reflect1x1", "refine1x1");
        assertThat(after.getAttempts()).isEqualTo(before.getAttempts());
        assertThat(after.getRevision()).isEqualTo(before.getRevision() + 1);
        assertThat(after.getRevisions()).singleElement().satisfies(r -> {
            assertThat(r.getStep()).isEqualTo("refine");
            assertThat(r.getRound()).isEqualTo(1);
            assertThat(r.getRevision()).isEqualTo(1);
            assertThat(r.getImage()).isEqualTo(newImage);
            assertThat(r.getText()).isNull();
            assertThat(r.getDeliveries()).isEqualTo(1);
            assertThat(r.getProvenance().getModelSha256()).isEqualTo(NEW_SHA);
            assertThat(r.getProvenance().getRedrivenModelSha256()).isEqualTo("ab".repeat(32));
            assertThat(r.getProvenance().getProducedAt()).isEqualTo(Events.SUBMITTED_AT.plusSeconds(3600));
        });
        assertThat(harness.written()).singleElement().satisfies(w -> assertThat(TrajectoryFold.sameContent(w, after)).isTrue());
        // the revised image is served by the image endpoint like any other of the trajectory
        assertThat(harness.imageOwner(newImage.getSha256())).isEqualTo(e.id);
        assertThat(TrajectoryFold.findImage(after, newImage.getSha256())).isEqualTo(newImage);

        // the API's JSON shows both: the original in reflectionRounds/finalImage, the revision in revisions
        JsonNode json = TrajectoryJson.toJson(after);
        assertThat(json.get("finalImage").get("sha256").asText()).isEqualTo(e.image(1, "final").getSha256());
        JsonNode rev = json.get("revisions").get(0);
        assertThat(rev.get("step").asText()).isEqualTo("refine");
        assertThat(rev.get("revision").asInt()).isEqualTo(1);
        assertThat(rev.get("image").get("url").asText()).isEqualTo("/api/images/" + newImage.getSha256());
        assertThat(rev.get("image").has("inline")).isFalse();
        assertThat(rev.get("provenance").get("redrivenModelSha256").asText()).isEqualTo("ab".repeat(32));
        assertThat(json.get("steps").get(3).get("provenance").get("revision").asInt()).isZero();
    }

    @Test
    void shouldRecordARedeliveredRevisionOnceAndASecondRevisionBesideTheFirst() {
        Events e = new Events("t-redrive-twice", 1);
        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES), e.finalImage(1, NEEDS_CHANGES));
        FinalImageProduced first = revisedFinal(e, 1, 1, e.image(1, "v2"));
        harness.send(e.id, first, first, revisedFinal(e, 1, 2, e.image(1, "v3")));

        Trajectory t = harness.stored(e.id);
        assertThat(t.getRevisions()).extracting(TrajectoryRevision::getRevision).containsExactly(1, 2);
        assertThat(t.getRevisions()).extracting(TrajectoryRevision::getDeliveries).containsExactly(2, 1);
        assertThat(t.getRevisions()).extracting(r -> r.getImage().getSha256())
                .containsExactly(e.image(1, "v2").getSha256(), e.image(1, "v3").getSha256());
        assertThat(t.getFinalImage()).isEqualTo(e.image(1, "final"));
        assertThat(t.getStatus()).isEqualTo(COMPLETED);
    }

    @Test
    void shouldNotLetARevisionAdvanceARunningTrajectory() {
        Events e = new Events("t-redrive-running", 2);
        harness.send(e.id, e.prompt(), e.thought(), e.draft(), e.reflection(1, NEEDS_CHANGES));
        Trajectory before = harness.stored(e.id);
        assertThat(before.getStatus()).isEqualTo(REFLECTED);
        assertThat(before.getPendingStep()).isEqualTo("refine");

        // a redriven final of round 2 (the last) would complete the trajectory if it were an original
        FinalImageProduced last = FinalImageProduced.newBuilder(e.finalImage(2, SATISFIED))
                .setProvenance(revised(e.finalImage(2, SATISFIED).getProvenance(), 1)).build();
        DraftImageProduced draft = e.draft();
        DraftImageProduced redrawn = DraftImageProduced.newBuilder(draft).setImage(e.image(0, "redrawn"))
                .setProvenance(revised(draft.getProvenance(), 1)).build();
        ThoughtProduced thought = e.thought();
        ThoughtProduced rethought = ThoughtProduced.newBuilder(thought).setThought("A new plan.")
                .setProvenance(revised(thought.getProvenance(), 1)).build();
        ReflectionProduced reflection = e.reflection(1, NEEDS_CHANGES);
        ReflectionProduced rereflected = ReflectionProduced.newBuilder(reflection).setReflection("ok\nVerdict: SATISFIED")
                .setVerdict(SATISFIED).setProvenance(revised(reflection.getProvenance(), 1)).build();
        harness.send(e.id, last, redrawn, rethought, rereflected);

        Trajectory t = harness.stored(e.id);
        assertThat(t.getStatus()).isEqualTo(REFLECTED);
        assertThat(t.getPendingStep()).isEqualTo("refine");
        assertThat(t.getCurrentRound()).isEqualTo(1);
        assertThat(t.getCompletedAt()).isNull();
        assertThat(t.getThought()).isEqualTo(Events.THOUGHT);
        assertThat(t.getDraft()).isEqualTo(e.image(0, "draft"));
        assertThat(t.getReflectionRounds()).singleElement().satisfies(r -> {
            assertThat(r.getVerdict()).isEqualTo(NEEDS_CHANGES);
            assertThat(r.getFinalImage()).isNull();
        });
        assertThat(t.getProgressedAt()).isEqualTo(before.getProgressedAt());
        assertThat(t.getRevisions()).extracting(TrajectoryRevision::getStep)
                .containsExactly("refine", "draw", "think", "reflect");
        assertThat(t.getRevisions().get(2).getText()).isEqualTo("A new plan.");
        assertThat(t.getRevisions().get(3).getVerdict()).isEqualTo(SATISFIED);
        assertThat(t.getRevisions().get(0).getRound()).isEqualTo(2);

        // the pipeline goes on as before: the original final of round 1 moves it on
        harness.send(e.id, e.finalImage(1, NEEDS_CHANGES));
        assertThat(harness.stored(e.id).getCurrentRound()).isEqualTo(1);
        assertThat(harness.stored(e.id).getPendingStep()).isEqualTo("reflect");
        assertThat(harness.stored(e.id).getRevisions()).hasSize(4);
    }
}
