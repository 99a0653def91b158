package io.irgstream.worker;

import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.schemas.SchemaRegistryException;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageUnavailableException;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The kind of a failure follows from its type alone. */
class FailureKindTest {
    @Test
    void shouldClassifyEachFailureByItsType() {
        assertThat(FailureKind.of(new BadInputException("the prompt is empty"))).isEqualTo(FailureKind.BAD_INPUT);
        assertThat(FailureKind.of(new PromptRejectedException("outside the language"))).isEqualTo(FailureKind.BAD_INPUT);
        assertThat(FailureKind.of(new ModelRequestRejectedException("content policy"))).isEqualTo(FailureKind.BAD_INPUT);
        assertThat(FailureKind.of(new ImageIntegrityException("image integrity check failed"))).isEqualTo(FailureKind.BAD_INPUT);
        assertThat(FailureKind.of(new ImageUnavailableException("cannot read", new IOException("disk")))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(FailureKind.of(new ModelOutputException("no verdict"))).isEqualTo(FailureKind.OUTPUT_INVALID);
        assertThat(FailureKind.of(new OutputTooLargeException("t", 2, 1, "producer.max.request.size"))).isEqualTo(FailureKind.OUTPUT_TOO_LARGE);
        assertThat(FailureKind.of(new ModelUnavailableException("429", null, null))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(FailureKind.of(new IOException("blob store"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(FailureKind.of(new SchemaRegistryException("registry down", 503, 50301, null))).isEqualTo(FailureKind.TRANSIENT);
    }

    @Test
    void shouldNotTreatAnIllegalArgumentFromAModelAsBadInput() {
        // a model's own IllegalArgumentException says nothing about the record: retried, not dead-lettered at once
        assertThat(FailureKind.of(new IllegalArgumentException("reflection has no verdict line"))).isEqualTo(FailureKind.TRANSIENT);
    }

    @Test
    void shouldRetryOnlyTransientFailuresAndInvalidOutputs() {
        assertThat(FailureKind.TRANSIENT.retried()).isTrue();
        assertThat(FailureKind.OUTPUT_INVALID.retried()).isTrue();
        assertThat(FailureKind.BAD_INPUT.retried()).isFalse();
        assertThat(FailureKind.OUTPUT_TOO_LARGE.retried()).isFalse();
    }
}
