package io.irgstream.shapes.train;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;

/**
 * A detached copy of a module's weights, kept outside any PointerScope. Used for the finite-loss guard
 * (restore the last good weights after a NaN) and for the exponential moving average used at sampling time.
 */
public final class WeightCopy {
    private final List<Tensor> copies = new ArrayList<>();

    /** Copies the current values of {@code params}. Call outside any PointerScope. */
    public WeightCopy(ModuleParams params) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (Tensor t : params.tensors()) {
                copies.add(t.detach().clone());
            }
        }
    }

    /** Overwrites this copy with the current values of {@code params}. */
    public void capture(ModuleParams params) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < copies.size(); i++) {
                copies.get(i).copy_(params.tensors().get(i).detach());
            }
        }
    }

    /** Writes this copy into {@code params}. */
    public void restoreInto(ModuleParams params) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < copies.size(); i++) {
                params.tensors().get(i).detach().copy_(copies.get(i));
            }
        }
    }

    /** Moves this copy towards {@code params}: {@code copy = decay * copy + (1 - decay) * params} (EMA update). */
    public void blendTowards(ModuleParams params, double decay) {
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < copies.size(); i++) {
                copies.get(i).lerp_(params.tensors().get(i).detach(), new org.bytedeco.pytorch.Scalar(1.0 - decay));
            }
        }
    }

    /** Whether every value of the copy is finite. */
    public boolean isFinite() {
        for (Tensor t : copies) {
            if (!t.isfinite().all().item_bool()) {
                return false;
            }
        }
        return true;
    }
}
