package io.irgstream.shapes.reflect;

import io.irgstream.shapes.train.ModuleParams;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

import java.util.List;

/**
 * Copies trained weights between TorchScript modules by parameter name, so that a checkpoint's weights can be put
 * into a module freshly defined from the current source (the reasoning code of reflect and the decoding code of
 * think live in the module's source, and may be improved after training).
 */
public final class Weights {
    private Weights() {
    }

    /**
     * Copies every parameter of {@code from} into the parameter of the same name and shape in {@code to}.
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
        }
    }
}
