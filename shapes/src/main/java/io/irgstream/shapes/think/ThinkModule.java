package io.irgstream.shapes.think;

import io.irgstream.model.torch.Tensors;
import org.bytedeco.pytorch.JitModule;
import org.bytedeco.pytorch.QualifiedName;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Builds the think step's TorchScript module: a small decoder-only transformer over {@link ThinkVocab}, written once
 * in TorchScript source over registered parameters. The same module is trained from Java (its {@code loss} method)
 * and served (its {@code think} method: tokenize, decode with the caller's uniforms and temperature by
 * inverse-CDF sampling, greedy at temperature 0, detokenize). Decoding is constrained to the thought grammar
 * ({@code <color> <shape> at x <n> y <n> size <n>} objects joined by {@code ;}, at most 4); the network chooses
 * every word and number. The network reads the prompt's canonical words (lead words dropped, "an", "big", commas
 * and "to the left of" normalised). A sampled plan is checked against the prompt by the shared grammar's
 * {@code satisfies}; when it fails, up to {@link #TRIES} plans are sampled in all (other uniforms) and the first that
 * passes is kept ({@code think_tries(prompts, uniforms, temperature, 1)} is the network's first sample alone).
 * {@code check_prompts} (optional in contract v1) says which prompts are outside the prompt language and why, with
 * the parser shared with reflect ({@link io.irgstream.shapes.world.PromptGrammar}).
 */
public final class ThinkModule {
    /** Network size. */
    public record Config(int dim, int heads, int layers, int ffn) {
        /** The shipped size. */
        public static final Config FULL = new Config(96, 4, 4, 288);
        /** A tiny size for quick runs and tests. */
        public static final Config QUICK = new Config(32, 2, 1, 64);
    }

    /**
     * Plans sampled per prompt at most: think keeps the first plan that its own check (the shared grammar's
     * {@code satisfies}, with drawing slack) accepts; later tries read other uniforms, at temperature >= 0.3.
     */
    public static final int TRIES = 4;
    /** Each layer's parameters ({@code l<i>_<name>}), in the order {@code block} takes them. */
    static final List<String> LAYER_PARAMS = List.of("ln1w", "ln1b", "wqkv", "bqkv", "wo", "bo", "ln2w", "ln2b", "w1",
            "b1", "w2", "b2");

    private ThinkModule() {
    }

    /** A freshly initialised module. Call inside a PointerScope only if the caller keeps the module elsewhere. */
    public static JitModule create(Config cfg, long seed) {
        if (cfg.dim() % cfg.heads() != 0) {
            throw new IllegalArgumentException("dim " + cfg.dim() + " is not divisible by heads " + cfg.heads());
        }
        Random rnd = new Random(seed);
        int v = ThinkVocab.size();
        int d = cfg.dim();
        JitModule m = new JitModule(new QualifiedName("irg.shapes.Think"));
        param(m, "tok_emb", normal(rnd, 0.02f, v, d), v, d);
        param(m, "pos_emb", normal(rnd, 0.02f, ThinkVocab.MAX_LEN * d), ThinkVocab.MAX_LEN, d);
        param(m, "wnum", normal(rnd, 0.02f, d), d);
        for (int l = 0; l < cfg.layers(); l++) {
            String p = "l" + l + "_";
            param(m, p + "ln1w", fill(1f, d), d);
            param(m, p + "ln1b", fill(0f, d), d);
            param(m, p + "wqkv", normal(rnd, 0.02f, d * 3 * d), d, 3 * d);
            param(m, p + "bqkv", fill(0f, 3 * d), 3 * d);
            param(m, p + "wo", normal(rnd, 0.02f / (float) Math.sqrt(2.0 * cfg.layers()), d * d), d, d);
            param(m, p + "bo", fill(0f, d), d);
            param(m, p + "ln2w", fill(1f, d), d);
            param(m, p + "ln2b", fill(0f, d), d);
            param(m, p + "w1", normal(rnd, 0.02f, d * cfg.ffn()), d, cfg.ffn());
            param(m, p + "b1", fill(0f, cfg.ffn()), cfg.ffn());
            param(m, p + "w2", normal(rnd, 0.02f / (float) Math.sqrt(2.0 * cfg.layers()), cfg.ffn() * d), cfg.ffn(), d);
            param(m, p + "b2", fill(0f, d), d);
        }
        param(m, "lnf_w", fill(1f, d), d);
        param(m, "lnf_b", fill(0f, d), d);
        float[] numv = new float[v];
        for (int i = 0; i < 64; i++) {
            numv[ThinkVocab.number(i)] = (i - 31.5f) / 32f;
        }
        m.register_buffer("numv", Tensors.floats(numv, v));
        m.register_buffer("grammar", Tensors.floats(grammar(), 11, v));
        m.define(source(cfg));
        return m;
    }

    /**
     * Stores the module's parameters in float16 (its code reads them through {@code weights()}, in float32): half the
     * file size, measured to keep its plans valid (docs/models.md). Buffers (grammar masks, number values) stay float32.
     */
    public static void storeHalf(JitModule m) {
        io.irgstream.shapes.train.ModuleParams p = io.irgstream.shapes.train.ModuleParams.of(m);
        for (int i = 0; i < p.names().size(); i++) {
            m.register_parameter(p.names().get(i), p.tensors().get(i).detach().to(torch.ScalarType.Half), false);
        }
    }

    /**
     * Re-exports a think module: the current module source ({@link Config#FULL}) with the weights of {@code from},
     * stored in float16 ({@link #storeHalf}), saved to {@code to} through a temporary file. Reads the file back and
     * checks every parameter against the source's within float16 rounding.
     *
     * @return the largest absolute change of a weight (float16 rounding)
     * @throws IllegalStateException when a saved weight differs from the source's by more than float16 rounding
     */
    public static double reexport(Path from, Path to) {
        Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
        JitModule src = torch.load(from.toString());
        JitModule fresh = create(Config.FULL, 1);
        try {
            io.irgstream.shapes.reflect.Weights.copy(src, fresh);
            storeHalf(fresh);
            fresh.save(tmp.toString());
        } finally {
            fresh.close();
        }
        JitModule back = torch.load(tmp.toString());
        double worst = 0;
        try (org.bytedeco.pytorch.NoGradGuard g = new org.bytedeco.pytorch.NoGradGuard()) {
            io.irgstream.shapes.train.ModuleParams a = io.irgstream.shapes.train.ModuleParams.of(src);
            io.irgstream.shapes.train.ModuleParams b = io.irgstream.shapes.train.ModuleParams.of(back);
            for (int i = 0; i < a.tensors().size(); i++) {
                Tensor x = a.tensors().get(i).detach().to(torch.ScalarType.Float);
                Tensor y = b.tensors().get(i).detach().to(torch.ScalarType.Float);
                double diff = x.sub(y).abs().max().item_double();
                double bound = x.abs().max().item_double() / 1024.0 + 1e-7;
                if (!(diff <= bound)) {
                    throw new IllegalStateException("parameter " + a.names().get(i) + " changed by " + diff
                            + " in the re-export (float16 rounding allows " + bound + ")");
                }
                worst = Math.max(worst, diff);
            }
        } finally {
            back.close();
            src.close();
        }
        try {
            java.nio.file.Files.move(tmp, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot move " + tmp + " to " + to, e);
        }
        return worst;
    }

    private static void param(JitModule m, String name, float[] data, long... shape) {
        Tensor t = Tensors.floats(data, shape);
        t.requires_grad_(true);
        m.register_parameter(name, t, false);
    }

    private static float[] normal(Random rnd, float std, int... dims) {
        int n = 1;
        for (int x : dims) {
            n *= x;
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * std);
        }
        return a;
    }

    private static float[] fill(float value, int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    /**
     * Grammar masks (0 allowed, -1e9 not): rows 0..8 the nine tokens of an object, row 9 after an object
     * ({@code ;} or end), row 10 end only (after the fourth object).
     */
    static float[] grammar() {
        int v = ThinkVocab.size();
        float[] g = new float[11 * v];
        java.util.Arrays.fill(g, -1e9f);
        for (io.irgstream.shapes.world.Color c : io.irgstream.shapes.world.Color.values()) {
            g[ThinkVocab.id(c.word())] = 0;
        }
        for (io.irgstream.shapes.world.Shape s : io.irgstream.shapes.world.Shape.values()) {
            g[v + ThinkVocab.id(s.word())] = 0;
        }
        g[2 * v + ThinkVocab.id("at")] = 0;
        g[3 * v + ThinkVocab.id("x")] = 0;
        g[5 * v + ThinkVocab.id("y")] = 0;
        g[7 * v + ThinkVocab.id("size")] = 0;
        for (int n = 0; n < 64; n++) {
            g[4 * v + ThinkVocab.number(n)] = 0;
            g[6 * v + ThinkVocab.number(n)] = 0;
        }
        for (int n = 10; n <= 20; n++) {
            g[8 * v + ThinkVocab.number(n)] = 0;
        }
        g[9 * v + ThinkVocab.id(";")] = 0;
        g[9 * v + ThinkVocab.EOS] = 0;
        g[10 * v + ThinkVocab.EOS] = 0;
        return g;
    }

    static String source(Config cfg) {
        StringBuilder vocab = new StringBuilder();
        List<String> words = ThinkVocab.words();
        for (int i = 0; i < words.size(); i++) {
            vocab.append(i == 0 ? "" : ", ").append('"').append(words.get(i)).append('"');
        }
        StringBuilder layers = new StringBuilder();
        StringBuilder cached = new StringBuilder();
        StringBuilder weights = new StringBuilder("    return [self.tok_emb.float(), self.pos_emb.float(), self.wnum.float(),"
                + " self.lnf_w.float(), self.lnf_b.float()");
        for (int l = 0; l < cfg.layers(); l++) {
            StringBuilder args = new StringBuilder();
            for (int i = 0; i < LAYER_PARAMS.size(); i++) {
                args.append(", W[").append(5 + l * LAYER_PARAMS.size() + i).append(']');
                weights.append(", self.l").append(l).append('_').append(LAYER_PARAMS.get(i)).append(".float()");
            }
            cached.append("    x, k, v = self.block_cached(x, mask, ks[").append(l).append("], vs[").append(l)
                    .append(']').append(args).append(")\n")
                    .append("    ks[").append(l).append("] = k\n    vs[").append(l).append("] = v\n");
            layers.append("    x = self.block(x, mask").append(args).append(")\n");
        }
        weights.append("]\n");
        return """
                def contract_version(self) -> int:
                    return 1
                def step_name(self) -> str:
                    return "think"
                def vocab(self) -> List[str]:
                    return [%VOCAB%]
                def block(self, x: Tensor, mask: Tensor, ln1w: Tensor, ln1b: Tensor, wqkv: Tensor, bqkv: Tensor, wo: Tensor, bo: Tensor, ln2w: Tensor, ln2b: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
                    B = x.size(0)
                    L = x.size(1)
                    D = x.size(2)
                    H = %HEADS%
                    hd = D // H
                    h = torch.layer_norm(x, [D], ln1w, ln1b, 1e-5)
                    qkv = torch.matmul(h, wqkv) + bqkv
                    q = qkv[:, :, 0:D].reshape(B, L, H, hd).transpose(1, 2)
                    k = qkv[:, :, D:2 * D].reshape(B, L, H, hd).transpose(1, 2)
                    v = qkv[:, :, 2 * D:3 * D].reshape(B, L, H, hd).transpose(1, 2)
                    att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / (float(hd) ** 0.5)) + mask
                    att = torch.softmax(att, -1)
                    o = torch.matmul(att, v).transpose(1, 2).reshape(B, L, D)
                    x = x + torch.matmul(o, wo) + bo
                    h = torch.layer_norm(x, [D], ln2w, ln2b, 1e-5)
                    h = torch.relu(torch.matmul(h, w1) + b1)
                    return x + torch.matmul(h, w2) + b2
                # The parameters in float32, in the order the code below indexes them: tok_emb, pos_emb, wnum, lnf_w,
                # lnf_b, then each layer's twelve. The shipped file stores them in float16; think() converts them once
                # per call (while training they are float32 and .float() returns them as they are).
                def weights(self) -> List[Tensor]:
                %WEIGHTS%
                def logits(self, tokens: Tensor) -> Tensor:
                    W = self.weights()
                    B = tokens.size(0)
                    L = tokens.size(1)
                    D = W[0].size(1)
                    flat = tokens.reshape(-1)
                    x = W[0].index_select(0, flat).reshape(B, L, D)
                    x = x + W[1][0:L].unsqueeze(0)
                    x = x + self.numv.index_select(0, flat).reshape(B, L, 1) * W[2]
                    mask = torch.triu(torch.ones([L, L], device=tokens.device), 1) * -1e9
                %LAYERS%
                    x = torch.layer_norm(x, [D], W[3], W[4], 1e-5)
                    return torch.matmul(x, W[0].t())
                def block_cached(self, x: Tensor, mask: Tensor, kc: Tensor, vc: Tensor, ln1w: Tensor, ln1b: Tensor, wqkv: Tensor, bqkv: Tensor, wo: Tensor, bo: Tensor, ln2w: Tensor, ln2b: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
                    B = x.size(0)
                    L = x.size(1)
                    D = x.size(2)
                    H = %HEADS%
                    hd = D // H
                    h = torch.layer_norm(x, [D], ln1w, ln1b, 1e-5)
                    qkv = torch.matmul(h, wqkv) + bqkv
                    q = qkv[:, :, 0:D].reshape(B, L, H, hd).transpose(1, 2)
                    k = torch.cat([kc, qkv[:, :, D:2 * D].reshape(B, L, H, hd).transpose(1, 2)], 2)
                    v = torch.cat([vc, qkv[:, :, 2 * D:3 * D].reshape(B, L, H, hd).transpose(1, 2)], 2)
                    att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / (float(hd) ** 0.5)) + mask
                    att = torch.softmax(att, -1)
                    o = torch.matmul(att, v).transpose(1, 2).reshape(B, L, D)
                    x = x + torch.matmul(o, wo) + bo
                    h = torch.layer_norm(x, [D], ln2w, ln2b, 1e-5)
                    h = torch.relu(torch.matmul(h, w1) + b1)
                    return x + torch.matmul(h, w2) + b2, k, v
                # Logits of the last position for new tokens at positions start.. given the keys and values of the
                # earlier positions (ks, vs per layer, updated in place): decoding reads each token once.
                def logits_cached(self, tokens: Tensor, start: int, ks: List[Tensor], vs: List[Tensor], W: List[Tensor]) -> Tensor:
                    B = tokens.size(0)
                    L = tokens.size(1)
                    D = W[0].size(1)
                    flat = tokens.reshape(-1)
                    x = W[0].index_select(0, flat).reshape(B, L, D)
                    x = x + W[1][start:start + L].unsqueeze(0)
                    x = x + self.numv.index_select(0, flat).reshape(B, L, 1) * W[2]
                    mask = torch.triu(torch.ones([L, start + L], device=tokens.device), start + 1) * -1e9
                %CACHED%
                    x = torch.layer_norm(x[:, L - 1:L], [D], W[3], W[4], 1e-5)
                    return torch.matmul(x, W[0].t())[0, 0]
                def loss(self, tokens: Tensor, targets: Tensor, weights: Tensor) -> Tensor:
                    lp = torch.log_softmax(self.logits(tokens), -1)
                    nll = -lp.gather(2, targets.unsqueeze(2)).squeeze(2)
                    return (nll * weights).sum() / weights.sum()
                def encode_prompt(self, prompt: str, ids: Dict[str, int]) -> List[int]:
                    out: List[int] = [%BOS%]
                    for w in self.canonical_words(prompt):
                        if len(out) < %MAXPROMPT% + 1:
                            if w in ids:
                                out.append(ids[w])
                            else:
                                out.append(%UNK%)
                    out.append(%SEP%)
                    return out
                def decode(self, prompt: str, ids: Dict[str, int], voc: List[str], uniforms: Tensor, b: int, offset: int, temperature: float, W: List[Tensor]) -> str:
                    semi = ids[";"]
                    seq = self.encode_prompt(prompt, ids)
                    words: List[str] = []
                    state = 0
                    nobj = 0
                    D = W[0].size(1)
                    hd = D // %HEADS%
                    ks: List[Tensor] = []
                    vs: List[Tensor] = []
                    for l in range(%NLAYERS%):
                        ks.append(torch.zeros([1, %HEADS%, 0, hd], device=uniforms.device))
                        vs.append(torch.zeros([1, %HEADS%, 0, hd], device=uniforms.device))
                    fed = 0
                    for t in range(%MAXPLAN% + 1):
                        x = torch.tensor([seq[fed:]], device=uniforms.device)
                        lg = self.logits_cached(x, fed, ks, vs, W)
                        fed = len(seq)
                        row = state
                        if state == 9 and nobj == 4:
                            row = 10
                        lg = lg + self.grammar[row]
                        idx = 0
                        if temperature <= 0.0:
                            idx = int(torch.argmax(lg).item())
                        else:
                            pr = torch.softmax(lg / temperature, -1)
                            c = torch.cumsum(pr, 0)
                            u = float(uniforms[b, (t + offset) % uniforms.size(1)].item())
                            idx = int((c < u * c[-1]).sum().item())
                            if idx >= pr.size(0):
                                idx = int(torch.argmax(lg).item())
                            if float(self.grammar[row][idx].item()) < 0.0:
                                idx = int(torch.argmax(lg).item())
                        if idx == %EOS%:
                            break
                        seq.append(idx)
                        words.append(voc[idx])
                        if state == 8:
                            nobj += 1
                            state = 9
                        elif idx == semi:
                            state = 0
                        else:
                            state += 1
                    return " ".join(words)
                def plan_ok(self, phrases: List[List[int]], relations: List[List[int]], thought: str) -> bool:
                    objs = self.parse_thought(thought)
                    if len(objs) == 0 or len(objs) != len(thought.split(";")):
                        return False
                    return self.plan_layout_ok(objs) and self.satisfies(phrases, relations, objs, True)
                def think_tries(self, prompts: List[str], uniforms: Tensor, temperature: float, tries: int) -> List[str]:
                    voc = self.vocab()
                    ids: Dict[str, int] = {}
                    for i in range(len(voc)):
                        ids[voc[i]] = i
                    W = self.weights()
                    out: List[str] = []
                    for b in range(len(prompts)):
                        text = self.decode(prompts[b], ids, voc, uniforms, b, 0, temperature, W)
                        phrases, relations, problem = self.parse_prompt(prompts[b])
                        if len(problem) == 0:
                            attempt = 1
                            while attempt < tries and not self.plan_ok(phrases, relations, text):
                                t2 = temperature
                                if t2 < 0.3:
                                    t2 = 0.3
                                cand = self.decode(prompts[b], ids, voc, uniforms, b, 29 * attempt, t2, W)
                                if self.plan_ok(phrases, relations, cand):
                                    text = cand
                                attempt += 1
                        out.append(text)
                    return out
                def think(self, prompts: List[str], uniforms: Tensor, temperature: float) -> List[str]:
                    return self.think_tries(prompts, uniforms, temperature, %TRIES%)
                def check_prompts(self, prompts: List[str]) -> List[str]:
                    out: List[str] = []
                    for p in prompts:
                        out.append(self.prompt_rejection(p))
                    return out
                """.replace("%VOCAB%", vocab).replace("%HEADS%", Integer.toString(cfg.heads()))
                .replace("%LAYERS%\n", layers.toString())
                .replace("%CACHED%\n", cached.toString())
                .replace("%WEIGHTS%\n", weights.toString())
                .replace("%NLAYERS%", Integer.toString(cfg.layers()))
                .replace("%BOS%", Integer.toString(ThinkVocab.BOS)).replace("%SEP%", Integer.toString(ThinkVocab.SEP))
                .replace("%UNK%", Integer.toString(ThinkVocab.UNK)).replace("%EOS%", Integer.toString(ThinkVocab.EOS))
                .replace("%MAXPROMPT%", Integer.toString(ThinkVocab.MAX_PROMPT))
                .replace("%MAXPLAN%", Integer.toString(ThinkVocab.MAX_PLAN))
                .replace("%TRIES%", Integer.toString(TRIES))
                + io.irgstream.shapes.world.PromptGrammar.source();
    }
}
