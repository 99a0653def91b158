package io.irgstream.shapes.paint;

import io.irgstream.shapes.train.ModuleParams;
import io.irgstream.shapes.world.PromptGrammar;
import java.util.List;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * The no-think painter: a rectified-flow UNet that draws from the prompt text alone (the "model without thinking"
 * row of IRG's table). Nothing places objects for it: it has learned layout from (prompt, image) pairs by the
 * flow-matching loss only.
 *
 * <p>Architecture. The prompt is read as its canonical words (the shared grammar's {@code canonical_words},
 * {@link PromptGrammar}: lower case, lead words such as "a photo of" dropped, commas read as "and", "to the left of"
 * as "left of", "big" as "large", "an" as "a"), mapped to a
 * {@value #VOCAB_SIZE}-entry vocabulary behind a start token, and encoded by a small pre-norm transformer (width
 * {@code dim}, {@value FlowUNet#TEXT_HEADS} heads, {@code layers} layers, padding masked). The token features reach the
 * UNet three ways:
 * <ul>
 *   <li>a spatial map: a learned {@code grid x grid} set of position queries cross-attends over the tokens (then an
 *   MLP), and a linear map turns each cell into a {@code 64/grid}-pixel patch of 16 channels at 64x64 (a
 *   stride-{@code 64/grid} transposed convolution written as a matrix product: oneDNN's transposed convolution gave
 *   NaN on these CPUs for some prompts),
 *   which take the place of draw's 16 layout channels next to the noisy image;</li>
 *   <li>a cross-attention from the UNet's 16 px feature map to the tokens between its two bottleneck blocks (so where
 *   the network is drawing can ask the text what to draw there);</li>
 *   <li>the masked mean of the tokens, projected to the FiLM embedding and added to the time embedding.</li>
 * </ul>
 * The UNet itself is draw's ({@link FlowUNet}, same parameter names), so training may start from draw's weights.
 * The map's output convolution and the FiLM projection start at zero (and the bottleneck attention's output
 * projection), so a fresh module started from draw's UNet ({@link #startFromDraw}) paints at first exactly as draw
 * does with an empty plan and an empty prompt, and learns from there what the text asks for.
 * Classifier-free guidance drops the prompt (only the start token remains). Flow convention as draw's:
 * {@code x_t = (1 - t) x_0 + t noise}, the network predicts {@code noise - x_0}, sampling integrates from t = 1 to 0.
 * The loss weights pixels of the target's objects (grown by 2 px) 5x over the background, judged from the target
 * image's pixels.
 *
 * <p>The module is a complete draw-contract module on its own ({@code draw} ignores the thoughts); the served draw.pt
 * holds it as its {@code nothink} submodule and sends it the rows whose thought is empty
 * ({@link DrawModel#combine}). Its {@code paint(prompts, noise, steps, cfg_text)} is what the combined module calls.
 */
public final class NoThinkModel {
    /** Words of the no-think vocabulary; ids start at 3 (0 = padding, 1 = start, 2 = unknown word). */
    static final String[] WORDS = {"a", "one", "two", "three", "four", "small", "large", "red", "orange", "yellow",
        "green", "blue", "purple", "pink", "white", "circle", "square", "triangle", "diamond", "cross", "circles",
        "squares", "triangles", "diamonds", "crosses", "left", "right", "of", "above", "below", "and"};
    static final int VOCAB_SIZE = WORDS.length + 3;
    /** Most tokens read from a prompt, the start token included. */
    static final int MAX_TOKENS = 28;
    /** Channels of the spatial text map (draw's layout channels). */
    static final int MAP_CHANNELS = FlowUNet.LAYOUT_CHANNELS;

    /**
     * Size and sampler constants of a no-think module.
     *
     * @param c1        UNet channels at 64 px (draw's)
     * @param c2        UNet channels at 32 px
     * @param c3        UNet channels at 16 px
     * @param dim       token width of the text pathway
     * @param layers    transformer layers of the prompt encoder
     * @param grid      side of the query grid of the spatial map (64 divisible by it)
     * @param timeShift sampling schedule shift (1 = uniform)
     */
    public record Config(int c1, int c2, int c3, int dim, int layers, int grid, double timeShift) {
        /** The full-size no-think painter: draw's UNet plus about 90k parameters of text pathway. */
        public static final Config FULL = new Config(32, 64, 128, 48, 1, 16, 1.0);
        /** A tiny one for quick runs and tests (draw's quick UNet). */
        public static final Config QUICK = new Config(8, 16, 32, 16, 1, 8, 1.0);

        public Config {
            if (dim % FlowUNet.TEXT_HEADS != 0 || grid < 1 || 64 % grid != 0 || layers < 0) {
                throw new IllegalArgumentException("bad no-think config: dim " + dim + ", grid " + grid
                        + ", layers " + layers);
            }
        }

        /** Whether draw's weights of these UNet channels fit this model. */
        public boolean unetMatches(DrawModel.Config draw) {
            return draw.c1() == c1 && draw.c2() == c2 && draw.c3() == c3;
        }
    }

    private NoThinkModel() {
    }

    /** Creates a freshly initialised no-think module (initialisation uses the current libtorch seed). */
    public static JitModule create(Config cfg) {
        JitModule m = new JitModule(new QualifiedName("IrgShapesNoThink"));
        String unet = FlowUNet.buildText(m, cfg.c1(), cfg.c2(), cfg.c3(), cfg.dim());
        StringBuilder text = new StringBuilder();
        try (NoGradGuard g = new NoGradGuard()) {
            registerText(m, cfg, text);
        }
        m.define(unet + FlowUNet.dedent(text.toString()) + FlowUNet.dedent(source(cfg)) + PromptGrammar.source());
        return m;
    }

    /** The configuration of a module (or of the {@code nothink.} parameters of a combined draw module). */
    public static Config configOf(ModuleParams p, String prefix, double timeShift) {
        int c1 = (int) size(p, prefix + "inc_w", 0);
        int c2 = (int) size(p, prefix + "d1_w", 0);
        int c3 = (int) size(p, prefix + "d2_w", 0);
        int dim = (int) size(p, prefix + "tok", 1);
        int grid = (int) Math.round(Math.sqrt(size(p, prefix + "gq", 0)));
        int layers = 0;
        while (p.names().contains(prefix + "e" + layers + "_qkv_w")) {
            layers++;
        }
        return new Config(c1, c2, c3, dim, layers, grid, timeShift);
    }

    private static long size(ModuleParams p, String name, int dim) {
        int i = p.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no parameter " + name + ": not a no-think module");
        }
        return p.tensors().get(i).size(dim);
    }

    private static void registerText(JitModule m, Config cfg, StringBuilder src) {
        int d = cfg.dim();
        param(m, "tok", torch.randn(VOCAB_SIZE, d).mul(new Scalar(0.3)));
        param(m, "pos", torch.randn(MAX_TOKENS, d).mul(new Scalar(0.3)));
        for (int l = 0; l < cfg.layers(); l++) {
            String n = "e" + l;
            norm(m, n + "_ln1", d);
            linear(m, n + "_qkv", d, 3 * d, false);
            linear(m, n + "_o", d, d, true);
            norm(m, n + "_ln2", d);
            linear(m, n + "_f1", d, 2 * d, false);
            linear(m, n + "_f2", 2 * d, d, true);
        }
        norm(m, "enc_ln", d);
        param(m, "gq", torch.randn(cfg.grid() * cfg.grid(), d).mul(new Scalar(0.3)));
        norm(m, "g_ln1", d);
        linear(m, "g_q", d, d, false);
        linear(m, "g_k", d, d, false);
        linear(m, "g_v", d, d, false);
        linear(m, "g_o", d, d, false);
        norm(m, "g_ln2", d);
        linear(m, "g_f1", d, 2 * d, false);
        linear(m, "g_f2", 2 * d, d, false);
        norm(m, "g_ln3", d);
        int patch = 64 / cfg.grid();
        param(m, "g_up_w", torch.zeros(d, MAP_CHANNELS, patch, patch));
        param(m, "g_up_b", torch.zeros(MAP_CHANNELS));
        linear(m, "pe", d, FlowUNet.EMB, true);

        StringBuilder enc = new StringBuilder();
        for (int l = 0; l < cfg.layers(); l++) {
            String n = "self.e" + l;
            enc.append("""
                        y = torch.layer_norm(h, [%1$d], %2$s_ln1_w.float(), %2$s_ln1_b.float(), 1e-5)
                        qkv = self.lin3(y, %2$s_qkv_w.float(), %2$s_qkv_b.float())
                        q, k, v = qkv.chunk(3, 2)
                        h = h + self.lin3(self.attend(q, k, v, cbias, %3$d), %2$s_o_w.float(), %2$s_o_b.float())
                        y = torch.layer_norm(h, [%1$d], %2$s_ln2_w.float(), %2$s_ln2_b.float(), 1e-5)
                        h = h + self.lin3(self.silu(self.lin3(y, %2$s_f1_w.float(), %2$s_f1_b.float())), %2$s_f2_w.float(), %2$s_f2_b.float())
                    """.formatted(d, n, FlowUNet.TEXT_HEADS));
        }
        src.append("""
                def encode(self, ids: Tensor) -> Tensor:
                    b = ids.size(0)
                    n = ids.size(1)
                    cbias = self.token_bias(ids)
                    h = self.tok.float()[ids] + self.pos.float()[:n].unsqueeze(0)
                %s
                    return torch.layer_norm(h, [%d], self.enc_ln_w.float(), self.enc_ln_b.float(), 1e-5)

                def token_bias(self, ids: Tensor) -> Tensor:
                    return ((ids == 0).float() * -1e9).view(ids.size(0), 1, 1, ids.size(1))

                def text_map(self, ctx: Tensor, cbias: Tensor) -> Tensor:
                    b = ctx.size(0)
                    g = self.gq.float().unsqueeze(0).expand(b, %d, %d)
                    y = torch.layer_norm(g, [%d], self.g_ln1_w.float(), self.g_ln1_b.float(), 1e-5)
                    q = self.lin3(y, self.g_q_w.float(), self.g_q_b.float())
                    k = self.lin3(ctx, self.g_k_w.float(), self.g_k_b.float())
                    v = self.lin3(ctx, self.g_v_w.float(), self.g_v_b.float())
                    g = g + self.lin3(self.attend(q, k, v, cbias, %d), self.g_o_w.float(), self.g_o_b.float())
                    y = torch.layer_norm(g, [%d], self.g_ln2_w.float(), self.g_ln2_b.float(), 1e-5)
                    g = g + self.lin3(self.silu(self.lin3(y, self.g_f1_w.float(), self.g_f1_b.float())), self.g_f2_w.float(), self.g_f2_b.float())
                    g = torch.layer_norm(g, [%d], self.g_ln3_w.float(), self.g_ln3_b.float(), 1e-5)
                    w = self.g_up_w.float()
                    y = torch.matmul(g, w.reshape(w.size(0), -1))
                    y = y.reshape(b, %d, %d, %d, %d, %d).permute(0, 3, 1, 4, 2, 5).reshape(b, %d, %d, %d)
                    return y + self.g_up_b.float().view(1, -1, 1, 1)

                def prompt_emb(self, ctx: Tensor, ids: Tensor) -> Tensor:
                    keep = (ids != 0).float().unsqueeze(2)
                    pooled = torch.sum(ctx * keep, 1) / torch.sum(keep, 1)
                    return self.lin(pooled, self.pe_w.float(), self.pe_b.float())

                """.formatted(enc.toString().stripTrailing(), d,
                cfg.grid() * cfg.grid(), d, d, FlowUNet.TEXT_HEADS, d, d, cfg.grid(), cfg.grid(), MAP_CHANNELS, patch, patch,
                MAP_CHANNELS, cfg.grid() * patch, cfg.grid() * patch));
    }

    private static String source(Config cfg) {
        return FlowUNet.contractSource("draw", cfg.timeShift()) + """
                def vocab(self) -> Dict[str, int]:
                    return %s

                def words(self, prompt: str) -> List[str]:
                    return self.canonical_words(prompt)

                def token_ids(self, prompts: List[str]) -> Tensor:
                    vocab = self.vocab()
                    rows: List[List[int]] = []
                    for p in prompts:
                        ids: List[int] = [1]
                        if len(p.strip()) > 0:
                            for w in self.words(p):
                                if len(ids) < %d:
                                    if w in vocab:
                                        ids.append(vocab[w])
                                    else:
                                        ids.append(2)
                        while len(ids) < %d:
                            ids.append(0)
                        rows.append(ids)
                    return torch.tensor(rows)

                def velocity_ids(self, x: Tensor, t: Tensor, ids: Tensor) -> Tensor:
                    ctx = self.encode(ids)
                    cbias = self.token_bias(ids)
                    return self.velocity_text(x, t, self.text_map(ctx, cbias), self.prompt_emb(ctx, ids), ctx, cbias)

                def train_loss(self, x0: Tensor, ids: Tensor, noise: Tensor, t: Tensor) -> Tensor:
                    tt = t.view(-1, 1, 1, 1)
                    xt = (1.0 - tt) * x0 + tt * noise
                    v = self.velocity_ids(xt, t, ids)
                    lit = (x0.amax(1, True) > -0.5).float()
                    w = 1.0 + 4.0 * torch.max_pool2d(lit, [5, 5], [1, 1], [2, 2])
                    return torch.sum(w * (v - (noise - x0)) ** 2) / (3.0 * torch.sum(w))

                def paint(self, prompts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                    x = noise.float()
                    b = x.size(0)
                    ids = self.token_ids(prompts).to(x.device)
                    ctx = self.encode(ids)
                    cbias = self.token_bias(ids)
                    grid = self.text_map(ctx, cbias)
                    pe = self.prompt_emb(ctx, ids)
                    guided = cfg_text != 1.0
                    if guided:
                        uids = torch.zeros_like(ids)
                        uids[:, 0] = 1
                        uctx = self.encode(uids)
                        ubias = self.token_bias(uids)
                        ctx2 = torch.cat([ctx, uctx], 0)
                        bias2 = torch.cat([cbias, ubias], 0)
                        grid2 = torch.cat([grid, self.text_map(uctx, ubias)], 0)
                        pe2 = torch.cat([pe, self.prompt_emb(uctx, uids)], 0)
                    else:
                        ctx2 = ctx
                        bias2 = cbias
                        grid2 = grid
                        pe2 = pe
                    shift = self.time_shift()
                    for i in range(steps):
                        t0 = self.shift_t(1.0 - float(i) / float(steps), shift)
                        t1 = self.shift_t(1.0 - float(i + 1) / float(steps), shift)
                        if guided:
                            v2 = self.velocity_text(torch.cat([x, x], 0), x.new_full([2 * b], t0), grid2, pe2, ctx2, bias2)
                            vc = v2[:b]
                            vu = v2[b:]
                            v = vu + cfg_text * (vc - vu)
                        else:
                            v = self.velocity_text(x, x.new_full([b], t0), grid2, pe2, ctx2, bias2)
                        x = (x + (t1 - t0) * v).detach()
                    return ((x.clamp(-1.0, 1.0) + 1.0) * 127.5).round().byte()

                def draw(self, prompts: List[str], thoughts: List[str], noise: Tensor, steps: int, cfg_text: float) -> Tensor:
                    return self.paint(prompts, noise, steps, cfg_text)
                """.formatted(vocabDict(), MAX_TOKENS, MAX_TOKENS);
    }

    private static String vocabDict() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < WORDS.length; i++) {
            sb.append(i == 0 ? "" : ", ").append('"').append(WORDS[i]).append("\": ").append(i + 3);
        }
        return sb.append('}').toString();
    }

    private static void param(JitModule m, String name, Tensor value) {
        m.register_parameter(name, value, false);
    }

    private static void linear(JitModule m, String name, int in, int out, boolean zero) {
        Tensor w = zero ? torch.zeros(out, in) : torch.randn(out, in).mul(new Scalar(Math.sqrt(1.0 / in)));
        param(m, name + "_w", w);
        param(m, name + "_b", torch.zeros(out));
    }

    private static void norm(JitModule m, String name, int c) {
        param(m, name + "_w", torch.ones(c));
        param(m, name + "_b", torch.zeros(c));
    }

    /**
     * Starts a fresh no-think module from a draw module's weights: its UNet (every parameter of the same name and
     * shape) and, as the FiLM projection's bias, draw's prompt embedding of the empty prompt (so with the map and the
     * attention at zero the module's velocity is draw's with an empty plan and prompt). The draw module may be a
     * combined one (its no-think submodule is ignored).
     *
     * @return the names of the no-think parameters set
     */
    public static List<String> startFromDraw(ModuleParams draw, ModuleParams target) {
        List<String> copied = new java.util.ArrayList<>(copyMatching(draw, "", target));
        int pb = target.names().indexOf("pe_b");
        if (copied.isEmpty() || pb < 0 || !draw.names().contains("p1_w")) {
            return copied;
        }
        try (NoGradGuard g = new NoGradGuard()) {
            Tensor tok = get(draw, "tok_emb").narrow(0, 0, 1).add(get(draw, "pos_emb"))
                    .reshape(1, FlowUNet.PROMPT_TOKENS * FlowUNet.TOKEN_DIM);
            Tensor h = torch.addmm(get(draw, "p1_b"), tok, get(draw, "p1_w").t());
            h = h.mul(torch.sigmoid(h));
            Tensor pe = torch.addmm(get(draw, "p2_b"), h, get(draw, "p2_w").t()).reshape(FlowUNet.EMB);
            target.tensors().get(pb).detach().copy_(pe);
        }
        copied.add("pe_b");
        return copied;
    }

    private static Tensor get(ModuleParams p, String name) {
        return p.tensors().get(p.names().indexOf(name)).detach().to(torch.ScalarType.Float);
    }

    /**
     * Copies into {@code target} every parameter of {@code source} with the same name (after dropping
     * {@code sourcePrefix}) and shape: draw's UNet weights into a fresh no-think module.
     *
     * @return the names copied
     */
    public static List<String> copyMatching(ModuleParams source, String sourcePrefix, ModuleParams target) {
        java.util.ArrayList<String> copied = new java.util.ArrayList<>();
        try (NoGradGuard g = new NoGradGuard()) {
            for (int i = 0; i < source.names().size(); i++) {
                String n = source.names().get(i);
                if (!n.startsWith(sourcePrefix)) {
                    continue;
                }
                int j = target.names().indexOf(n.substring(sourcePrefix.length()));
                if (j < 0) {
                    continue;
                }
                Tensor from = source.tensors().get(i);
                Tensor to = target.tensors().get(j);
                if (from.sizes().vec().get().length == to.sizes().vec().get().length
                        && java.util.Arrays.equals(from.sizes().vec().get(), to.sizes().vec().get())) {
                    to.detach().copy_(from.detach());
                    copied.add(n.substring(sourcePrefix.length()));
                }
            }
        }
        return copied;
    }
}
