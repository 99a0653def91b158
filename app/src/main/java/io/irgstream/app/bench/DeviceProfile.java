package io.irgstream.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.irgstream.model.Step;
import io.irgstream.schemas.AvroJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * How long a device takes for one model call of each step, by batch size: the time the simulated device of
 * {@code ./irg bench --simulated-device} waits per call (see {@link ReplayStepModel}). A step's time at batch size
 * {@code b} is interpolated between its measured times at batch 1 ({@code t1}) and 16 ({@code t16}):
 * {@code t1 + (t16 - t1) * (b - 1) / 15} for {@code b <= 16}, and {@code t16 * b / 16} above (a device that is full at
 * 16 runs larger batches as several of 16).
 *
 * <p>The default, {@code simulated-h200.json} beside this class, is draw measured on an H200 (60 ms per call at
 * batch 1, 82 ms at batch 16) and the other steps in the proportion of the CPU figures of docs/models.md's per-step
 * speed table; its {@code source} says which. {@code --device-profile FILE} reads another file of the same shape:
 * <pre>{@code
 * {"device": "h200", "source": "where the figures come from",
 *  "steps": {"think": {"batch1Ms": 1.1, "batch16Ms": 2.6}, "draw": {...}, "reflect": {...}, "refine": {...}}}
 * }</pre>
 *
 * @param device what the figures were measured on (named in the replay models' provenance)
 * @param source where the figures come from
 * @param steps  the time of each of the four steps
 */
public record DeviceProfile(String device, String source, Map<Step, StepTime> steps) {
    /** The classpath resource of the default profile. */
    public static final String DEFAULT_RESOURCE = "simulated-h200.json";

    public DeviceProfile {
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("the device profile names no device");
        }
        for (Step s : Step.values()) {
            if (steps == null || !steps.containsKey(s)) {
                throw new IllegalArgumentException("the device profile of " + device + " has no time for the "
                        + s.id() + " step");
            }
        }
        steps = Map.copyOf(steps);
        source = source == null ? "" : source;
    }

    /**
     * One step's time per model call.
     *
     * @param batch1Ms  milliseconds per call of one item
     * @param batch16Ms milliseconds per call of 16 items
     */
    public record StepTime(double batch1Ms, double batch16Ms) {
        public StepTime {
            if (!(batch1Ms > 0) || !(batch16Ms > 0) || Double.isInfinite(batch1Ms) || Double.isInfinite(batch16Ms)) {
                throw new IllegalArgumentException("step times must be positive milliseconds, got batch1Ms=" + batch1Ms
                        + ", batch16Ms=" + batch16Ms);
            }
        }

        /** Nanoseconds per call of {@code batch} items. */
        public long nanos(int batch) {
            if (batch < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batch);
            }
            double ms = batch <= 16 ? batch1Ms + (batch16Ms - batch1Ms) * (batch - 1) / 15.0 : batch16Ms * batch / 16.0;
            return Math.round(ms * 1_000_000.0);
        }
    }

    /** Nanoseconds one call of {@code step} on {@code batch} items takes on this device. */
    public long nanos(Step step, int batch) {
        return steps.get(step).nanos(batch);
    }

    /** The default profile (an H200, see the class comment). */
    public static DeviceProfile defaultProfile() {
        try (InputStream in = DeviceProfile.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the default device profile " + DEFAULT_RESOURCE + " is not on the classpath");
            }
            return parse(AvroJson.MAPPER.readTree(in), DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the default device profile " + DEFAULT_RESOURCE, e);
        }
    }

    /**
     * Reads a profile file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static DeviceProfile read(Path file) {
        JsonNode root;
        try {
            root = AvroJson.MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the device profile " + file + ": " + e.getMessage(), e);
        }
        return parse(root, file.toString());
    }

    private static DeviceProfile parse(JsonNode root, String where) {
        try {
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            JsonNode steps = root.path("steps");
            if (!steps.isObject()) {
                throw new IllegalArgumentException("expected \"steps\": {\"think\": {\"batch1Ms\": ..., \"batch16Ms\": ...}, ...}");
            }
            Map<Step, StepTime> times = new EnumMap<>(Step.class);
            for (var it = steps.fields(); it.hasNext(); ) {
                var e = it.next();
                Step step = Step.parse(e.getKey());
                JsonNode b1 = e.getValue().get("batch1Ms");
                JsonNode b16 = e.getValue().get("batch16Ms");
                if (b1 == null || !b1.isNumber() || b16 == null || !b16.isNumber()) {
                    throw new IllegalArgumentException("the " + step.id() + " step needs numbers batch1Ms and batch16Ms");
                }
                times.put(step, new StepTime(b1.asDouble(), b16.asDouble()));
            }
            return new DeviceProfile(root.path("device").asText(""), root.path("source").asText(""), times);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device profile " + where + ": " + e.getMessage(), e);
        }
    }
}
