package io.irgstream.shapes.eval;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.prompts.PromptSpec;
import io.irgstream.shapes.world.Color;
import io.irgstream.shapes.world.Shape;

import java.util.ArrayList;
import java.util.List;

/**
 * The pixels-only judge of the shapes world (docs/shapes-world.md). It never sees scene data.
 *
 * <p>Objects are the 8-connected components of non-black pixels (brightest channel above {@value #ON_LEVEL}; a pixel
 * with no such pixel among its four neighbours is a speck and ignored) with at least {@value #MIN_AREA} pixels. A component's color is the palette color most of its pixels are nearest to; its
 * center is its bounding-box center; its shape is the ideal shape (circle, square, triangle apex up, diamond, cross
 * with arms a third of the side) whose mask, fitted to the component's bounding box, overlaps it best (intersection
 * over union), or null when no shape reaches {@value #MIN_IOU}.
 */
public final class Evaluator {
    /** A pixel is part of an object when its brightest channel exceeds this. */
    public static final int ON_LEVEL = 60;
    /** Smallest component counted as an object (smaller ones are specks). */
    public static final int MIN_AREA = 20;
    /** Least intersection over union with the best ideal shape for a component to get a shape. */
    public static final double MIN_IOU = 0.6;

    private final int onLevel;
    private final boolean dropSpecks;

    /** The evaluator with the documented thresholds. */
    public Evaluator() {
        this(ON_LEVEL, true);
    }

    /** An evaluator with another brightness threshold and speck handling (for studies of the judge itself). */
    Evaluator(int onLevel, boolean dropSpecks) {
        this.onLevel = onLevel;
        this.dropSpecks = dropSpecks;
    }

    /** Finds the objects of an image. */
    public List<DetectedObject> detect(RgbImage img) {
        int w = img.width();
        int h = img.height();
        boolean[] on = new boolean[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int m = Math.max(img.get(x, y, 0), Math.max(img.get(x, y, 1), img.get(x, y, 2)));
                on[y * w + x] = m > onLevel;
            }
        }
        if (dropSpecks) {
            boolean[] kept = new boolean[w * h];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = y * w + x;
                    if (on[p]) {
                        int n = (x > 0 && on[p - 1] ? 1 : 0) + (x + 1 < w && on[p + 1] ? 1 : 0)
                                + (y > 0 && on[p - w] ? 1 : 0) + (y + 1 < h && on[p + w] ? 1 : 0);
                        kept[p] = n > 0;
                    }
                }
            }
            on = kept;
        }
        int[] label = new int[w * h];
        int[] stack = new int[w * h];
        List<DetectedObject> out = new ArrayList<>();
        int next = 0;
        for (int start = 0; start < w * h; start++) {
            if (!on[start] || label[start] != 0) {
                continue;
            }
            next++;
            int sp = 0;
            stack[sp++] = start;
            label[start] = next;
            int area = 0;
            int x0 = w;
            int y0 = h;
            int x1 = -1;
            int y1 = -1;
            int[] votes = new int[Color.values().length];
            List<Integer> pixels = new ArrayList<>();
            while (sp > 0) {
                int p = stack[--sp];
                int px = p % w;
                int py = p / w;
                pixels.add(p);
                area++;
                x0 = Math.min(x0, px);
                x1 = Math.max(x1, px);
                y0 = Math.min(y0, py);
                y1 = Math.max(y1, py);
                votes[Color.nearest(img.get(px, py, 0), img.get(px, py, 1), img.get(px, py, 2)).ordinal()]++;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = px + dx;
                        int ny = py + dy;
                        if ((dx != 0 || dy != 0) && nx >= 0 && ny >= 0 && nx < w && ny < h) {
                            int q = ny * w + nx;
                            if (on[q] && label[q] == 0) {
                                label[q] = next;
                                stack[sp++] = q;
                            }
                        }
                    }
                }
            }
            int best = 0;
            for (int c = 1; c < votes.length; c++) {
                if (votes[c] > votes[best]) {
                    best = c;
                }
            }
            Color color = Color.values()[best];
            int half = Math.max(color.r(), Math.max(color.g(), color.b())) / 2;
            List<Integer> core = new ArrayList<>();
            x0 = w;
            y0 = h;
            x1 = -1;
            y1 = -1;
            for (int p : pixels) {
                int px = p % w;
                int py = p / w;
                if (Math.max(img.get(px, py, 0), Math.max(img.get(px, py, 1), img.get(px, py, 2))) >= half) {
                    core.add(p);
                    x0 = Math.min(x0, px);
                    x1 = Math.max(x1, px);
                    y0 = Math.min(y0, py);
                    y1 = Math.max(y1, py);
                }
            }
            core = trimSpurs(core, w, h);
            x0 = w;
            y0 = h;
            x1 = -1;
            y1 = -1;
            for (int p : core) {
                x0 = Math.min(x0, p % w);
                x1 = Math.max(x1, p % w);
                y0 = Math.min(y0, p / w);
                y1 = Math.max(y1, p / w);
            }
            area = core.size();
            if (area < MIN_AREA) {
                continue;
            }
            int bw = x1 - x0 + 1;
            int bh = y1 - y0 + 1;
            boolean[] mask = new boolean[bw * bh];
            for (int p : core) {
                mask[(p / w - y0) * bw + (p % w - x0)] = true;
            }
            area += fillHoles(mask, bw, bh);
            out.add(new DetectedObject(classify(mask, bw, bh, area), color, x0 + bw / 2, y0 + bh / 2,
                    Math.max(bw, bh), area));
        }
        return out;
    }

    /**
     * Drops the pixels of an outline that touch fewer than two others of it (four-neighbourhood): single stray pixels
     * and one-pixel spurs that a painter leaves on an edge, which would otherwise stretch the bounding box.
     */
    private static List<Integer> trimSpurs(List<Integer> core, int w, int h) {
        java.util.Set<Integer> in = new java.util.HashSet<>(core);
        List<Integer> out = new ArrayList<>();
        for (int p : core) {
            int x = p % w;
            int y = p / w;
            int n = (x > 0 && in.contains(p - 1) ? 1 : 0) + (x + 1 < w && in.contains(p + 1) ? 1 : 0)
                    + (y > 0 && in.contains(p - w) ? 1 : 0) + (y + 1 < h && in.contains(p + w) ? 1 : 0);
            if (n >= 2) {
                out.add(p);
            }
        }
        return out;
    }

    /** Fills the pixels of the mask that the outside cannot reach (holes); returns how many were filled. */
    private static int fillHoles(boolean[] mask, int bw, int bh) {
        boolean[] outside = new boolean[bw * bh];
        int[] stack = new int[bw * bh];
        int sp = 0;
        for (int y = 0; y < bh; y++) {
            for (int x = 0; x < bw; x++) {
                int p = y * bw + x;
                if ((x == 0 || y == 0 || x == bw - 1 || y == bh - 1) && !mask[p]) {
                    outside[p] = true;
                    stack[sp++] = p;
                }
            }
        }
        while (sp > 0) {
            int p = stack[--sp];
            int x = p % bw;
            int y = p / bw;
            int[] next = {x > 0 ? p - 1 : -1, x + 1 < bw ? p + 1 : -1, y > 0 ? p - bw : -1, y + 1 < bh ? p + bw : -1};
            for (int q : next) {
                if (q >= 0 && !mask[q] && !outside[q]) {
                    outside[q] = true;
                    stack[sp++] = q;
                }
            }
        }
        int filled = 0;
        for (int p = 0; p < mask.length; p++) {
            if (!mask[p] && !outside[p]) {
                mask[p] = true;
                filled++;
            }
        }
        return filled;
    }

    /** Whether the image passes the prompt. */
    public boolean passes(PromptSpec prompt, RgbImage img) {
        return prompt.passes(detect(img));
    }

    private static Shape classify(boolean[] mask, int bw, int bh, int area) {
        Shape best = null;
        double bestIou = 0;
        int side = Math.max(bw, bh);
        for (Shape s : Shape.values()) {
            for (int size = side; size <= side + 1; size++) {
                double iou = iou(mask, bw, bh, area, s, size);
                if (iou > bestIou) {
                    bestIou = iou;
                    best = s;
                }
            }
        }
        return bestIou >= MIN_IOU ? best : null;
    }

    /** IoU of the component with the ideal shape of box side {@code s}, both cropped to their bounding boxes. */
    private static double iou(boolean[] mask, int bw, int bh, int area, Shape shape, int s) {
        int tx0 = s;
        int ty0 = s;
        int tx1 = -1;
        int ty1 = -1;
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                if (ideal(shape, s, x, y)) {
                    tx0 = Math.min(tx0, x);
                    tx1 = Math.max(tx1, x);
                    ty0 = Math.min(ty0, y);
                    ty1 = Math.max(ty1, y);
                }
            }
        }
        if (tx1 < 0) {
            return 0;
        }
        int inter = 0;
        int tArea = 0;
        for (int y = ty0; y <= ty1; y++) {
            for (int x = tx0; x <= tx1; x++) {
                if (ideal(shape, s, x, y)) {
                    tArea++;
                    int mx = x - tx0;
                    int my = y - ty0;
                    if (mx < bw && my < bh && mask[my * bw + mx]) {
                        inter++;
                    }
                }
            }
        }
        return inter / (double) (area + tArea - inter);
    }

    /** The ideal shapes of docs/shapes-world.md, for pixel (x, y) of a box of side s (pixel centers at +0.5). */
    static boolean ideal(Shape shape, int s, int x, int y) {
        double dx = x + 0.5 - s / 2.0;
        double dy = y + 0.5 - s / 2.0;
        double r = s / 2.0;
        return switch (shape) {
            case SQUARE -> true;
            case CIRCLE -> dx * dx + dy * dy <= r * r;
            case DIAMOND -> Math.abs(dx) + Math.abs(dy) <= r;
            case TRIANGLE -> Math.abs(dx) <= (y + 0.5) / s * r;
            case CROSS -> {
                int arm = Math.max(2, Math.round(s / 3f));
                int lo = (s - arm) / 2;
                yield (x >= lo && x < lo + arm) || (y >= lo && y < lo + arm);
            }
        };
    }
}
