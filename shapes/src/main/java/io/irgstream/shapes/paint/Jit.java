package io.irgstream.shapes.paint;

import io.irgstream.model.RgbImage;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.StringType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/** Small helpers to call TorchScript methods from Java and move images in and out of tensors. Call inside a PointerScope. */
public final class Jit {
    private Jit() {
    }

    /** A TorchScript {@code List[str]}. */
    public static IValue strings(List<String> values) {
        GenericList list = new GenericList(new Type.TypePtr(StringType.get().get()));
        for (String v : values) {
            list.push_back(new IValue(v));
        }
        return new IValue(list);
    }

    /** Calls a method of the module with the given arguments. */
    public static IValue call(JitModule module, String method, IValue... args) {
        return module.get_method(method).apply(new IValueVector(args));
    }

    /** Reads a TorchScript {@code List[str]} result. */
    public static List<String> toStrings(IValue v) {
        GenericList l = v.toList();
        List<String> out = new ArrayList<>((int) l.size());
        for (long i = 0; i < l.size(); i++) {
            out.add(l.get(i).toStringRef().getString());
        }
        return out;
    }

    /** A float tensor of the given shape filled from {@code data} (row-major). */
    public static Tensor floats(float[] data, long... shape) {
        Tensor t = torch.empty(shape);
        t.data_ptr_float().put(data);
        return t;
    }

    /** Images as a float tensor [B,3,64,64] scaled to [-1, 1]. */
    public static Tensor imagesToUnit(List<RgbImage> images) {
        int n = images.size();
        int w = images.get(0).width();
        int h = images.get(0).height();
        float[] data = new float[n * 3 * h * w];
        for (int i = 0; i < n; i++) {
            byte[] px = images.get(i).pixels();
            int base = i * 3 * h * w;
            for (int p = 0; p < h * w; p++) {
                for (int c = 0; c < 3; c++) {
                    data[base + c * h * w + p] = (px[p * 3 + c] & 0xff) / 127.5f - 1f;
                }
            }
        }
        return floats(data, n, 3, h, w);
    }

    /** Images as a uint8 tensor [B,3,H,W] (channel-first, the step contract's layout). */
    public static Tensor imagesToBytes(List<RgbImage> images) {
        int n = images.size();
        int w = images.get(0).width();
        int h = images.get(0).height();
        byte[] data = new byte[n * 3 * h * w];
        for (int i = 0; i < n; i++) {
            byte[] px = images.get(i).pixels();
            int base = i * 3 * h * w;
            for (int p = 0; p < h * w; p++) {
                for (int c = 0; c < 3; c++) {
                    data[base + c * h * w + p] = px[p * 3 + c];
                }
            }
        }
        Tensor t = torch.empty(new long[] {n, 3, h, w}, new TensorOptions(torch.ScalarType.Byte), new org.bytedeco.pytorch.MemoryFormatOptional());
        t.data_ptr_byte().put(data);
        return t;
    }

    /** Reads a uint8 tensor [B,3,H,W] back into images. */
    public static List<RgbImage> bytesToImages(Tensor t) {
        Tensor c = t.contiguous();
        int n = (int) c.size(0);
        int h = (int) c.size(2);
        int w = (int) c.size(3);
        byte[] data = new byte[n * 3 * h * w];
        c.data_ptr_byte().get(data);
        List<RgbImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] px = new byte[h * w * 3];
            int base = i * 3 * h * w;
            for (int p = 0; p < h * w; p++) {
                for (int ch = 0; ch < 3; ch++) {
                    px[p * 3 + ch] = data[base + ch * h * w + p];
                }
            }
            out.add(new RgbImage(w, h, px));
        }
        return out;
    }
}
