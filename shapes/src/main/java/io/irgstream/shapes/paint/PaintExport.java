package io.irgstream.shapes.paint;

import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.train.TorchSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.global.torch;

/**
 * Re-exports trained painter weights into a fresh module of the current served source, with a chosen sampling
 * schedule shift and weight precision. Usage:
 * {@code PaintExport draw|refine FROM.pt TO.pt [--shift S] [--snap LEVELS] [--float32]} (FROM is a checkpoint's {@code -ema.pt}).
 */
public final class PaintExport {
    private PaintExport() {
    }

    /** Copies the weights of {@code from} (same architecture) into a fresh module and saves it to {@code to}. */
    public static void export(String step, Path from, Path to, double shift, boolean half, double snap) throws java.io.IOException {
        TorchSetup.init(1);
        JitModule src = torch.load(from.toString());
        ModuleParams p = ModuleParams.of(src);
        int c1 = (int) p.tensors().get(p.names().indexOf("inc_w")).size(0);
        int c2 = (int) p.tensors().get(p.names().indexOf("d1_w")).size(0);
        int c3 = (int) p.tensors().get(p.names().indexOf("d2_w")).size(0);
        JitModule fresh = switch (step) {
            case "draw" -> DrawModel.create(new DrawModel.Config(c1, c2, c3, shift));
            case "refine" -> RefineModel.create(new RefineModel.Config(c1, c2, c3, shift, snap));
            default -> throw new IllegalArgumentException("unknown step '" + step + "': expected draw or refine");
        };
        ModuleParams fp = ModuleParams.of(fresh);
        if (!fp.names().equals(p.names())) {
            throw new IllegalArgumentException(from + " does not hold the parameters of a " + step + " module");
        }
        for (int i = 0; i < fp.tensors().size(); i++) {
            fp.tensors().get(i).detach().copy_(p.tensors().get(i).detach());
        }
        fresh.eval();
        if (half) {
            fresh.to(torch.ScalarType.Half);
        }
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        if (to.getParent() != null) {
            Files.createDirectories(to.getParent());
        }
        fresh.save(tmp.toString());
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Command-line entry. */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: PaintExport draw|refine FROM.pt TO.pt [--shift S] [--snap LEVELS] [--float32]");
            System.exit(2);
        }
        double shift = 1.0;
        boolean half = true;
        double snap = RefineModel.Config.FULL.snapLevels();
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--shift" -> shift = Double.parseDouble(args[++i]);
                case "--float32" -> half = false;
                case "--snap" -> snap = Double.parseDouble(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        export(args[0], Path.of(args[1]), Path.of(args[2]), shift, half, snap);
        System.out.println("wrote " + args[2] + " (" + Files.size(Path.of(args[2])) + " bytes, shift " + shift
                + (half ? ", float16 weights)" : ", float32 weights)"));
    }
}
