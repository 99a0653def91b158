package io.irgstream.shapes.reflect;

import io.irgstream.shapes.train.ModuleParams;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NamedTensor;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.named_buffer_iterator;
import org.bytedeco.pytorch.named_buffer_list;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copies trained weights between TorchScript modules by parameter name, so that a checkpoint's weights can be put
 * into a module freshly defined from the current source (the reasoning code of reflect and the decoding code of
 * think live in the module's source, and may be improved after training).
 */
public final class Weights {
    private Weights() {
    }

    /**
     * Buffers whose names start with this are tables the module computes from its own code when it is created (e.g.
     * reflect's ideal shape masks): never copied, and a checkpoint may lack them or hold an older version.
     */
    public static final String DERIVED_PREFIX = "derived_";

    /**
     * Copies every parameter (and buffer, if the modules have any, except {@link #DERIVED_PREFIX derived} ones) of
     * {@code from} into the one of the same name and shape in {@code to}.
     *
     * @throws IllegalArgumentException naming the parameter when names or shapes differ
     */
    public static void copy(JitModule from, JitModule to) {
        ModuleParams a = ModuleParams.of(from);
        ModuleParams b = ModuleParams.of(to);
        if (!a.names().equals(b.names())) {
            throw new IllegalArgumentException("modules have different parameters: " + a.names() + " vs " + b.names());
        }
        try (NoGradGuard g = new NoGradGuard()) {
            List<Tensor> src = a.tensors();
            List<Tensor> dst = b.tensors();
            for (int i = 0; i < src.size(); i++) {
                if (src.get(i).numel() != dst.get(i).numel()) {
                    throw new IllegalArgumentException("parameter " + a.names().get(i) + " has " + src.get(i).numel()
                            + " values in the checkpoint and " + dst.get(i).numel() + " in the module");
                }
                dst.get(i).detach().copy_(src.get(i).detach());
            }
            Map<String, Tensor> fb = buffers(from);
            Map<String, Tensor> tb = buffers(to);
            if (!fb.keySet().equals(tb.keySet())) {
                throw new IllegalArgumentException("modules have different buffers: " + fb.keySet() + " vs " + tb.keySet());
            }
            for (Map.Entry<String, Tensor> e : fb.entrySet()) {
                Tensor d = tb.get(e.getKey());
                if (d.numel() != e.getValue().numel()) {
                    throw new IllegalArgumentException("buffer " + e.getKey() + " has " + e.getValue().numel()
                            + " values in the checkpoint and " + d.numel() + " in the module");
                }
                d.copy_(e.getValue());
            }
        }
    }

    private static Map<String, Tensor> buffers(JitModule m) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        named_buffer_list list = m.named_buffers(true);
        named_buffer_iterator end = list.end();
        for (named_buffer_iterator it = list.begin(); it.notEquals(end); it.increment()) {
            NamedTensor nt = it.access();
            String name = nt.name().getString();
            if (!name.startsWith(DERIVED_PREFIX)) {
                out.put(name, new Tensor(nt.value()));
            }
        }
        return out;
    }
}
