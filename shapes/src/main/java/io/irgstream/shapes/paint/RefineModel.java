package io.irgstream.shapes.paint;

import org.bytedeco.pytorch.JitModule;

/**
 * The refine step's TorchScript module (step contract v1): a rectified-flow UNet that EDITS the draft.
 *
 * <p>The network sees the draft image as extra input channels and generates the residual
 * {@code (improved - draft) / 2}, conditioned on the layout of the corrected plan that it reads from the reflection's
 * "Final Comprehensive Prompt for the Improved Image" section (falling back to the thought when that section is empty)
 * and on the prompt tokens. Pixels whose generated residual stays below {@code snap_levels} intensity levels in every
 * channel keep the draft's value exactly, so objects the reflection did not touch keep their draft pixels.
 * Guidance follows IRG / InstructPix2Pix: {@code v = v_uncond + cfg_image (v_img - v_uncond) + cfg_text (v_full - v_img)}.
 * The training loss weights the pixels that the edit changes (grown by 2 px) 5x over the rest.
 * When a reflection's verdict is SATISFIED the input image is returned unchanged (bit-exact) and no network runs for it.
 */
public final class RefineModel {
    /**
     * Size and sampler constants of a refine module.
     *
     * @param c1         channels at 64 px
     * @param c2         channels at 32 px
     * @param c3         channels at 16 px
     * @param timeShift  sampling schedule shift (1 = uniform)
     * @param snapLevels residuals smaller than this (in 0..255 levels, every channel) keep the draft pixel
     */
    public record Config(int c1, int c2, int c3, double timeShift, double snapLevels) {
        /** The full-size editor. */
        public static final Config FULL = new Config(32, 64, 128, 1.0, 40.0);
        /** A tiny editor for quick runs and tests. */
        public static final Config QUICK = new Config(8, 16, 32, 1.0, 40.0);
    }

    private RefineModel() {
    }

    /** Creates a freshly initialised refine module (initialisation uses the current libtorch seed). */
    public static JitModule create(Config cfg) {
        return FlowUNet.module("IrgShapesRefine", 6, cfg.c1(), cfg.c2(), cfg.c3(), source(cfg));
    }

    private static String source(Config cfg) {
        return FlowUNet.contractSource("refine", cfg.timeShift()) + """
                def snap_levels(self) -> float:
                    return %s

                def final_plan(self, reflection: str) -> str:
                    out = ""
                    taking = False
                    for line in reflection.split("\\n"):
                        l = line.strip()
                        low = l.lower()
                        if low.startswith("final comprehensive prompt"):
                            taking = True
                        elif low.startswith("verdict:"):
                            taking = False
                        elif taking and len(l) > 0:
                            if len(out) > 0:
                                out = out + " ; " + l
                            else:
                                out = l
                    return out

                def satisfied(self, reflection: str) -> bool:
                    verdict = ""
                    for line in reflection.split("\\n"):
                        l = line.strip().lower()
                        if l.startswith("verdict:"):
                            verdict = l[8:].strip()
                    return verdict == "satisfied"

                def train_loss(self, target: Tensor, draft: Tensor, keep_img: Tensor, layout: Tensor, pids: Tensor, noise: Tensor, t: Tensor) -> Tensor:
                    r0 = (target - draft) * 0.5
                    tt = t.view(-1, 1, 1, 1)
                    xt = (1.0 - tt) * r0 + tt * noise
                    d = draft * keep_img.view(-1, 1, 1, 1)
                    v = self.velocity(torch.cat([xt, d], 1), t, layout, pids)
                    changed = ((target - draft).abs().amax(1, True) > 0.01).float()
                    w = 1.0 + 4.0 * torch.max_pool2d(changed, [5, 5], [1, 1], [2, 2])
                    return torch.sum(w * (v - (noise - r0)) ** 2) / (3.0 * torch.sum(w))

                def edit(self, prompts: List[str], plans: List[str], draft: Tensor, noise: Tensor, steps: int, cfg_text: float, cfg_image: float) -> Tensor:
                    b = draft.size(0)
                    lay = self.layout(plans).to(draft.device)
                    pids = self.prompt_ids(prompts).to(draft.device)
                    zl = torch.zeros_like(lay)
                    zp = torch.zeros_like(pids)
                    lay3 = torch.cat([lay, zl, zl], 0)
                    pids3 = torch.cat([pids, zp, zp], 0)
                    d3 = torch.cat([draft, draft, torch.zeros_like(draft)], 0)
                    x = noise.float()
                    shift = self.time_shift()
                    for i in range(steps):
                        t0 = self.shift_t(1.0 - float(i) / float(steps), shift)
                        t1 = self.shift_t(1.0 - float(i + 1) / float(steps), shift)
                        v3 = self.velocity(torch.cat([torch.cat([x, x, x], 0), d3], 1), x.new_full([3 * b], t0), lay3, pids3)
                        vf = v3[:b]
                        vi = v3[b:2 * b]
                        vu = v3[2 * b:]
                        v = vu + cfg_image * (vi - vu) + cfg_text * (vf - vi)
                        x = (x + (t1 - t0) * v).detach()
                    delta = x.clamp(-1.0, 1.0) * 2.0
                    out = (draft + delta).clamp(-1.0, 1.0)
                    small = torch.all(delta.abs() * 127.5 < self.snap_levels(), 1, True)
                    out = torch.where(small, draft, out)
                    return ((out + 1.0) * 127.5).round().byte()

                def refine(self, prompts: List[str], thoughts: List[str], images: Tensor, reflections: List[str], noise: Tensor, steps: int, cfg_text: float, cfg_image: float) -> Tensor:
                    result = images.clone()
                    rows: List[int] = []
                    plans: List[str] = []
                    sel_prompts: List[str] = []
                    for i in range(images.size(0)):
                        if not self.satisfied(reflections[i]):
                            rows.append(i)
                            p = self.final_plan(reflections[i])
                            if len(p) == 0:
                                p = thoughts[i]
                            plans.append(p)
                            sel_prompts.append(prompts[i])
                    if len(rows) == 0:
                        return result
                    idx = torch.tensor(rows).to(images.device)
                    draft = images.index_select(0, idx).float() / 127.5 - 1.0
                    edited = self.edit(sel_prompts, plans, draft, noise.to(images.device).index_select(0, idx), steps, cfg_text, cfg_image)
                    result.index_copy_(0, idx, edited)
                    return result
                """.formatted(FlowUNet.number(cfg.snapLevels()));
    }
}
