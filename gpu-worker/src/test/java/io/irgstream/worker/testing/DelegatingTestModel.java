package io.irgstream.worker.testing;

import io.irgstream.model.ModelInfo;
import io.irgstream.model.Step;
import io.irgstream.model.StepModel;
import io.irgstream.model.StepRequest;
import io.irgstream.model.StepResult;

import java.util.List;

/** Test double that passes every call to another one; subclasses override what they change. */
public class DelegatingTestModel implements StepModel {
    private final StepModel inner;

    /** Delegates to {@code inner}. */
    public DelegatingTestModel(StepModel inner) {
        this.inner = inner;
    }

    @Override
    public Step step() {
        return inner.step();
    }

    @Override
    public ModelInfo info() {
        return inner.info();
    }

    @Override
    public List<StepResult> run(List<StepRequest> batch) {
        return inner.run(batch);
    }

    @Override
    public void close() {
        inner.close();
    }
}
