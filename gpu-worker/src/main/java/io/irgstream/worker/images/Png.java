package io.irgstream.worker.images;

import io.irgstream.model.RgbImage;
import io.irgstream.schemas.images.ImageIntegrityException;
import io.irgstream.schemas.images.ImageStore;
import io.irgstream.events.ImageRef;

import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Lossless PNG encoding of {@link RgbImage}s. The pixels go to and from ImageIO as an 8-bit interleaved R,G,B raster
 * over the image's own bytes, with no per-pixel colour-model conversion (which took most of the encode and decode
 * time: {@code BufferedImage.setRGB}/{@code getRGB} through the colour model); the PNG bytes are those ImageIO wrote
 * from an {@code INT_RGB} image before (PngTest compares them).
 */
public final class Png {
    public static final String MEDIA_TYPE = "image/png";
    private static final int[] RGB_OFFSETS = {0, 1, 2};
    private static final ComponentColorModel RGB = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
            new int[] {8, 8, 8}, false, false, Transparency.OPAQUE, DataBuffer.TYPE_BYTE);

    private Png() {
    }

    /** Encodes an RGB image as PNG (8-bit, 3 channels). */
    public static byte[] encode(RgbImage image) {
        WritableRaster raster = Raster.createInterleavedRaster(new DataBufferByte(image.pixels(),
                image.pixels().length), image.width(), image.height(), image.width() * 3, 3, RGB_OFFSETS, null);
        BufferedImage bi = new BufferedImage(RGB, raster, false, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        // in memory: ImageIO.write(..., OutputStream) caches through a temporary file while ImageIO.getUseCache()
        try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(bi, "png", ios)) {
                throw new IllegalStateException("no PNG writer available in this JVM");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Encodes {@code image} as PNG and stores it (inline or in the blob store). */
    public static ImageRef store(ImageStore images, RgbImage image) throws IOException {
        return images.put(encode(image), MEDIA_TYPE, image.width(), image.height());
    }

    /** Reads, verifies and decodes the PNG image of {@code ref}. */
    public static RgbImage load(ImageStore images, ImageRef ref) {
        return decode(images.bytes(ref));
    }

    /** Decodes PNG bytes to RGB (alpha, if any, is dropped). */
    public static RgbImage decode(byte[] png) {
        BufferedImage bi;
        try {
            bi = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(png))); // no temporary file
        } catch (IOException e) {
            throw new ImageIntegrityException("image bytes are not a readable PNG: " + e.getMessage(), e);
        }
        if (bi == null) {
            throw new ImageIntegrityException("image bytes are not a readable PNG");
        }
        int w = bi.getWidth();
        int h = bi.getHeight();
        byte[] px = packedRgb(bi);
        if (px != null) {
            return new RgbImage(w, h, px);
        }
        px = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            bi.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                px[i] = (byte) (row[x] >> 16);
                px[i + 1] = (byte) (row[x] >> 8);
                px[i + 2] = (byte) row[x];
            }
        }
        return new RgbImage(w, h, px);
    }

    /**
     * A copy of the pixels when ImageIO decoded them into three interleaved 8-bit sRGB bands without alpha, rows
     * packed (what an 8-bit RGB PNG decodes to: B,G,R bytes), else null (palette, grey, alpha, 16-bit: the caller
     * converts through the colour model).
     */
    private static byte[] packedRgb(BufferedImage bi) {
        int w = bi.getWidth();
        int h = bi.getHeight();
        WritableRaster r = bi.getRaster();
        if (!(bi.getColorModel() instanceof ComponentColorModel cm) || cm.hasAlpha() || cm.getNumComponents() != 3
                || !cm.getColorSpace().isCS_sRGB() || cm.getTransferType() != DataBuffer.TYPE_BYTE
                || !(r.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                || !(r.getDataBuffer() instanceof DataBufferByte db) || db.getNumBanks() != 1 || db.getOffset() != 0
                || r.getParent() != null || r.getSampleModelTranslateX() != 0 || r.getSampleModelTranslateY() != 0) {
            return null;
        }
        for (int bits : cm.getComponentSize()) {
            if (bits != 8) {
                return null;
            }
        }
        int[] o = sm.getBandOffsets();
        int n = w * h * 3;
        if (sm.getNumBands() != 3 || sm.getPixelStride() != 3 || sm.getScanlineStride() != w * 3
                || db.getData().length < n || o[0] + o[1] + o[2] != 3 || o[0] == o[1] || o[1] == o[2] || o[0] == o[2]
                || Math.max(o[0], Math.max(o[1], o[2])) != 2) {
            return null;
        }
        byte[] data = db.getData();
        if (o[0] == 0 && o[1] == 1 && o[2] == 2) {
            return java.util.Arrays.copyOf(data, n);
        }
        byte[] px = new byte[n]; // another order of the three bands, e.g. B,G,R (TYPE_3BYTE_BGR, ImageIO's choice)
        for (int i = 0; i < n; i += 3) {
            px[i] = data[i + o[0]];
            px[i + 1] = data[i + o[1]];
            px[i + 2] = data[i + o[2]];
        }
        return px;
    }
}
