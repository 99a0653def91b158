package io.irgstream.shapes.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NamedTensor;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.named_parameter_iterator;
import org.bytedeco.pytorch.named_parameter_list;

/**
 * The parameters of a TorchScript module in a stable order, held by Java references created outside any
 * {@code PointerScope} so they live as long as this object.
 */
public final class ModuleParams {
    private final List<String> names;
    private final List<Tensor> tensors;

    private ModuleParams(List<String> names, List<Tensor> tensors) {
        this.names = Collections.unmodifiableList(names);
        this.tensors = Collections.unmodifiableList(tensors);
    }

    /** Reads the module's parameters (recursively). Call outside any PointerScope. */
    public static ModuleParams of(JitModule module) {
        List<String> names = new ArrayList<>();
        List<Tensor> tensors = new ArrayList<>();
        named_parameter_list list = module.named_parameters(true);
        named_parameter_iterator end = list.end();
        for (named_parameter_iterator it = list.begin(); it.notEquals(end); it.increment()) {
            NamedTensor nt = it.access();
            names.add(nt.name().getString());
            tensors.add(new Tensor(nt.value()));
        }
        return new ModuleParams(names, tensors);
    }

    /** Parameter names, in order. */
    public List<String> names() {
        return names;
    }

    /** Parameter tensors, in order (the module's own storage). */
    public List<Tensor> tensors() {
        return tensors;
    }

    /** Total number of scalar parameters. */
    public long count() {
        long n = 0;
        for (Tensor t : tensors) {
            n += t.numel();
        }
        return n;
    }

    /** A new vector of the tensors, for optimizers and gradient clipping. */
    public TensorVector vector() {
        TensorVector v = new TensorVector();
        for (Tensor t : tensors) {
            v.push_back(t);
        }
        return v;
    }
}
