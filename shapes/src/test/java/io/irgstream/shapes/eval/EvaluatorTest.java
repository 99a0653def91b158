package io.irgstream.shapes.eval;

import io.irgstream.model.RgbImage;
import io.irgstream.shapes.world.Renderer;
import io.irgstream.shapes.world.Scene;
import io.irgstream.shapes.world.SceneObject;
import io.irgstream.shapes.world.SceneSampler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluatorTest {
    private final Evaluator evaluator = new Evaluator();

    /** Whether the detections equal the scene: same count, and each object matched by shape, color and center. */
    static boolean agrees(Scene scene, List<DetectedObject> found) {
        if (found.size() != scene.objects().size()) {
            return false;
        }
        List<DetectedObject> left = new ArrayList<>(found);
        for (SceneObject o : scene.objects()) {
            DetectedObject m = left.stream()
                    .min(Comparator.comparingInt(d -> Math.abs(d.cx() - o.centerX()) + Math.abs(d.cy() - o.centerY())))
                    .orElseThrow();
            if (m.shape() != o.shape() || m.color() != o.color() || Math.abs(m.cx() - o.centerX()) > 1
                    || Math.abs(m.cy() - o.centerY()) > 1) {
                return false;
            }
            left.remove(m);
        }
        return true;
    }

    @Test
    void shouldAgreeWithTruthOnAtLeast99PercentWhenImagesAreRendered() {
        Random rnd = new Random(7);
        int n = 2000;
        int ok = 0;
        List<String> misses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene s = SceneSampler.random(rnd);
            List<DetectedObject> found = evaluator.detect(Renderer.render(s));
            if (agrees(s, found)) {
                ok++;
            } else if (misses.size() < 5) {
                misses.add(s + " -> " + found);
            }
        }
        System.out.printf("evaluator agreement with truth on %d rendered scenes: %.4f%n", n, ok / (double) n);
        misses.forEach(System.out::println);
        assertThat(ok / (double) n).isGreaterThanOrEqualTo(0.99);
    }

    @Test
    void shouldFindNothingWhenImageIsBlackOrOnlySpecks() {
        byte[] px = new byte[64 * 64 * 3];
        px[(10 * 64 + 10) * 3] = (byte) 230;
        assertThat(evaluator.detect(new RgbImage(64, 64, px))).isEmpty();
    }
}
