package io.irgstream.model;

import java.util.List;

/**
 * A model that performs one IRG step on a batch of trajectories.
 *
 * <p>Contract:
 * <ul>
 *   <li>{@link #run} returns exactly one result per request, in request order.</li>
 *   <li>A result depends only on its own request (including its {@link StepRequest#stepSeed()}), never on the
 *       other requests of the batch, up to float tolerance. Batching is a throughput choice of the worker.</li>
 *   <li>A failure of the whole batch is thrown; the worker then retries the records one by one to find the bad one.</li>
 *   <li>Implementations are not required to be thread-safe: a worker calls {@code run} from one thread.</li>
 *   <li>{@link #close()} releases native memory; the model must not be used afterwards.</li>
 * </ul>
 */
public interface StepModel extends AutoCloseable {
    /** The step this model performs. */
    Step step();

    /** Name, file hash and device, recorded as provenance. */
    ModelInfo info();

    /**
     * Which prompts this model does not understand, and why: one entry per prompt, in order, {@code ""} when the
     * prompt is understood, else a human-readable reason (e.g. the prompt is outside the model's grammar). A worker
     * dead-letters a rejected prompt at once as bad input with that reason. The default understands every prompt.
     */
    default List<String> rejections(List<String> prompts) {
        return java.util.Collections.nCopies(prompts.size(), "");
    }

    /** Runs the step on a non-empty batch. */
    List<StepResult> run(List<StepRequest> batch);

    @Override
    void close();
}
