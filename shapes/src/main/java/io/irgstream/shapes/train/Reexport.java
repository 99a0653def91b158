package io.irgstream.shapes.train;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.irgstream.model.torch.TorchScriptStepModel;
import io.irgstream.model.Step;
import io.irgstream.shapes.reflect.ReflectModule;
import io.irgstream.shapes.think.ThinkModule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Re-exports a think or reflect module after a change of its TorchScript code (decoding, {@code reflect_logic.py},
 * the prompt grammar) or of how its weights are stored: the current source with the weights of a saved module
 * (reflect: unchanged, {@link ReflectModule#reexport}; think: stored in float16, {@link ThinkModule#reexport}), and
 * the change recorded in the folder's {@code manifest.json} under {@code models.<step>}: new sha256 and size, and
 * {@code reexport} (when, why, from which file and sha256, what happened to the weights); the training entry stays.
 *
 * <pre>
 * java -cp ... io.irgstream.shapes.train.Reexport --step think|reflect [--from FILE] [--out DIR] --why "what changed"
 * </pre>
 * {@code --from} defaults to {@code <out>/<step>.pt}, {@code --out} to {@code models/shapes}.
 */
public final class Reexport {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Two-space indents and {@code "key": value}, as the committed manifest is written. */
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter(Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);

    private Reexport() {
    }

    /**
     * Re-exports {@code from} to {@code outDir/<step>.pt} and records it in {@code outDir/manifest.json}.
     *
     * @return the manifest's new {@code reexport} entry
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> run(Step step, Path from, Path outDir, String why) {
        if (!Files.isRegularFile(from)) {
            throw new IllegalArgumentException("no " + step.id() + " module " + from + " to re-export");
        }
        String fromSha = TorchScriptStepModel.sha256(from);
        Path to = outDir.resolve(step.id() + ".pt");
        String weights = switch (step) {
            case REFLECT -> "unchanged: " + ReflectModule.reexport(from, to)
                    + " detector parameters copied by name and checked equal after saving";
            case THINK -> String.format(java.util.Locale.ROOT, "stored in float16 (computed in float32): every"
                    + " parameter copied by name, largest change %.2e (float16 rounding)", ThinkModule.reexport(from, to));
            default -> throw new IllegalArgumentException("only think and reflect are re-exported this way, not "
                    + step.id());
        };
        Map<String, Object> manifest = read(outDir);
        Map<String, Object> models = (Map<String, Object>) manifest.computeIfAbsent("models",
                k -> new LinkedHashMap<String, Object>());
        Map<String, Object> old = (Map<String, Object>) models.get(step.id());
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("file", step.id() + ".pt");
        entry.put("sha256", TorchScriptStepModel.sha256(to));
        entry.put("contract_version", TorchScriptStepModel.CONTRACT_VERSION);
        try {
            entry.put("bytes", Files.size(to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (old != null) {
            for (Map.Entry<String, Object> e : old.entrySet()) {
                if (!entry.containsKey(e.getKey()) && !e.getKey().equals("reexport")) {
                    entry.put(e.getKey(), e.getValue());
                }
            }
        }
        Map<String, Object> re = new LinkedHashMap<>();
        re.put("at", Instant.now().toString());
        re.put("why", why);
        re.put("from_file", from.toString());
        re.put("from_sha256", fromSha);
        re.put("weights", weights);
        if (old != null && old.get("reexport") != null) {
            re.put("previous", old.get("reexport"));
        }
        entry.put("reexport", re);
        models.put(step.id(), entry);
        write(outDir, manifest);
        return re;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path dir) {
        Path f = dir.resolve("manifest.json");
        if (!Files.exists(f)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model_set", "shapes");
            return m;
        }
        try {
            return JSON.readValue(f.toFile(), LinkedHashMap.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read manifest " + f, e);
        }
    }

    private static void write(Path dir, Map<String, Object> manifest) {
        Path tmp = dir.resolve("manifest.json.tmp");
        try {
            JSON.writer(PRETTY).writeValue(tmp.toFile(), manifest);
            Files.move(tmp, dir.resolve("manifest.json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write manifest in " + dir, e);
        }
    }

    /** {@code --step think|reflect [--from FILE] [--out DIR] --why TEXT}. */
    public static void main(String[] args) {
        Step step = null;
        Path out = Path.of("models/shapes");
        Path from = null;
        String why = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--step" -> step = Step.parse(args[++i]);
                case "--from" -> from = Path.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--why" -> why = args[++i];
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "': expected --step think|reflect, --from FILE, --out DIR or --why TEXT");
            }
        }
        if (step == null) {
            throw new IllegalArgumentException("--step think|reflect is required");
        }
        if (why == null || why.isBlank()) {
            throw new IllegalArgumentException("--why TEXT is required: say what changed in the module's code");
        }
        TorchSetup.init(1);
        Path src = from != null ? from : out.resolve(step.id() + ".pt");
        Map<String, Object> re = run(step, src, out, why);
        System.out.println("re-exported " + src + " to " + out.resolve(step.id() + ".pt") + ": " + re);
    }
}
