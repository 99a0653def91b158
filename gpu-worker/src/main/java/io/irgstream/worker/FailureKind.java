package io.irgstream.worker;

import io.irgstream.model.ModelOutputException;
import io.irgstream.model.ModelRequestRejectedException;
import io.irgstream.model.ModelUnavailableException;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageUnavailableException;

/**
 * What went wrong with one record, decided by the failure's type alone (never its message), and so what the worker
 * does with it:
 * <table>
 *   <caption>failure kinds</caption>
 *   <tr><th>kind</th><th>types</th><th>what happens</th></tr>
 *   <tr><td>{@link #BAD_INPUT}</td><td>{@link BadInputException} (incl. {@link PromptRejectedException}),
 *       {@link ImageIntegrityException} of an input image, {@link ModelRequestRejectedException}</td>
 *       <td>dead letter at once</td></tr>
 *   <tr><td>{@link #OUTPUT_INVALID}</td><td>{@link ModelOutputException}</td>
 *       <td>retried (a sampled answer may differ), then dead letter with the output's problem</td></tr>
 *   <tr><td>{@link #OUTPUT_TOO_LARGE}</td><td>{@link OutputTooLargeException}</td>
 *       <td>dead letter at once with the size and the limit (images were tried in the blob store first)</td></tr>
 *   <tr><td>{@link #TRANSIENT}</td><td>anything else: {@link ModelUnavailableException} (no earlier than its
 *       Retry-After), {@link ImageUnavailableException}, an unreachable registry, a model that throws</td>
 *       <td>retried with backoff through the retry tiers, then dead letter</td></tr>
 * </table>
 * A fatal Kafka client error (a fenced producer, a transaction that cannot commit) is no record's failure: it ends the
 * worker's client session, and the {@link Supervisor} recovers.
 */
public enum FailureKind {
    /** The record itself is wrong: no attempt can succeed. */
    BAD_INPUT,
    /** The model answered, but its answer cannot be used. */
    OUTPUT_INVALID,
    /** The output event is too large to send. */
    OUTPUT_TOO_LARGE,
    /** Something the record depends on failed now; a later attempt may succeed. */
    TRANSIENT;

    /** Whether a record that failed this way goes through the retry tiers before the dead letters. */
    public boolean retried() {
        return this == TRANSIENT || this == OUTPUT_INVALID;
    }

    /** The kind of {@code failure}. */
    public static FailureKind of(Throwable failure) {
        if (failure instanceof BadInputException || failure instanceof ModelRequestRejectedException) {
            return BAD_INPUT;
        }
        if (failure instanceof ImageIntegrityException) {
            return failure instanceof ImageUnavailableException ? TRANSIENT : BAD_INPUT;
        }
        if (failure instanceof OutputTooLargeException) {
            return OUTPUT_TOO_LARGE;
        }
        if (failure instanceof ModelOutputException) {
            return OUTPUT_INVALID;
        }
        return TRANSIENT;
    }
}
