package io.irgstream.model;

/**
 * Sampler parameters of one trajectory, carried unchanged through every step.
 *
 * @param temperature think (and reflect) sampling temperature; IRG uses 0.3
 * @param steps       Euler steps of the draw and refine flow samplers
 * @param cfgText     classifier-free guidance scale on the text (IRG: 4.0)
 * @param cfgImage    classifier-free guidance scale on the input image in refine (IRG: 2.0)
 */
public record Sampling(double temperature, int steps, double cfgText, double cfgImage) {
    /** IRG's reference settings scaled to the shapes world. */
    public static final Sampling DEFAULTS = new Sampling(0.3, 20, 4.0, 2.0);

    public Sampling {
        if (!(temperature >= 0 && temperature <= 10)) {
            throw new IllegalArgumentException("temperature must be in [0, 10], got " + temperature);
        }
        if (steps < 1 || steps > 1000) {
            throw new IllegalArgumentException("steps must be in [1, 1000], got " + steps);
        }
        if (!(cfgText >= 0 && cfgText <= 50) || !(cfgImage >= 0 && cfgImage <= 50)) {
            throw new IllegalArgumentException("guidance scales must be in [0, 50], got cfgText=" + cfgText
                    + " cfgImage=" + cfgImage);
        }
    }
}
