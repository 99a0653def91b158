package io.irgstream.shapes.paint;

import org.bytedeco.pytorch.JitModule;

/**
 * The draw step's TorchScript module (step contract v1): a layout-conditioned rectified-flow UNet ({@link FlowUNet})
 * with an Euler sampler and classifier-free guidance on the text, all inside the module.
 *
 * <p>{@code draw(prompts, thoughts, noise, steps, cfg_text)} parses each thought
 * ({@code <color> <shape> at x <cx> y <cy> size <s> ; ...}) into a 16-channel layout map and tokenizes the prompt; an
 * empty thought leaves the layout empty, so the network draws from the prompt alone (the no-think baseline).
 * Flow convention: {@code x_t = (1 - t) x_0 + t noise}, the network predicts {@code noise - x_0}, sampling integrates
 * from t = 1 to t = 0 (optionally on a shifted schedule). Unconditional = empty layout and no prompt tokens.
 * The training loss weights the planned objects' boxes 5x over the background (the per-pixel optimum is unchanged).
 */
public final class DrawModel {
    /**
     * Size and sampler constants of a draw module.
     *
     * @param c1        channels at 64 px
     * @param c2        channels at 32 px
     * @param c3        channels at 16 px
     * @param timeShift sampling schedule shift (1 = uniform steps; IRG uses 3)
     */
    public record Config(int c1, int c2, int c3, double timeShift) {
        /** The full-size painter (about 1.2M parameters). */
        public static final Config FULL = new Config(32, 64, 128, 1.0);
        /** A tiny painter for quick runs and tests. */
        public static final Config QUICK = new Config(8, 16, 32, 1.0);

        /** A copy with another schedule shift. */
        public Config withShift(double shift) {
            return new Config(c1, c2, c3, shift);
        }
    }

    private DrawModel() {
    }

    /** Creates a freshly initialised draw module (initialisation uses the current libtorch seed). */
    public static JitModule create(Config cfg) {
        return FlowUNet.module("IrgShapesDraw", 3, cfg.c1(), cfg.c2(), cfg.c3(), source(cfg));
    }

    private static String source(Config cfg) {
        return FlowUNet.contractSource("draw", cfg.timeShift()) + """
                def train_loss(self, x0: Tensor, layout: Tensor, pids: Tensor, noise: Tensor, t: Tensor) -> Tensor:
                    tt = t.view(-1, 1, 1, 1)
                    xt = (1.0 - tt) * x0 + tt * noise
                    v = self.velocity(xt, t, layout, pids)
                    w = 1.0 + 4.0 * layout[:, 13:14]
                    return torch.sum(w * (v - (noise - x0)) ** 2) / (3.0 * torch.sum(w))

                def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                    x = noise.float()
                    b = x.size(0)
                    lay = self.layout(thoughts).to(x.device)
                    pids = self.prompt_ids(prompts).to(x.device)
                    guided = cfg_text != 1.0
                    lay2 = torch.cat([lay, torch.zeros_like(lay)], 0)
                    pids2 = torch.cat([pids, torch.zeros_like(pids)], 0)
                    shift = self.time_shift()
                    for i in range(steps):
                        t0 = self.shift_t(1.0 - float(i) / float(steps), shift)
                        t1 = self.shift_t(1.0 - float(i + 1) / float(steps), shift)
                        if guided:
                            v2 = self.velocity(torch.cat([x, x], 0), x.new_full([2 * b], t0), lay2, pids2)
                            vc = v2[:b]
                            vu = v2[b:]
                            v = vu + cfg_text * (vc - vu)
                        else:
                            v = self.velocity(x, x.new_full([b], t0), lay, pids)
                        x = (x + (t1 - t0) * v).detach()
                    return ((x.clamp(-1.0, 1.0) + 1.0) * 127.5).round().byte()
                """;
    }
}
