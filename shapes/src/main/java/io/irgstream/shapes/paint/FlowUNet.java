package io.irgstream.shapes.paint;

import java.util.Locale;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Builds the rectified-flow UNet shared by draw and refine as TorchScript: parameters are registered on a
 * {@link JitModule} and the network is written once as TorchScript source over them (functional ops), so the
 * module that is trained is the module that is served.
 *
 * <p>Architecture (the measured prototype painter, see docs/models.md): channels c1/c2/c3 at 64/32/16 px, residual blocks with GroupNorm(8) and SiLU,
 * a sinusoidal time embedding plus a prompt-token embedding applied to every block as FiLM scale/shift, stride-2 conv
 * down, 2x2 transposed conv up, skip connections, no attention. The input is the image channels (noisy image, plus the
 * draft for refine) concatenated with a 16-channel layout map. Parameters are read through {@code .float()} so an
 * exported module may hold half-precision weights.
 */
final class FlowUNet {
    /** Channels of the layout map: 5 shape one-hot, 8 color one-hot, box mask, box-relative u and v. */
    static final int LAYOUT_CHANNELS = 16;
    /** Prompt tokens read by the prompt embedding. */
    static final int PROMPT_TOKENS = 12;
    static final int TOKEN_DIM = 32;
    static final int EMB = 128;
    static final int TIME_DIM = 64;

    private final JitModule module;
    private final StringBuilder src = new StringBuilder();
    private final int c1;
    private final int c2;
    private final int c3;
    /** Token width of the text pathway; 0 = the global prompt embedding of draw and refine. */
    private final int textDim;

    private FlowUNet(JitModule module, int c1, int c2, int c3, int textDim) {
        this.module = module;
        this.c1 = c1;
        this.c2 = c2;
        this.c3 = c3;
        this.textDim = textDim;
    }

    /**
     * Registers the parameters of a UNet on {@code module} (initialised from the current libtorch seed) and returns the
     * TorchScript source of its methods: {@code velocity(x, t, layout, pids)}, {@code prompt_ids(prompts)},
     * {@code layout(thoughts)} and the vocabulary helpers.
     *
     * @param imageChannels channels of x given to velocity (3 for draw, 6 for refine)
     */
    static String build(JitModule module, int imageChannels, int outChannels, int c1, int c2, int c3) {
        FlowUNet b = new FlowUNet(module, c1, c2, c3, 0);
        try (NoGradGuard g = new NoGradGuard()) {
            b.define(imageChannels, outChannels);
        }
        return dedent(TEXT_SOURCE) + dedent(b.src.toString());
    }

    /**
     * Registers the parameters of the no-think UNet ({@link NoThinkModel}) on {@code module} and returns the TorchScript
     * source of {@code velocity_text(x, t, grid, pe, ctx, cbias)}: the same UNet as draw's (same parameter names and
     * shapes for everything draw has, so it can start from draw's weights), without draw's prompt-token embedding,
     * plus a cross-attention from the 16 px feature map to the prompt's token features ({@code ctx} [B, T, textDim],
     * {@code cbias} [B, 1, 1, T]: 0 for a token, -1e9 for padding) between the two bottleneck blocks, its output
     * projection zero at initialisation. {@code grid} takes the 16 channels draw's layout map had; {@code pe} [B, EMB]
     * is added to the time embedding. Also defines {@code silu}, {@code lin}, {@code lin3}, {@code attend} and
     * {@code shift_t}.
     */
    static String buildText(JitModule module, int c1, int c2, int c3, int textDim) {
        FlowUNet b = new FlowUNet(module, c1, c2, c3, textDim);
        try (NoGradGuard g = new NoGradGuard()) {
            b.define(3, 3);
        }
        return dedent(HELPER_SOURCE) + dedent(b.src.toString());
    }

    /**
     * A module of class {@code className} with a freshly initialised UNet of 3 output channels ({@link #build}) and
     * the step's own methods, {@code methods} (TorchScript source, dedented).
     */
    static JitModule module(String className, int imageChannels, int c1, int c2, int c3, String methods) {
        return module(className, imageChannels, c1, c2, c3, methods, null, null);
    }

    /**
     * As {@link #module(String, int, int, int, int, String)}, with {@code sub} registered as the submodule
     * {@code subName} before the methods are compiled (so they may call it); none when {@code sub} is null.
     */
    static JitModule module(String className, int imageChannels, int c1, int c2, int c3, String methods,
                            String subName, JitModule sub) {
        JitModule m = new JitModule(new QualifiedName(className));
        String unet = build(m, imageChannels, 3, c1, c2, c3);
        if (sub != null) {
            m.register_module(subName, sub);
        }
        m.define(unet + dedent(methods));
        return m;
    }

    /**
     * The TorchScript source of the step contract's methods of a painter ({@code contract_version},
     * {@code step_name}, {@code image_shape} 3x64x64) and of its sampling schedule shift {@code time_shift}, ending
     * with a blank line.
     */
    static String contractSource(String stepName, double timeShift) {
        return """
                def contract_version(self) -> int:
                    return 1

                def step_name(self) -> str:
                    return "%s"

                def image_shape(self) -> List[int]:
                    return [3, 64, 64]

                def time_shift(self) -> float:
                    return %s

                """.formatted(stepName, number(timeShift));
    }

    /** A constant of the TorchScript source: four decimals, whatever the default locale. */
    static String number(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }

    private void param(String name, Tensor value) {
        module.register_parameter(name, value, false);
    }

    private void conv(String name, int cin, int cout, int k, boolean zero) {
        Tensor w = zero ? torch.zeros(cout, cin, k, k)
                : torch.randn(cout, cin, k, k).mul(new Scalar(Math.sqrt(2.0 / (cin * k * k))));
        param(name + "_w", w);
        param(name + "_b", torch.zeros(cout));
    }

    private void linear(String name, int in, int out, boolean zero) {
        Tensor w = zero ? torch.zeros(out, in) : torch.randn(out, in).mul(new Scalar(Math.sqrt(1.0 / in)));
        param(name + "_w", w);
        param(name + "_b", torch.zeros(out));
    }

    private void norm(String name, int c) {
        param(name + "_w", torch.ones(c));
        param(name + "_b", torch.zeros(c));
    }

    private void res(String n, int cin, int cout) {
        norm(n + "_n1", cin);
        conv(n + "_c1", cin, cout, 3, false);
        linear(n + "_film", EMB, 2 * cout, true);
        norm(n + "_n2", cout);
        conv(n + "_c2", cout, cout, 3, true);
        if (cin != cout) {
            conv(n + "_skip", cin, cout, 1, false);
        }
        src.append("def ").append(n).append("(self, x: Tensor, emb: Tensor) -> Tensor:\n")
                .append("    h = torch.conv2d(self.silu(torch.group_norm(x, 8, self.").append(n).append("_n1_w.float(), self.")
                .append(n).append("_n1_b.float(), 1e-5)), self.").append(n).append("_c1_w.float(), self.").append(n)
                .append("_c1_b.float(), [1, 1], [1, 1])\n")
                .append("    ss = self.lin(emb, self.").append(n).append("_film_w.float(), self.").append(n)
                .append("_film_b.float())\n")
                .append("    sc, sh = ss.chunk(2, 1)\n")
                .append("    h = torch.group_norm(h, 8, self.").append(n).append("_n2_w.float(), self.").append(n)
                .append("_n2_b.float(), 1e-5)\n")
                .append("    h = self.silu(h * (1.0 + sc.unsqueeze(2).unsqueeze(3)) + sh.unsqueeze(2).unsqueeze(3))\n")
                .append("    h = torch.conv2d(h, self.").append(n).append("_c2_w.float(), self.").append(n)
                .append("_c2_b.float(), [1, 1], [1, 1])\n");
        if (cin != cout) {
            src.append("    return torch.conv2d(x, self.").append(n).append("_skip_w.float(), self.").append(n)
                    .append("_skip_b.float()) + h\n\n");
        } else {
            src.append("    return x + h\n\n");
        }
    }

    private void define(int imageChannels, int outChannels) {
        linear("t1", TIME_DIM, EMB, false);
        linear("t2", EMB, EMB, false);
        if (textDim == 0) {
            param("tok_emb", torch.randn(VOCAB_SIZE, TOKEN_DIM).mul(new Scalar(0.5)));
            param("pos_emb", torch.randn(PROMPT_TOKENS, TOKEN_DIM).mul(new Scalar(0.5)));
            linear("p1", PROMPT_TOKENS * TOKEN_DIM, EMB, false);
            linear("p2", EMB, EMB, false);
        }
        conv("inc", imageChannels + LAYOUT_CHANNELS, c1, 3, false);
        res("b1", c1, c1);
        conv("d1", c1, c2, 3, false);
        res("b2", c2, c2);
        conv("d2", c2, c3, 3, false);
        res("b3", c3, c3);
        if (textDim > 0) {
            norm("xa_n", c3);
            linear("xa_q", c3, textDim, false);
            linear("xa_k", textDim, textDim, false);
            linear("xa_v", textDim, textDim, false);
            linear("xa_o", textDim, c3, true);
        }
        res("b4", c3, c3);
        param("u2_w", torch.randn(c3, c2, 2, 2).mul(new Scalar(Math.sqrt(1.0 / c3))));
        param("u2_b", torch.zeros(c2));
        res("b5", 2 * c2, c2);
        param("u1_w", torch.randn(c2, c1, 2, 2).mul(new Scalar(Math.sqrt(1.0 / c2))));
        param("u1_b", torch.zeros(c1));
        res("b6", 2 * c1, c1);
        norm("outn", c1);
        conv("outc", c1, outChannels, 3, true);
        if (textDim > 0) {
            src.append(textVelocity());
            return;
        }
        src.append("""
                def embed(self, t: Tensor, pids: Tensor) -> Tensor:
                    half = %d
                    freqs = torch.exp(torch.arange(0.0, float(half)) * (-9.210340371976184 / half)).to(t.device)
                    args = (t * 1000.0).unsqueeze(1) * freqs.unsqueeze(0)
                    te = torch.cat([torch.sin(args), torch.cos(args)], 1)
                    te = self.lin(self.silu(self.lin(te, self.t1_w.float(), self.t1_b.float())), self.t2_w.float(), self.t2_b.float())
                    tok = self.tok_emb.float()[pids] + self.pos_emb.float().unsqueeze(0)
                    pe = self.lin(self.silu(self.lin(tok.reshape(pids.size(0), %d), self.p1_w.float(), self.p1_b.float())), self.p2_w.float(), self.p2_b.float())
                    return self.silu(te + pe)

                def velocity(self, x: Tensor, t: Tensor, layout: Tensor, pids: Tensor) -> Tensor:
                    emb = self.embed(t, pids)
                    h = torch.conv2d(torch.cat([x, layout], 1), self.inc_w.float(), self.inc_b.float(), [1, 1], [1, 1])
                    s1 = self.b1(h, emb)
                    h = torch.conv2d(s1, self.d1_w.float(), self.d1_b.float(), [2, 2], [1, 1])
                    s2 = self.b2(h, emb)
                    h = torch.conv2d(s2, self.d2_w.float(), self.d2_b.float(), [2, 2], [1, 1])
                    h = self.b4(self.b3(h, emb), emb)
                    h = torch.conv_transpose2d(h, self.u2_w.float(), self.u2_b.float(), [2, 2])
                    h = self.b5(torch.cat([h, s2], 1), emb)
                    h = torch.conv_transpose2d(h, self.u1_w.float(), self.u1_b.float(), [2, 2])
                    h = self.b6(torch.cat([h, s1], 1), emb)
                    h = self.silu(torch.group_norm(h, 8, self.outn_w.float(), self.outn_b.float(), 1e-5))
                    return torch.conv2d(h, self.outc_w.float(), self.outc_b.float(), [1, 1], [1, 1])

                """.formatted(TIME_DIM / 2, PROMPT_TOKENS * TOKEN_DIM));
    }

    /** The no-think UNet's forward pass: draw's, with the text cross-attention between b3 and b4. */
    private String textVelocity() {
        return """
                def embed_t(self, t: Tensor) -> Tensor:
                    half = %d
                    freqs = torch.exp(torch.arange(0.0, float(half)) * (-9.210340371976184 / half)).to(t.device)
                    args = (t * 1000.0).unsqueeze(1) * freqs.unsqueeze(0)
                    te = torch.cat([torch.sin(args), torch.cos(args)], 1)
                    return self.lin(self.silu(self.lin(te, self.t1_w.float(), self.t1_b.float())), self.t2_w.float(), self.t2_b.float())

                def xattn(self, h: Tensor, ctx: Tensor, cbias: Tensor) -> Tensor:
                    b = h.size(0)
                    c = h.size(1)
                    hh = h.size(2)
                    ww = h.size(3)
                    q = torch.group_norm(h, 8, self.xa_n_w.float(), self.xa_n_b.float(), 1e-5).flatten(2).transpose(1, 2)
                    q = self.lin3(q, self.xa_q_w.float(), self.xa_q_b.float())
                    k = self.lin3(ctx, self.xa_k_w.float(), self.xa_k_b.float())
                    v = self.lin3(ctx, self.xa_v_w.float(), self.xa_v_b.float())
                    o = self.lin3(self.attend(q, k, v, cbias, %d), self.xa_o_w.float(), self.xa_o_b.float())
                    return h + o.transpose(1, 2).reshape(b, c, hh, ww)

                def velocity_text(self, x: Tensor, t: Tensor, grid: Tensor, pe: Tensor, ctx: Tensor, cbias: Tensor) -> Tensor:
                    emb = self.silu(self.embed_t(t) + pe)
                    h = torch.conv2d(torch.cat([x, grid], 1), self.inc_w.float(), self.inc_b.float(), [1, 1], [1, 1])
                    s1 = self.b1(h, emb)
                    h = torch.conv2d(s1, self.d1_w.float(), self.d1_b.float(), [2, 2], [1, 1])
                    s2 = self.b2(h, emb)
                    h = torch.conv2d(s2, self.d2_w.float(), self.d2_b.float(), [2, 2], [1, 1])
                    h = self.b4(self.xattn(self.b3(h, emb), ctx, cbias), emb)
                    h = torch.conv_transpose2d(h, self.u2_w.float(), self.u2_b.float(), [2, 2])
                    h = self.b5(torch.cat([h, s2], 1), emb)
                    h = torch.conv_transpose2d(h, self.u1_w.float(), self.u1_b.float(), [2, 2])
                    h = self.b6(torch.cat([h, s1], 1), emb)
                    h = self.silu(torch.group_norm(h, 8, self.outn_w.float(), self.outn_b.float(), 1e-5))
                    return torch.conv2d(h, self.outc_w.float(), self.outc_b.float(), [1, 1], [1, 1])

                """.formatted(TIME_DIM / 2, TEXT_HEADS);
    }

    /** Attention heads of the text pathway's attentions. */
    static final int TEXT_HEADS = 4;

    /** Helpers of the no-think module (it has no plan parser and no prompt-token vocabulary of draw's). */
    private static final String HELPER_SOURCE = """
                def silu(self, x: Tensor) -> Tensor:
                    return x * torch.sigmoid(x)

                def lin(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                    return torch.addmm(b, x, w.t())

                def lin3(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                    return torch.matmul(x, w.t()) + b

                def attend(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor, heads: int) -> Tensor:
                    b = q.size(0)
                    n = q.size(1)
                    m = k.size(1)
                    d = q.size(2)
                    dh = d // heads
                    qh = q.reshape(b, n, heads, dh).transpose(1, 2)
                    kh = k.reshape(b, m, heads, dh).transpose(1, 2)
                    vh = v.reshape(b, m, heads, dh).transpose(1, 2)
                    a = torch.softmax(torch.matmul(qh, kh.transpose(2, 3)) * (1.0 / float(dh) ** 0.5) + bias, -1)
                    return torch.matmul(a, vh).transpose(1, 2).reshape(b, n, d)

                def shift_t(self, t: float, shift: float) -> float:
                    return shift * t / (1.0 + (shift - 1.0) * t)

            """;

    /** Removes the common leading spaces of the non-blank lines (TorchScript definitions start at column 0). */
    static String dedent(String text) {
        int min = Integer.MAX_VALUE;
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                min = Math.min(min, line.length() - line.stripLeading().length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) {
            sb.append(line.isBlank() ? "" : line.substring(min)).append('\n');
        }
        return sb.toString();
    }

    /** Words of the prompt vocabulary; ids start at 2 (0 = padding / no prompt, 1 = unknown word). */
    static final String[] WORDS = {"a", "an", "photo", "of", "and", "the", "two", "three", "four", "left", "right",
        "above", "below", "red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "circle", "square",
        "triangle", "diamond", "cross", "circles", "squares", "triangles", "diamonds", "crosses"};
    static final int VOCAB_SIZE = WORDS.length + 2;

    private static String vocabDict() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < WORDS.length; i++) {
            sb.append(i == 0 ? "" : ", ").append('"').append(WORDS[i]).append("\": ").append(i + 2);
        }
        return sb.append('}').toString();
    }

    /** Text handling shared by draw and refine: prompt tokens and the layout map parsed from a plan. */
    private static final String TEXT_SOURCE = """
                def silu(self, x: Tensor) -> Tensor:
                    return x * torch.sigmoid(x)

                def lin(self, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                    return torch.addmm(b, x, w.t())

                def vocab(self) -> Dict[str, int]:
                    return %s

                def shape_ids(self) -> Dict[str, int]:
                    return {"circle": 0, "square": 1, "triangle": 2, "diamond": 3, "cross": 4}

                def color_ids(self) -> Dict[str, int]:
                    return {"red": 0, "orange": 1, "yellow": 2, "green": 3, "blue": 4, "purple": 5, "pink": 6, "white": 7}

                def prompt_ids(self, prompts: List[str]) -> Tensor:
                    vocab = self.vocab()
                    rows: List[List[int]] = []
                    for p in prompts:
                        ids: List[int] = []
                        for w in p.lower().replace(",", " ").replace(".", " ").split():
                            if len(ids) < %d:
                                if w in vocab:
                                    ids.append(vocab[w])
                                else:
                                    ids.append(1)
                        while len(ids) < %d:
                            ids.append(0)
                        rows.append(ids)
                    return torch.tensor(rows)

                def layout(self, plans: List[str]) -> Tensor:
                    shapes = self.shape_ids()
                    colors = self.color_ids()
                    lay = torch.zeros([len(plans), 16, 64, 64])
                    for b in range(len(plans)):
                        for part in plans[b].lower().split(";"):
                            tok = part.split()
                            if len(tok) == 9 and tok[2] == "at" and tok[3] == "x" and tok[5] == "y" and tok[7] == "size":
                                if tok[0] in colors and tok[1] in shapes and tok[4].isdigit() and tok[6].isdigit() and tok[8].isdigit():
                                    s = max(1, min(32, int(tok[8])))
                                    bx = int(tok[4]) - s // 2
                                    by = int(tok[6]) - s // 2
                                    x0 = max(0, bx)
                                    y0 = max(0, by)
                                    x1 = min(64, bx + s)
                                    y1 = min(64, by + s)
                                    if x1 > x0 and y1 > y0:
                                        lay[b, shapes[tok[1]], y0:y1, x0:x1] = 1.0
                                        lay[b, 5 + colors[tok[0]], y0:y1, x0:x1] = 1.0
                                        lay[b, 13, y0:y1, x0:x1] = 1.0
                                        u = (torch.arange(float(x0), float(x1)) - float(bx) + 0.5) * (2.0 / float(s)) - 1.0
                                        v = (torch.arange(float(y0), float(y1)) - float(by) + 0.5) * (2.0 / float(s)) - 1.0
                                        lay[b, 14, y0:y1, x0:x1] = u.unsqueeze(0).expand(y1 - y0, x1 - x0)
                                        lay[b, 15, y0:y1, x0:x1] = v.unsqueeze(1).expand(y1 - y0, x1 - x0)
                    return lay

                def shift_t(self, t: float, shift: float) -> float:
                    return shift * t / (1.0 + (shift - 1.0) * t)

            """.formatted(vocabDict(), PROMPT_TOKENS, PROMPT_TOKENS);
}
