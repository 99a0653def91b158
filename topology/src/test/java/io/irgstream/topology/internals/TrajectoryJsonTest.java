package io.irgstream.topology.internals;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.irgstream.events.ImageRef;
import io.irgstream.events.Trajectory;
import io.irgstream.events.TrajectoryStatus;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrajectoryJsonTest {

    @Test
    void shouldReplaceInlineBytesWithAnImageUrlAndWriteTimesAsIsoStrings() {
        String sha = "ab".repeat(32);
        Instant at = Instant.parse("2026-01-01T00:00:01.500Z");
        Trajectory t = Trajectory.newBuilder().setId("t1").setStatus(TrajectoryStatus.DRAFTED).setPendingStep("reflect")
                .setPrompt("a circle").setReflectionRounds(List.of()).setSteps(List.of()).setErrors(List.of())
                .setCreatedAt(at).setUpdatedAt(at).setProgressedAt(at).setSubmittedAt(at)
                .setDraft(ImageRef.newBuilder().setSha256(sha).setMediaType("image/png").setWidth(8).setHeight(8)
                        .setSizeBytes(3).setInline(ByteBuffer.wrap(new byte[] {1, 2, 3})).setUri(null).build())
                .build();

        ObjectNode json = TrajectoryJson.toJson(t);

        assertThat(json.path("status").asText()).isEqualTo("DRAFTED");
        assertThat(json.path("submittedAt").asText()).isEqualTo("2026-01-01T00:00:01.500Z");
        assertThat(json.path("draft").has("inline")).isFalse();
        assertThat(json.path("draft").path("url").asText()).isEqualTo("/api/images/" + sha);
        assertThat(json.path("thought").isNull()).isTrue();
        assertThat(json.path("reflectionRounds").isArray()).isTrue();
    }
}
