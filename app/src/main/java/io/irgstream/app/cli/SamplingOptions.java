package io.irgstream.app.cli;

import io.irgstream.events.SamplerParams;
import picocli.CommandLine.Option;

/** Sampler parameters a client may set per trajectory. */
public final class SamplingOptions {
    @Option(names = "--temperature", defaultValue = "0.3", description = "Think/reflect sampling temperature (default: ${DEFAULT-VALUE}, as IRG).")
    double temperature;

    @Option(names = "--steps", defaultValue = "20", description = "Euler steps of draw and refine (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--cfg-text", defaultValue = "4.0", description = "Text guidance scale (default: ${DEFAULT-VALUE}).")
    double cfgText;

    @Option(names = "--cfg-image", defaultValue = "2.0", description = "Image guidance scale of refine (default: ${DEFAULT-VALUE}).")
    double cfgImage;

    SamplerParams sampler() {
        return SamplerParams.newBuilder().setTemperature(temperature).setSteps(steps).setCfgText(cfgText)
                .setCfgImage(cfgImage).build();
    }
}
