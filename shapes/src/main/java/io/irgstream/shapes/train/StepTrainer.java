package io.irgstream.shapes.train;

import io.irgstream.model.Step;

/**
 * Trains the TorchScript module of one IRG step for the shapes world.
 *
 * <p>A trainer generates its data procedurally from {@link TrainOptions#seed()}, writes the module file into
 * {@link TrainOptions#outDir()}, keeps checkpoints under {@link TrainOptions#workDir()} and resumes from the last one
 * when started again on the same work folder. It stops when its step count or its time budget is reached.
 */
public interface StepTrainer {
    /** The step whose model this trainer produces. */
    Step step();

    /** Trains (or resumes training) and writes the module; blocks until done. */
    TrainResult train(TrainOptions opts);
}
