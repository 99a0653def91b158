package io.irgstream.shapes.world;

import io.irgstream.model.RgbImage;

/**
 * Procedural renderer of scenes: black background, exact flat colors, hard edges.
 *
 * <p>TRAINING AND TEST ONLY: it makes training data and checks the evaluator. It is never called to serve a step;
 * draw and refine are generative networks (docs/shapes-world.md, honesty rules).
 */
public final class Renderer {
    private Renderer() {
    }

    /** Renders a scene to a 64x64 RGB image. */
    public static RgbImage render(Scene scene) {
        byte[] px = new byte[Scene.SIZE * Scene.SIZE * 3];
        for (SceneObject o : scene.objects()) {
            paint(px, o);
        }
        return new RgbImage(Scene.SIZE, Scene.SIZE, px);
    }

    /**
     * Renders any list of objects (possibly empty, possibly not a valid scene; pixels outside the canvas are dropped),
     * for training pairs such as a draft that misses its only object.
     */
    public static RgbImage renderObjects(java.util.List<SceneObject> objects) {
        byte[] px = new byte[Scene.SIZE * Scene.SIZE * 3];
        for (SceneObject o : objects) {
            paint(px, o);
        }
        return new RgbImage(Scene.SIZE, Scene.SIZE, px);
    }

    /** Whether pixel (px, py), relative to the box's top-left corner, is covered by a shape of box side s. */
    public static boolean covers(Shape shape, int s, int px, int py) {
        if (px < 0 || py < 0 || px >= s || py >= s) {
            return false;
        }
        double dx = px + 0.5 - s / 2.0;
        double dy = py + 0.5 - s / 2.0;
        double h = s / 2.0;
        switch (shape) {
            case SQUARE:
                return true;
            case CIRCLE:
                return dx * dx + dy * dy <= h * h;
            case DIAMOND:
                return Math.abs(dx) + Math.abs(dy) <= h;
            case TRIANGLE: {
                double t = (py + 0.5) / s;
                return Math.abs(dx) <= t * h;
            }
            case CROSS: {
                int w = crossArm(s);
                int lo = (s - w) / 2;
                return (px >= lo && px < lo + w) || (py >= lo && py < lo + w);
            }
            default:
                throw new IllegalStateException("unknown shape " + shape);
        }
    }

    /** Arm width of a cross of box side s: about a third of the side. */
    public static int crossArm(int s) {
        return Math.max(2, Math.round(s / 3f));
    }

    private static void paint(byte[] px, SceneObject o) {
        int s = o.size();
        for (int j = 0; j < s; j++) {
            for (int i = 0; i < s; i++) {
                int gx = o.x() + i;
                int gy = o.y() + j;
                if (gx >= 0 && gy >= 0 && gx < Scene.SIZE && gy < Scene.SIZE && covers(o.shape(), s, i, j)) {
                    int at = ((o.y() + j) * Scene.SIZE + (o.x() + i)) * 3;
                    px[at] = (byte) o.color().r();
                    px[at + 1] = (byte) o.color().g();
                    px[at + 2] = (byte) o.color().b();
                }
            }
        }
    }
}
