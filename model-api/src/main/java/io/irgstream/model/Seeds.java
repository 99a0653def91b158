package io.irgstream.model;

import java.util.SplittableRandom;

/**
 * Deterministic seeds and noise. A step's seed is derived from (trajectory seed, step, round) only, and all the
 * random tensors a model consumes are generated here from that seed, in Java, so a result does not depend on the
 * batch it ran in, the device, or the thread count.
 */
public final class Seeds {
    private Seeds() {
    }

    /** The seed of {@code step} in round {@code round} (1-based; think and draw use round 0) of a trajectory. */
    public static long stepSeed(long trajectorySeed, Step step, int round) {
        long h = mix(trajectorySeed ^ 0x9E3779B97F4A7C15L);
        h = mix(h + 0x632BE59BD9B4E019L * (step.ordinal() + 1));
        return mix(h + 0x85157AF5L * (round + 1L));
    }

    /** {@code n} standard normal floats from {@code seed}. */
    public static float[] gaussian(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i += 2) {
            // Box-Muller: two normals from two uniforms in (0, 1].
            double u1 = 1.0 - r.nextDouble();
            double u2 = r.nextDouble();
            double rad = Math.sqrt(-2.0 * Math.log(u1));
            out[i] = (float) (rad * Math.cos(2 * Math.PI * u2));
            if (i + 1 < n) {
                out[i + 1] = (float) (rad * Math.sin(2 * Math.PI * u2));
            }
        }
        return out;
    }

    /** {@code n} uniform floats in [0, 1) from {@code seed}. */
    public static float[] uniform(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r.nextDouble();
        }
        return out;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
