package io.irgstream.model.torch;

import io.irgstream.model.RgbImage;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.StringType;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.Type;
import org.bytedeco.pytorch.global.torch;

import java.util.ArrayList;
import java.util.List;

/**
 * Conversions between Java values and libtorch values at the step-contract boundary: float and uint8 tensors,
 * channel-first RGB images, and {@code List[str]}.
 *
 * <p>Every method allocates native memory: call them inside a {@code PointerScope}. Returned tensors own their
 * memory (they are copies, never views of Java arrays).
 */
public final class Tensors {
    private Tensors() {
    }

    /** A float32 CPU tensor of the given shape holding a copy of {@code data}. */
    public static Tensor floats(float[] data, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape holds " + n + " values, got " + data.length);
        }
        FloatPointer p = new FloatPointer(data);
        return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Float)).clone();
    }

    /** A uint8 CPU tensor of the given shape holding a copy of {@code data}. */
    public static Tensor bytes(byte[] data, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape holds " + n + " values, got " + data.length);
        }
        BytePointer p = new BytePointer(data);
        return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Byte)).clone();
    }

    /** An int64 CPU tensor of the given shape holding a copy of {@code data}. */
    public static Tensor longs(long[] data, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape holds " + n + " values, got " + data.length);
        }
        LongPointer p = new LongPointer(data);
        return torch.from_blob(p, shape, new TensorOptions(torch.ScalarType.Long)).clone();
    }

    /** Copies a float tensor (any device, any shape) to a Java array in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(torch.ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        c.data_ptr_float().get(out);
        return out;
    }

    /**
     * Packs images into a uint8 tensor {@code [B,3,H,W]} (channel-first RGB). All images must have the same size.
     */
    public static Tensor images(List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images");
        }
        int w = images.get(0).width();
        int h = images.get(0).height();
        byte[] chw = new byte[images.size() * 3 * h * w];
        int plane = h * w;
        for (int b = 0; b < images.size(); b++) {
            RgbImage img = images.get(b);
            if (img.width() != w || img.height() != h) {
                throw new IllegalArgumentException("images of one batch must have one size: " + w + "x" + h
                        + " and " + img.width() + "x" + img.height());
            }
            byte[] px = img.pixels();
            int base = b * 3 * plane;
            for (int i = 0; i < plane; i++) {
                chw[base + i] = px[i * 3];
                chw[base + plane + i] = px[i * 3 + 1];
                chw[base + 2 * plane + i] = px[i * 3 + 2];
            }
        }
        return bytes(chw, images.size(), 3, h, w);
    }

    /** Unpacks a uint8 tensor {@code [B,3,H,W]} into B interleaved RGB images. */
    public static List<RgbImage> toImages(Tensor t) {
        if (t.dim() != 4 || t.size(1) != 3) {
            throw new IllegalStateException("expected an image tensor [B,3,H,W], got " + shape(t));
        }
        if (t.scalar_type().value != torch.ScalarType.Byte.value) {
            throw new IllegalStateException("expected a uint8 image tensor, got " + t.scalar_type());
        }
        Tensor c = t.cpu().contiguous();
        int b = (int) c.size(0);
        int h = (int) c.size(2);
        int w = (int) c.size(3);
        byte[] all = new byte[b * 3 * h * w];
        c.data_ptr_byte().get(all);
        int plane = h * w;
        List<RgbImage> out = new ArrayList<>(b);
        for (int k = 0; k < b; k++) {
            byte[] px = new byte[plane * 3];
            int base = k * 3 * plane;
            for (int i = 0; i < plane; i++) {
                px[i * 3] = all[base + i];
                px[i * 3 + 1] = all[base + plane + i];
                px[i * 3 + 2] = all[base + 2 * plane + i];
            }
            out.add(new RgbImage(w, h, px));
        }
        return out;
    }

    /** A TorchScript {@code List[str]} value. */
    public static IValue strings(List<String> values) {
        GenericList list = new GenericList(new Type.TypePtr(StringType.get().get()));
        for (String s : values) {
            list.push_back(new IValue(s));
        }
        return new IValue(list);
    }

    /** Reads a TorchScript {@code List[str]} result. */
    public static List<String> toStrings(IValue v) {
        if (!v.isList()) {
            throw new IllegalStateException("expected a List[str] result, got " + v.tagKind().getString());
        }
        GenericList list = v.toList();
        List<String> out = new ArrayList<>((int) list.size());
        for (long i = 0; i < list.size(); i++) {
            IValue e = list.get(i);
            if (!e.isString()) {
                throw new IllegalStateException("expected a List[str] result, element " + i + " is "
                        + e.tagKind().getString());
            }
            org.bytedeco.javacpp.BytePointer text = e.toStringRef();
            out.add(text == null ? "" : text.getString()); // JavaCPP maps an empty std::string to null
        }
        return out;
    }

    /** The shape of a tensor as text, e.g. {@code [2, 3, 64, 64]}. */
    public static String shape(Tensor t) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < t.dim(); i++) {
            sb.append(i == 0 ? "" : ", ").append(t.size(i));
        }
        return sb.append(']').toString();
    }
}
