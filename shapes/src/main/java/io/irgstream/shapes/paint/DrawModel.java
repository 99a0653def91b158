package io.irgstream.shapes.paint;

import org.bytedeco.pytorch.JitModule;

/**
 * The draw step's TorchScript module (step contract v1): a layout-conditioned rectified-flow UNet ({@link FlowUNet})
 * with an Euler sampler and classifier-free guidance on the text, all inside the module.
 *
 * <p>{@code draw(prompts, thoughts, noise, steps, cfg_text)} parses each thought
 * ({@code <color> <shape> at x <cx> y <cy> size <s> ; ...}) into a 16-channel layout map and tokenizes the prompt; an
 * empty thought leaves the layout empty. A draw module made by {@link #combine} holds the no-think painter
 * ({@link NoThinkModel}) and sends it the rows whose thought is empty (the no-think baseline: a network that has
 * learned layout from the prompt text); this module's own prompt-only path (20% of its training rows) is then unused
 * when serving.
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

    /** Name of the no-think submodule of a combined draw module. */
    public static final String NO_THINK = "nothink";

    /** Creates a freshly initialised draw module (initialisation uses the current libtorch seed). */
    public static JitModule create(Config cfg) {
        return FlowUNet.module("IrgShapesDraw", 3, cfg.c1(), cfg.c2(), cfg.c3(), source(cfg) + """
                def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                    return self.draw_plans(prompts, thoughts, noise, steps, cfg_text)
                """);
    }

    /**
     * A draw module that holds the no-think painter {@code noThink} ({@link NoThinkModel}) as its submodule
     * {@value #NO_THINK}: {@code draw} sends the rows whose thought is empty (or blank) to it and the others, as one
     * sub-batch in their order, to this module's layout painter, exactly as a draw module without it would paint them.
     * The layout painter's weights are freshly initialised here: copy trained ones in with {@link #combine}.
     */
    public static JitModule createWithNoThink(Config cfg, JitModule noThink) {
        return FlowUNet.module("IrgShapesDraw", 3, cfg.c1(), cfg.c2(), cfg.c3(), source(cfg) + """
                def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                    plan_rows: List[int] = []
                    free_rows: List[int] = []
                    for i in range(len(thoughts)):
                        if len(thoughts[i].strip()) == 0:
                            free_rows.append(i)
                        else:
                            plan_rows.append(i)
                    if len(free_rows) == 0:
                        return self.draw_plans(prompts, thoughts, noise, steps, cfg_text)
                    if len(plan_rows) == 0:
                        return self.nothink.paint(prompts, noise, steps, cfg_text)
                    pi = torch.tensor(plan_rows).to(noise.device)
                    fi = torch.tensor(free_rows).to(noise.device)
                    planned = self.draw_plans([prompts[i] for i in plan_rows], [thoughts[i] for i in plan_rows], noise.index_select(0, pi), steps, cfg_text)
                    free = self.nothink.paint([prompts[i] for i in free_rows], noise.index_select(0, fi), steps, cfg_text)
                    parts: List[Tensor] = []
                    pj = 0
                    fj = 0
                    for i in range(len(thoughts)):
                        if len(thoughts[i].strip()) == 0:
                            parts.append(free[fj:fj + 1])
                            fj += 1
                        else:
                            parts.append(planned[pj:pj + 1])
                            pj += 1
                    return torch.cat(parts, 0)

                def no_think_shift(self) -> float:
                    return self.nothink.time_shift()
                """, NO_THINK, noThink);
    }

    /**
     * The served draw module: a fresh {@link #createWithNoThink} holding the weights of the layout painter
     * {@code draw} (a draw module, combined or not) and of the no-think painter {@code noThink} (a no-think module,
     * or a combined draw module whose submodule is taken), each in a fresh module of the current source, in eval mode.
     *
     * @param timeShift the layout painter's schedule shift (the no-think painter keeps its own)
     */
    public static JitModule combine(JitModule draw, JitModule noThink, double timeShift, double noThinkShift) {
        io.irgstream.shapes.train.ModuleParams dp = io.irgstream.shapes.train.ModuleParams.of(draw);
        io.irgstream.shapes.train.ModuleParams np = io.irgstream.shapes.train.ModuleParams.of(noThink);
        String ntPrefix = np.names().contains(NO_THINK + ".inc_w") ? NO_THINK + "." : "";
        NoThinkModel.Config ntc = NoThinkModel.configOf(np, ntPrefix, noThinkShift);
        JitModule nt = NoThinkModel.create(ntc);
        io.irgstream.shapes.train.ModuleParams ntp = io.irgstream.shapes.train.ModuleParams.of(nt);
        if (NoThinkModel.copyMatching(np, ntPrefix, ntp).size() != ntp.names().size()) {
            throw new IllegalArgumentException("the no-think weights do not fit a no-think module of " + ntc);
        }
        Config dc = new Config((int) dp.tensors().get(dp.names().indexOf("inc_w")).size(0),
                (int) dp.tensors().get(dp.names().indexOf("d1_w")).size(0),
                (int) dp.tensors().get(dp.names().indexOf("d2_w")).size(0), timeShift);
        JitModule out = createWithNoThink(dc, nt);
        io.irgstream.shapes.train.ModuleParams op = io.irgstream.shapes.train.ModuleParams.of(out);
        int own = 0;
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            for (int i = 0; i < op.names().size(); i++) {
                String n = op.names().get(i);
                if (n.startsWith(NO_THINK + ".")) {
                    continue;
                }
                int j = dp.names().indexOf(n);
                if (j < 0) {
                    throw new IllegalArgumentException("the draw weights have no parameter " + n);
                }
                op.tensors().get(i).detach().copy_(dp.tensors().get(j).detach());
                own++;
            }
        }
        if (own == 0) {
            throw new IllegalArgumentException("no draw weights copied");
        }
        out.eval();
        return out;
    }

    /** Whether a module (e.g. a loaded draw.pt) holds a no-think submodule. */
    public static boolean hasNoThink(JitModule module) {
        return io.irgstream.shapes.train.ModuleParams.of(module).names().contains(NO_THINK + ".inc_w");
    }

    /** The schedule shift a draw or no-think module samples with (its {@code time_shift()}). */
    public static double timeShift(JitModule module) {
        return Jit.call(module, "time_shift").toDouble();
    }

    private static String source(Config cfg) {
        return FlowUNet.contractSource("draw", cfg.timeShift()) + """
                def train_loss(self, x0: Tensor, layout: Tensor, pids: Tensor, noise: Tensor, t: Tensor) -> Tensor:
                    tt = t.view(-1, 1, 1, 1)
                    xt = (1.0 - tt) * x0 + tt * noise
                    v = self.velocity(xt, t, layout, pids)
                    w = 1.0 + 4.0 * layout[:, 13:14]
                    return torch.sum(w * (v - (noise - x0)) ** 2) / (3.0 * torch.sum(w))

                def draw_plans(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
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
