package io.irgstream.model;

import java.util.Map;

/**
 * An engine that opens step models, found at run time with {@link java.util.ServiceLoader}: a jar lists its
 * implementations in {@code META-INF/services/io.irgstream.model.StepModelProvider}, and a worker selects one by the
 * {@code model.backend} setting ({@link StepModelProviders#find}). The worker compiles against this contract only, so
 * a new engine (another runtime, another kind of server) is a jar on the class path, with no change in the worker.
 *
 * <p>The shipped engines (module {@code step-model}): {@code torchscript} (a TorchScript file run in-process on
 * libtorch) and {@code openai} (a model on a server that speaks the OpenAI-compatible APIs).
 */
public interface StepModelProvider {
    /** The value of {@code model.backend} that selects this engine, e.g. {@code torchscript}. */
    String backend();

    /**
     * Opens the model of {@code step}.
     *
     * @param settings the worker's {@code model.*} settings as strings, keyed by their full names (e.g.
     *                 {@code model.path}); settings the worker does not define are passed as given, so an engine may
     *                 read settings of its own
     * @param env      the process environment (e.g. for an API key named by a setting)
     * @throws IllegalArgumentException with one line naming the setting at fault
     * @throws ModelUnavailableException when the model cannot be reached now
     */
    StepModel open(Step step, Map<String, String> settings, Map<String, String> env);
}
