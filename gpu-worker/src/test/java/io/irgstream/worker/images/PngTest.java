package io.irgstream.worker.images;

import static org.assertj.core.api.Assertions.assertThat;

import io.irgstream.model.RgbImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * PNG encoding and decoding over interleaved rasters give what the per-pixel {@code setRGB}/{@code getRGB} route of
 * ImageIO gave: the same PNG bytes (so the same sha256 for the same image) and the same pixels, for the 8-bit RGB
 * PNGs the workers write and for the other kinds of PNG (grey, alpha, palette) a client may send.
 */
class PngTest {

    private static List<RgbImage> images() {
        Random rnd = new Random(42);
        List<RgbImage> out = new java.util.ArrayList<>();
        for (int[] size : new int[][] {{1, 1}, {16, 16}, {64, 64}, {37, 5}, {5, 37}}) {
            byte[] noise = new byte[size[0] * size[1] * 3];
            rnd.nextBytes(noise);
            out.add(new RgbImage(size[0], size[1], noise));
            byte[] shapes = new byte[size[0] * size[1] * 3]; // flat areas and edges, like the shapes images
            for (int y = 0; y < size[1]; y++) {
                for (int x = 0; x < size[0]; x++) {
                    int i = (y * size[0] + x) * 3;
                    boolean in = (x - size[0] / 2) * (x - size[0] / 2) + (y - size[1] / 2) * (y - size[1] / 2)
                            < size[0] * size[1] / 8;
                    shapes[i] = (byte) (in ? 220 : 255);
                    shapes[i + 1] = (byte) (in ? 30 : 255);
                    shapes[i + 2] = (byte) (in ? 40 : 250);
                }
            }
            out.add(new RgbImage(size[0], size[1], shapes));
        }
        return out;
    }

    @Test
    void shouldWriteTheBytesTheIntRgbRouteWroteAndReadBackThePixels() throws Exception {
        for (RgbImage image : images()) {
            byte[] png = Png.encode(image);
            assertThat(png).as("%dx%d", image.width(), image.height()).isEqualTo(viaIntRgb(image));
            assertThat(Png.decode(png)).isEqualTo(image);
            assertThat(Png.decode(png)).isEqualTo(viaGetRgb(png));
        }
    }

    @Test
    void shouldDecodeOtherKindsOfPngAsTheGetRgbRouteDid() throws Exception {
        Random rnd = new Random(7);
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_INT_ARGB,
                BufferedImage.TYPE_BYTE_INDEXED, BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_USHORT_GRAY}) {
            BufferedImage bi = new BufferedImage(9, 7, type);
            for (int y = 0; y < 7; y++) {
                for (int x = 0; x < 9; x++) {
                    bi.setRGB(x, y, rnd.nextInt());
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(ImageIO.write(bi, "png", out)).isTrue();
            byte[] png = out.toByteArray();
            assertThat(Png.decode(png)).as("type %d", type).isEqualTo(viaGetRgb(png));
        }
    }

    /** The encoder as it was: an INT_RGB image filled with setRGB. */
    private static byte[] viaIntRgb(RgbImage image) throws Exception {
        BufferedImage bi = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                bi.setRGB(x, y, (image.get(x, y, 0) << 16) | (image.get(x, y, 1) << 8) | image.get(x, y, 2));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(bi, "png", out);
        return out.toByteArray();
    }

    /** The decoder as it was: getRGB of every pixel, alpha dropped. */
    private static RgbImage viaGetRgb(byte[] png) throws Exception {
        BufferedImage bi = ImageIO.read(new ByteArrayInputStream(png));
        byte[] px = new byte[bi.getWidth() * bi.getHeight() * 3];
        for (int y = 0; y < bi.getHeight(); y++) {
            for (int x = 0; x < bi.getWidth(); x++) {
                int rgb = bi.getRGB(x, y);
                int i = (y * bi.getWidth() + x) * 3;
                px[i] = (byte) (rgb >> 16);
                px[i + 1] = (byte) (rgb >> 8);
                px[i + 2] = (byte) rgb;
            }
        }
        return new RgbImage(bi.getWidth(), bi.getHeight(), px);
    }
}
