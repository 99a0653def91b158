# The reasoning half of the reflect step (TorchScript, appended to the detector's source together with the shared
# prompt grammar, prompt_grammar.py). It judges from the detected objects only (pixels; never scene metadata) by the
# rules of docs/shapes-world.md: satisfies(..., plan=False) (shape, color, measured size small <= 14 / large >= 16,
# exact counts, relations with a 3 px margin, all clauses at once) and two named objects closer than 2 px reading
# as one shape. When something is wrong it writes what, numbered modification steps and a corrected plan that keeps
# the right objects where they are: detected objects are assigned to the prompt's slots (exact matches, then
# same-shape objects to recolor or resize, then unneeded objects to replace; missing ones are added), extras that
# break an exact count are removed, and objects are moved so that relations hold with 10 px slack and boxes keep
# 4 px (at least 2 px) apart. The plan satisfies the prompt with plan slack (satisfies(..., plan=True)) or, as a
# last resort, is a fresh plan of the prompt's objects at free places. Objects are [shape, color, cx, cy, side] rows
# (shape 5 = a malformed blob the detector sees but that matches no shape). measure() reads each detection's color,
# center, size and shape from its pixels as the pixels-only evaluator does (shape by IoU with the ideal shapes).
def contract_version(self) -> int:
    return 1
def step_name(self) -> str:
    return "reflect"
def detect(self, images: Tensor) -> List[List[List[int]]]:
    # The network in float32 as trained; a batch whose outputs are not all finite is computed again in float64
    # (features64): libtorch's float32 CPU convolutions (oneDNN) return NaN now and then on some hosts (ReflectModule)
    raw = self.features(images)
    if not bool(torch.isfinite(raw).all()):
        raw = self.features64(images)
    nz = torch.nonzero(raw[:, 0] > -1.0)
    bi = nz[:, 0]
    gy = nz[:, 1]
    gx = nz[:, 2]
    cells = raw[bi, :, gy, gx]
    rows: List[List[int]] = torch.stack([bi, cells[:, 1:7].argmax(1), cells[:, 7:15].argmax(1),
                                         gx * 8 + cells[:, 15:23].argmax(1), gy * 8 + cells[:, 23:31].argmax(1),
                                         10 + cells[:, 31:42].argmax(1)], 1).tolist()
    allscores: List[float] = cells[:, 0].tolist()
    out: List[List[List[int]]] = []
    for b in range(images.size(0)):
        cand: List[List[int]] = []
        scores: List[float] = []
        for k in range(len(rows)):
            if rows[k][0] == b:
                cand.append(rows[k][1:6])
                scores.append(allscores[k])
        objs: List[List[int]] = []
        taken: List[bool] = []
        for k in range(len(cand)):
            taken.append(False)
        for r in range(len(cand)):
            best = -1
            for k in range(len(cand)):
                if not taken[k] and (best < 0 or scores[k] > scores[best]):
                    best = k
            taken[best] = True
            dup = False
            for o in objs:
                if abs(o[2] - cand[best][2]) < 8 and abs(o[3] - cand[best][3]) < 8:
                    dup = True
            if not dup:
                objs.append(cand[best])
        # Row order (top to bottom, then left to right), not score order: two confident detections' scores can swap
        # by a rounding difference between batch sizes (the convolutions' kernels depend on the batch on some CPUs),
        # and the order must not change the reflection an image gets in a batch of 1 or of 16
        for i in range(1, len(objs)):
            j = i
            while j > 0 and objs[j - 1][3] * 64 + objs[j - 1][2] > objs[j][3] * 64 + objs[j][2]:
                t = objs[j - 1]
                objs[j - 1] = objs[j]
                objs[j] = t
                j -= 1
        out.append(objs)
    return out
# A mask [n, W, W] grown by one pixel to its 8 neighbours (grow8) or its 4 neighbours (grow4).
def grow8(self, x: Tensor) -> Tensor:
    W = x.size(2)
    p = torch.constant_pad_nd(x, [1, 1, 0, 0], 0)
    h = p[:, :, 0:W] | p[:, :, 1:W + 1] | p[:, :, 2:W + 2]
    q = torch.constant_pad_nd(h, [0, 0, 1, 1], 0)
    return q[:, 0:W, :] | q[:, 1:W + 1, :] | q[:, 2:W + 2, :]
def grow4(self, x: Tensor) -> Tensor:
    W = x.size(2)
    p = torch.constant_pad_nd(x, [1, 1, 1, 1], 0)
    return x | p[:, 1:W + 1, 0:W] | p[:, 1:W + 1, 2:W + 2] | p[:, 0:W, 1:W + 1] | p[:, 2:W + 2, 1:W + 1]
# The detected objects measured on the pixels the way docs/shapes-world.md's judge measures them: the object is the
# 8-connected component of bright pixels (brightest channel > 60, isolated specks dropped) under the detected center;
# its color is the palette color most of its pixels are nearest to; its box is that of its pixels at least half as
# bright as that color (one-pixel spurs trimmed), giving the measured side and the box center. The detector's cell
# grid reads sides only to about a pixel, which decides "small" (<= 14) and "large" (>= 16); the measurement does not.
# A detection keeps the detector's reading when no component lies under its center or the component is larger than
# an object can be (two objects run together), and is dropped when its component is a speck (< 20 px).
def measure(self, images: Tensor, dets: List[List[List[int]]]) -> List[List[List[int]]]:
    bs: List[int] = []
    ks: List[int] = []
    cxs: List[int] = []
    cys: List[int] = []
    for b in range(len(dets)):
        for k in range(len(dets[b])):
            if dets[b][k][0] < 5:
                bs.append(b)
                ks.append(k)
                cxs.append(dets[b][k][2])
                cys.append(dets[b][k][3])
    if len(bs) == 0:
        return dets
    dev = images.device
    pal = torch.tensor([[230, 40, 40], [245, 140, 20], [240, 220, 40], [40, 190, 70], [50, 90, 235], [150, 60, 200], [245, 120, 190], [245, 245, 245]], device=dev)
    # each object in a 27 x 27 window around its detected center (an object's box is at most 20 px), read from the
    # image with a one-pixel margin (V x V) for the speck test; pixels outside the image are dark. Only the windows
    # are computed on (no full-image tensors but the brightness): small tensors, no parallel regions.
    R = 13
    W = 2 * R + 1
    V = W + 2
    n = len(bs)
    ar = torch.arange(W, device=dev)
    av = torch.arange(V, device=dev)
    bi = torch.tensor(bs, device=dev)
    cy = torch.tensor(cys, device=dev).clamp(0, 63)
    cx = torch.tensor(cxs, device=dev).clamp(0, 63)
    ys = cy.view(n, 1) + av.view(1, V) - (R + 1)
    xs = cx.view(n, 1) + av.view(1, V) - (R + 1)
    ysc = ys.clamp(0, 63)
    xsc = xs.clamp(0, 63)
    inside = (ys == ysc).view(n, V, 1) & (xs == xsc).view(n, 1, V)
    bv = torch.where(inside, torch.amax(images, 1)[bi.view(n, 1, 1), ysc.view(n, V, 1), xsc.view(n, 1, V)], 0).long()
    brightw = bv[:, 1:V - 1, 1:V - 1]
    # bright pixels (brightest channel > 60) as bit rows (bit x of row y is window pixel (y, x)); an isolated speck
    # (no bright 4-neighbour) is dropped
    bitv = torch.ones_like(av) << av
    onv = ((bv > 60).long() * bitv.view(1, 1, V)).sum(2)
    pv = torch.constant_pad_nd(onv, [1, 1], 0)
    onv = onv & ((onv << 1) | (onv >> 1) | pv[:, 0:V] | pv[:, 2:V + 2])
    # the flood, on the window's bit rows (one empty row above and below, so rolling the rows brings in nothing): a
    # step grows the component by one pixel to its 8 neighbours (shifts and ors of whole rows) within the bright
    # pixels; after 6 steps (no object is narrower than 10 px) a fixed point is checked every 2 steps, 48 steps at
    # most. The seed is the bright pixels within 1 px of the detected center, or within 2 px when there are none.
    bit = torch.ones_like(ar) << ar
    onr = torch.constant_pad_nd((onv[:, 1:V - 1] >> 1) & ((1 << W) - 1), [1, 1], 0)
    dist = (torch.arange(W + 2, device=dev) - (R + 1)).abs()
    cr = onr & ((dist <= 1).long() * (7 << (R - 1)))
    empty = (cr == 0).all(1, True)
    cr = torch.where(empty, onr & ((dist <= 2).long() * (31 << (R - 2))), cr)
    for it in range(6):
        h = cr | (cr << 1) | (cr >> 1)
        cr = (h | h.roll(1, 1) | h.roll(-1, 1)) & onr
    for it in range(21):
        nxt = cr
        for j in range(2):
            h = nxt | (nxt << 1) | (nxt >> 1)
            nxt = (h | h.roll(1, 1) | h.roll(-1, 1)) & onr
        if bool(torch.equal(nxt, cr)):
            break
        cr = nxt
    comp = (cr[:, 1:W + 1].unsqueeze(2) & bit.view(1, 1, W)) != 0
    cm = comp
    # a component that reaches the window's edge is larger than an object can be (objects run together)
    edge = ((cr[:, 1] | cr[:, W]) != 0) | ((cr & (1 | (1 << (W - 1)))) != 0).any(1)
    # its color: the palette color most of its pixels are nearest to
    # (|x - p|^2 = |x|^2 - 2 x.p + |p|^2: the same order without |x|^2; every term an integer below 2^24, exact in
    # float32, so ties fall as in the full distance)
    at = torch.nonzero(cm)
    obj = at[:, 0]
    pix = images.permute(0, 2, 3, 1)[bi[obj], cy[obj] - R + at[:, 1], cx[obj] - R + at[:, 2]]
    palf = pal.float()
    near = ((palf * palf).sum(1) - 2.0 * torch.matmul(pix.float(), palf.t())).argmin(1)
    votes = torch.bincount(obj * 8 + near, None, n * 8).view(n, 8)
    color = votes.argmax(1)
    half = torch.amax(pal, 1).index_select(0, color) // 2
    core = cm & (brightw >= half.view(n, 1, 1))
    q = torch.constant_pad_nd(core.long(), [1, 1, 1, 1], 0)
    n4 = q[:, 1:W + 1, 0:W] + q[:, 1:W + 1, 2:W + 2] + q[:, 0:W, 1:W + 1] + q[:, 2:W + 2, 1:W + 1]
    core = core & (n4 >= 2)
    area = core.sum([1, 2])
    rows = core.any(2).long()
    cols = core.any(1).long()
    ox = cx - R
    oy = cy - R
    y0 = rows.argmax(1) + oy
    y1 = W - 1 - rows.flip([1]).argmax(1) + oy
    x0 = cols.argmax(1) + ox
    x1 = W - 1 - cols.flip([1]).argmax(1) + ox
    bw = x1 - x0 + 1
    bh = y1 - y0 + 1
    side = torch.where(edge, torch.full_like(bw, 99), torch.maximum(bw, bh))
    meas = torch.stack([color, x0 + bw // 2, y0 + bh // 2, side, area, comp.sum([1, 2]).long()], 1).cpu()
    shp = self.shapes_of(core, rows.argmax(1), cols.argmax(1), bh, bw)
    rows_out: List[List[int]] = torch.cat([meas, shp.view(n, 1).cpu()], 1).tolist()
    out: List[List[List[int]]] = []
    drop: List[List[bool]] = []
    for b in range(len(dets)):
        row: List[List[int]] = []
        dr: List[bool] = []
        for o in dets[b]:
            row.append([o[0], o[1], o[2], o[3], o[4]])
            dr.append(False)
        out.append(row)
        drop.append(dr)
    for i in range(n):
        r = rows_out[i]
        b = bs[i]
        k = ks[i]
        if r[5] > 0 and r[4] < 20:
            drop[b][k] = True
        elif r[5] > 0 and r[3] <= 20:
            # the shape as the evaluator reads it from the pixels (best IoU with an ideal shape, 5 when none
            # reaches 0.6): a small diamond painted round is a circle to a pixels-only judge, whatever the
            # detector's shape head says
            out[b][k] = [r[6] if r[6] >= 0 else 5, r[0], r[1], r[2], r[3]]
    res: List[List[List[int]]] = []
    for b in range(len(dets)):
        row2: List[List[int]] = []
        for k in range(len(out[b])):
            if not drop[b][k]:
                row2.append(out[b][k])
        res.append(row2)
    return res
# The ideal shapes of docs/shapes-world.md for the box sides in sizes [K] (pixel centers at +0.5), each cropped to
# its own bounding box and placed at the top-left corner of an S x S canvas: [shape, k, y, x], with 0 circle,
# 1 square, 2 triangle, 3 diamond, 4 cross.
def ideal_masks(self, sizes: Tensor, S: int) -> Tensor:
    dev = sizes.device
    K = sizes.size(0)
    s = sizes.view(K, 1, 1)
    sd = s.double()
    idx = torch.arange(S, device=dev)
    yi = idx.view(1, S, 1)
    xi = idx.view(1, 1, S)
    dy = yi.double() + 0.5 - sd / 2.0
    dx = xi.double() + 0.5 - sd / 2.0
    r = sd / 2.0
    valid = (yi < s) & (xi < s)
    circle = (dx * dx + dy * dy <= r * r) & valid
    square = valid.expand(K, S, S)
    triangle = (dx.abs() <= (yi.double() + 0.5) / sd * r) & valid
    diamond = (dx.abs() + dy.abs() <= r) & valid
    arm = torch.clamp((s + 1) // 3, min=2)
    lo = (s - arm) // 2
    cross = (((yi >= lo) & (yi < lo + arm)) | ((xi >= lo) & (xi < lo + arm))) & valid
    t = torch.stack([circle, square, triangle, diamond, cross], 0)
    y0 = t.any(3).long().argmax(2)
    x0 = t.any(2).long().argmax(2)
    tp = torch.constant_pad_nd(t.long(), [0, S, 0, S], 0)
    t = tp.gather(2, (idx.view(1, 1, S) + y0.unsqueeze(2)).unsqueeze(3).expand(5, K, S, 2 * S))
    return t.gather(3, (idx.view(1, 1, 1, S) + x0.view(5, K, 1, 1)).expand(5, K, S, S)) > 0
# The shape of each object's mask as the evaluator reads it: core [n, W, W] holds the masks, each in the box with
# top-left (y0, x0) and size (h, w) inside its window. Holes the outside cannot reach (4-connected) are filled, then
# the shape is the one whose ideal mask of the box's side or one more, aligned at the top-left corners, has the best
# intersection over union (the first in shape order on a tie); -1 when none reaches 0.6, -2 for a box wider than 20
# (never judged). The ideal masks are the module's derived_ideals: ideal_masks() of sides 1..21, computed when the
# module is created, and derived_ideal_columns, the same as the columns of a matrix (ideal_columns()).
def ideal_columns(self, ideals: Tensor) -> Tensor:
    return ideals.reshape(ideals.size(0) * ideals.size(1), -1).t().float().contiguous()
def shapes_of(self, core: Tensor, y0: Tensor, x0: Tensor, h: Tensor, w: Tensor) -> Tensor:
    dev = core.device
    n = core.size(0)
    W = core.size(1)
    S = 21
    ar = torch.arange(W, device=dev)
    inbox = ((ar.view(1, W, 1) >= y0.view(n, 1, 1)) & (ar.view(1, W, 1) < (y0 + h).view(n, 1, 1))
             & (ar.view(1, 1, W) >= x0.view(n, 1, 1)) & (ar.view(1, 1, W) < (x0 + w).view(n, 1, 1)))
    free = inbox & ~core
    # a hole pixel has mask pixels on all four sides of it in its row and column; where no free pixel has, there
    # is nothing to fill (most objects: the flood below is skipped)
    c = core.long()
    walled = (free & (c.cumsum(2) > 0) & (c.flip([2]).cumsum(2).flip([2]) > 0) & (c.cumsum(1) > 0)
              & (c.flip([1]).cumsum(1).flip([1]) > 0))
    filled = core
    if bool(walled.any()):
        # the outside of the box grows through free pixels to their 4-neighbours; what it never reaches is filled
        # (on bit rows, as measure()'s flood: bit x of row y is window pixel (y, x))
        bit = torch.ones_like(ar) << ar
        reach = ((~inbox).long() * bit.view(1, 1, W)).sum(2)
        allowed = (free.long() * bit.view(1, 1, W)).sum(2) | reach
        for it in range(W * W):
            nxt = reach
            for j in range(4):
                p = torch.constant_pad_nd(nxt, [1, 1], 0)
                nxt = (nxt | (nxt << 1) | (nxt >> 1) | p[:, 0:W] | p[:, 2:W + 2]) & allowed
            if bool(torch.equal(nxt, reach)):
                break
            reach = nxt
        filled = inbox & ((reach.unsqueeze(2) & bit.view(1, 1, W)) == 0)
    # the filled mask from the box's top-left corner, S x S (nothing outside the box)
    ai = torch.arange(S, device=dev)
    ry = (y0.view(n, 1) + ai.view(1, S)).clamp(0, W - 1)
    rx = (x0.view(n, 1) + ai.view(1, S)).clamp(0, W - 1)
    fa = filled[torch.arange(n, device=dev).view(n, 1, 1), ry.view(n, S, 1), rx.view(n, 1, S)]
    fa = fa & (ai.view(1, S) < h.view(n, 1)).view(n, S, 1) & (ai.view(1, S) < w.view(n, 1)).view(n, 1, S)
    side = torch.maximum(h, w)
    ok = side <= 20
    sd = torch.where(ok, side, torch.ones_like(side))
    # its intersection with every ideal mask by one product with derived_ideal_columns (counts below 2^24, exact in
    # float32); the row of ones gives the ideal masks' areas. Then the ideals of the box's side and one more.
    ones = torch.ones(1, S * S, device=dev)
    m = torch.matmul(torch.cat([fa.view(n, S * S).float(), ones], 0), self.derived_ideal_columns)
    m = m.long().view(n + 1, 5, S)
    pick = torch.stack([sd - 1, sd], 1).view(n, 1, 2).expand(n, 5, 2)
    inter = m[0:n].gather(2, pick)
    tarea = m[n].view(1, 5, S).expand(n, 5, S).gather(2, pick)
    area = fa.sum([1, 2]).view(n, 1, 1)
    iou = (inter.double() / (area + tarea - inter).double()).view(n, 10)
    best = iou.argmax(1)
    best_iou = iou.max(1)[0]
    shape = torch.where(best_iou >= 0.6, best // 2, torch.full_like(best, -1))
    return torch.where(ok, shape, torch.full_like(best, -2))
# The objects of each image: the detector's, measured on the pixels.
def see(self, images: Tensor) -> List[List[List[int]]]:
    return self.measure(images, self.detect(images))
def box_gap(self, a: List[int], b: List[int]) -> int:
    x1 = a[2] - a[4] // 2
    y1 = a[3] - a[4] // 2
    x2 = b[2] - b[4] // 2
    y2 = b[3] - b[4] // 2
    g = max(x2 - (x1 + a[4]), x1 - (x2 + b[4]))
    return max(g, max(y2 - (y1 + a[4]), y1 - (y2 + b[4])))
def copy_obj(self, o: List[int]) -> List[int]:
    return [o[0], o[1], o[2], o[3], o[4]]
def copy_objs(self, objs: List[List[int]]) -> List[List[int]]:
    out: List[List[int]] = []
    for o in objs:
        out.append([o[0], o[1], o[2], o[3], o[4]])
    return out
def inside(self, o: List[int]) -> bool:
    x = o[2] - o[4] // 2
    y = o[3] - o[4] // 2
    return x >= 0 and y >= 0 and x + o[4] <= 64 and y + o[4] <= 64
# The object with its box moved the least needed to lie inside the canvas.
def nudge(self, o: List[int]) -> List[int]:
    s = o[4]
    lo = s // 2
    hi = 64 - s + s // 2
    return [o[0], o[1], min(max(o[2], lo), hi), min(max(o[3], lo), hi), s]
# Whether a stands in relation r to b with at least `slack` px between the centers.
def holds_slack(self, r: int, a: List[int], b: List[int], slack: int) -> bool:
    if r == 0:
        return a[2] <= b[2] - slack
    if r == 1:
        return a[2] >= b[2] + slack
    if r == 2:
        return a[3] <= b[3] - slack
    return a[3] >= b[3] + slack
# The free center nearest (tx, ty) for a box of side s: inside the canvas, at least `gap` px from every box in
# `others`, and, when rel >= 0, in relation rel to the center (rx, ry) with `slack` px; [-1, -1] when there is none.
# Ties go to the first place in row order, so the result is deterministic.
def place(self, tx: int, ty: int, s: int, others: List[List[int]], gap: int, rel: int, rx: int, ry: int, slack: int) -> List[int]:
    r = torch.arange(64)
    cx = r.view(1, 64).expand(64, 64)
    cy = r.view(64, 1).expand(64, 64)
    x = cx - s // 2
    y = cy - s // 2
    ok = (x >= 0) & (y >= 0) & (x + s <= 64) & (y + s <= 64)
    for o in others:
        t = o[4]
        xj = o[2] - t // 2
        yj = o[3] - t // 2
        g = torch.maximum(torch.maximum(xj - (x + s), x - (xj + t)), torch.maximum(yj - (y + s), y - (yj + t)))
        ok = ok & (g >= gap)
    if rel == 0:
        ok = ok & (cx <= rx - slack)
    elif rel == 1:
        ok = ok & (cx >= rx + slack)
    elif rel == 2:
        ok = ok & (cy <= ry - slack)
    elif rel == 3:
        ok = ok & (cy >= ry + slack)
    d = (cx - tx) * (cx - tx) + (cy - ty) * (cy - ty)
    d = torch.where(ok, d, torch.full_like(d, 1000000))
    idx = int(torch.argmin(d.reshape(-1)).item())
    if not bool(ok.reshape(-1)[idx].item()):
        return [-1, -1]
    return [idx % 64, idx // 64]
def a(self, word: str) -> str:
    if word.startswith("a") or word.startswith("e") or word.startswith("i") or word.startswith("o") or word.startswith("u"):
        return "an " + word
    return "a " + word
def obj_name(self, o: List[int]) -> str:
    if o[0] == 5:
        return "malformed " + self.color_words()[o[1]] + " object"
    return self.color_words()[o[1]] + " " + self.shape_words()[o[0]]
def at(self, o: List[int]) -> str:
    return "at x " + str(o[2]) + " y " + str(o[3])
# A phrase's attributes without its quantity: "small red circle" (plural: "small red circles").
def desc(self, ph: List[int], plural: bool) -> str:
    s = ""
    if ph[1] >= 0:
        s = self.size_words()[ph[1]] + " "
    if ph[2] >= 0:
        s = s + self.color_words()[ph[2]] + " "
    if plural:
        return s + self.shape_plurals()[ph[3]]
    return s + self.shape_words()[ph[3]]
def number_word(self, n: int) -> str:
    words = ["none", "one", "two", "three", "four"]
    if n >= 0 and n <= 4:
        return words[n]
    return str(n)
# The new object's description in a step: its size word when the phrase has one, its color and shape.
def new_desc(self, ph: List[int], o: List[int]) -> str:
    s = ""
    if ph[1] >= 0:
        s = self.size_words()[ph[1]] + " "
    return s + self.color_words()[o[1]] + " " + self.shape_words()[o[0]]
def fmt_plan(self, objs: List[List[int]]) -> str:
    parts: List[str] = []
    for o in objs:
        parts.append(self.color_words()[o[1]] + " " + self.shape_words()[o[0]] + " at x " + str(o[2]) + " y " + str(o[3]) + " size " + str(o[4]))
    return " ; ".join(parts)
def text(self, expl: List[str], steps: List[str], plan: List[List[int]], ok: bool) -> str:
    t = "Detailed Explanation of Required Improvements:\n" + " ".join(expl) + "\nStep-by-Step Modification Guidance:\n"
    for i in range(len(steps)):
        t = t + str(i + 1) + ". " + steps[i] + "\n"
    v = "NEEDS_CHANGES"
    if ok:
        v = "SATISFIED"
    return t + "Final Comprehensive Prompt for the Improved Image:\n" + self.fmt_plan(plan) + "\nVerdict: " + v
# Objects seen where the thought planned them (same shape and color, center within 4 px) take the planned numbers,
# so that the corrected plan repeats what was meant where the image already shows it. keep[i] False: leave as is.
def snap(self, objs: List[List[int]], plan: List[List[int]], keep: List[bool]) -> List[List[int]]:
    out = self.copy_objs(objs)
    taken: List[bool] = []
    for p in plan:
        taken.append(False)
    for i in range(len(out)):
        o = out[i]
        if not keep[i]:
            continue
        for k in range(len(plan)):
            p = plan[k]
            if not taken[k] and p[0] == o[0] and p[1] == o[1] and abs(p[2] - o[2]) <= 4 and abs(p[3] - o[3]) <= 4:
                free = True
                for j in range(len(out)):
                    if j != i and self.box_gap(p, out[j]) < 2:
                        free = False
                if free:
                    taken[k] = True
                    out[i] = self.copy_obj(p)
                    break
    return out
def all_true(self, n: int) -> List[bool]:
    out: List[bool] = []
    for i in range(n):
        out.append(True)
    return out
# Whether the measured side s reads as the phrase's size (no size word: any).
def size_judged(self, ph: List[int], s: int) -> bool:
    if ph[1] == 0:
        return s <= 14
    if ph[1] == 1:
        return s >= 16
    return True
# A planned side for the phrase, starting from s: inside the plan range of its size word, 10..20 without one.
def plan_side(self, ph: List[int], s: int) -> int:
    if ph[1] == 0:
        return min(max(s, 10), 13)
    if ph[1] == 1:
        return min(max(s, 18), 20)
    return min(max(s, 10), 20)
# The two named objects (shapes the prompt names) closer than 2 px, as [i, j], or [-1, -1].
def touching_pair(self, phrases: List[List[int]], objs: List[List[int]]) -> List[int]:
    named: List[bool] = []
    for o in objs:
        nm = False
        for ph in phrases:
            if ph[3] == o[0]:
                nm = True
        named.append(nm)
    for i in range(len(objs)):
        for j in range(i + 1, len(objs)):
            if named[i] and named[j] and self.box_gap(objs[i], objs[j]) < 2:
                return [i, j]
    return [-1, -1]
# For each of the prompt's slots, the thought's object planned for it (an index into plan, -1 when none): the plan's
# object at the slot's own position when it has the phrase's shape and color, else the first unused one with the
# phrase's shape and color, else with its shape.
def planned_slots(self, phrases: List[List[int]], slots: List[int], plan: List[List[int]]) -> List[int]:
    ns = len(slots)
    out: List[int] = []
    used: List[bool] = []
    for k in range(ns):
        out.append(-1)
    for p in range(len(plan)):
        used.append(False)
    for k in range(ns):
        ph = phrases[slots[k]]
        if k < len(plan) and plan[k][0] == ph[3] and (ph[2] < 0 or plan[k][1] == ph[2]):
            out[k] = k
            used[k] = True
    for strict in [True, False]:
        for k in range(ns):
            ph = phrases[slots[k]]
            for p in range(len(plan)):
                if out[k] < 0 and not used[p] and plan[p][0] == ph[3] and (not strict or ph[2] < 0 or plan[p][1] == ph[2]):
                    out[k] = p
                    used[p] = True
    return out
# The first exact phrase other than `own` that object o would count toward in a plan, or -1.
def count_conflict(self, phrases: List[List[int]], own: int, o: List[int]) -> int:
    for pi in range(len(phrases)):
        if pi != own and phrases[pi][0] >= 1 and self.counts_toward(phrases[pi], o, True):
            return pi
    return -1
# Object o of phrase `own` changed, where the phrase leaves it free, so that it counts toward no other exact phrase:
# another color when the phrase names none, else another side when the phrase names no size.
def avoid_counting(self, phrases: List[List[int]], own: int, o: List[int]) -> List[int]:
    out = self.copy_obj(o)
    for rnd in range(3):
        pi = self.count_conflict(phrases, own, out)
        if pi >= 0:
            fixed = False
            if own < 0 or phrases[own][2] < 0:
                for t in range(1, 8):
                    if not fixed:
                        cand = [out[0], (out[1] + t) % 8, out[2], out[3], out[4]]
                        if self.count_conflict(phrases, own, cand) < 0:
                            out = cand
                            fixed = True
            if not fixed and (own < 0 or phrases[own][1] < 0) and phrases[pi][1] >= 0:
                if phrases[pi][1] == 0:
                    out[4] = 18
                else:
                    out[4] = 12
    return out
# What assigning object o to a slot of phrase ph costs: 0 when it fits, recoloring 1000, resizing 800, replacing it
# by the phrase's shape 2000 near the slot's planned place (2600 elsewhere); plus its distance from that place.
def pair_cost(self, ph: List[int], o: List[int], pl: int, plan: List[List[int]]) -> int:
    c = 0
    if o[0] == ph[3]:
        if ph[2] >= 0 and o[1] != ph[2]:
            c += 1000
        if not self.size_judged(ph, o[4]):
            c += 800
    else:
        c = 2600
        if pl >= 0 and abs(plan[pl][2] - o[2]) <= 6 and abs(plan[pl][3] - o[3]) <= 6:
            c = 2000
    if pl >= 0:
        c += min(abs(plan[pl][2] - o[2]) + abs(plan[pl][3] - o[3]), 99)
    return c
# Costs that show only once every slot is chosen: an unassigned object that would count toward an exact phrase has to
# go (1000), and so does a slot's object that, changed to its phrase, would count toward another exact phrase.
def leaf_cost(self, phrases: List[List[int]], slots: List[int], objs: List[List[int]], choice: List[int]) -> int:
    # (len(objs) is asked each time: a local count read again after the calls in the loop came back None, a
    # TorchScript interpreter fault seen with libtorch 2.10 when this is inlined into correct())
    assigned: List[bool] = []
    for i in range(len(objs)):
        assigned.append(False)
    for k in range(len(slots)):
        if choice[k] < len(objs):
            assigned[choice[k]] = True
    t = 0
    for k in range(len(slots)):
        if choice[k] < len(objs):
            t += self.slot_conflict(phrases, slots[k], objs[choice[k]])
    for i in range(len(objs)):
        if not assigned[i] and self.count_conflict(phrases, -1, objs[i]) >= 0:
            t += 1000
    return t
# 1000 when object o, changed to its slot's phrase `own`, would count toward another exact phrase, else 0.
def slot_conflict(self, phrases: List[List[int]], own: int, o: List[int]) -> int:
    ph = phrases[own]
    col = o[1]
    if ph[2] >= 0:
        col = ph[2]
    side = o[4]
    if ph[1] >= 0:
        side = self.plan_side(ph, side)
    if self.count_conflict(phrases, own, [ph[3], col, 0, 0, side]) >= 0:
        return 1000
    return 0
# The cheapest assignment of distinct detected objects to the prompt's slots (-1: the slot's object is added, 3000),
# with 1000 for each relation that does not hold between two assigned objects: an iterative depth-first search with
# pruning (TorchScript has no recursion). Ties keep the first found (lower object indices).
def best_assignment(self, phrases: List[List[int]], slots: List[int], partner: List[int], prel: List[int], objs: List[List[int]], plan: List[List[int]], pslot: List[int]) -> List[int]:
    ns = len(slots)
    n = len(objs)
    cost: List[List[int]] = []
    for k in range(ns):
        row: List[int] = []
        for i in range(n):
            row.append(self.pair_cost(phrases[slots[k]], objs[i], pslot[k], plan))
        cost.append(row)
    best: List[int] = []
    choice: List[int] = []
    partial: List[int] = []
    for k in range(ns):
        best.append(-1)
        choice.append(-1)
        partial.append(0)
    used: List[bool] = []
    for i in range(n):
        used.append(False)
    best_cost = 1000000000
    d = 0
    while d >= 0:
        if choice[d] >= 0 and choice[d] < n:
            used[choice[d]] = False
        c = choice[d] + 1
        while c < n and used[c]:
            c += 1
        if c > n:
            choice[d] = -1
            d -= 1
            continue
        choice[d] = c
        t = partial[d] + 3000
        if c < n:
            t = partial[d] + cost[d][c]
            p = partner[d]
            if p >= 0 and p < d and choice[p] < n:
                if not self.relation_holds(prel[d], objs[c], objs[choice[p]]):
                    t += 1000
        if t >= best_cost:
            continue
        if c < n:
            used[c] = True
        if d == ns - 1:
            t += self.leaf_cost(phrases, slots, objs, choice)
            if t < best_cost:
                best_cost = t
                for k in range(ns):
                    if choice[k] < n:
                        best[k] = choice[k]
                    else:
                        best[k] = -1
        else:
            partial[d + 1] = t
            d += 1
            choice[d] = -1
    return best
def plan_ok(self, phrases: List[List[int]], relations: List[List[int]], objs: List[List[int]]) -> bool:
    return self.plan_layout_ok(objs) and self.satisfies(phrases, relations, objs, True)
# The boxes other than cur[m] that are still in the plan.
def others_of(self, cur: List[List[int]], state: List[int], m: int) -> List[List[int]]:
    out: List[List[int]] = []
    for q in range(len(cur)):
        if q != m and state[q] != 2:
            out.append(cur[q])
    return out
# The nearest place to (tx, ty) for cur[m] with side s: 4 px from the other boxes (else 2) and, when rel >= 0, in
# relation rel to ref with 10 px slack (loose: else 4 px); [-1, -1] when there is none.
def free_place(self, cur: List[List[int]], state: List[int], m: int, tx: int, ty: int, s: int, rel: int, ref: List[int], loose: bool) -> List[int]:
    others = self.others_of(cur, state, m)
    slacks = [10]
    if loose and rel >= 0:
        slacks = [10, 4]
    for slack in slacks:
        for gap in [4, 2]:
            pos = self.place(tx, ty, s, others, gap, rel, ref[2], ref[3], slack)
            if pos[0] >= 0:
                return pos
    return [-1, -1]
# The relation that slot k's object must have to its partner's object, with the partner's object ([-1, ...] when
# k has no partner or the partner has no object yet).
def rel_ref(self, k: int, partner: List[int], prel: List[int], slot_obj: List[int], cur: List[List[int]]) -> Tuple[int, List[int]]:
    if k >= 0 and partner[k] >= 0 and slot_obj[partner[k]] >= 0:
        return prel[k], cur[slot_obj[partner[k]]]
    return -1, [0, 0, 0, 0, 0]
def move_step(self, o: List[int], pos: List[int], why: str) -> str:
    return "Move the " + self.obj_name(o) + " from x " + str(o[2]) + " y " + str(o[3]) + " to x " + str(pos[0]) + " y " + str(pos[1]) + why + "."
# A fresh plan of the prompt's objects (the last resort when the image cannot be corrected in place): each slot's
# object keeps what it has of the detected or planned one (color, side, place as a target) and goes to the nearest
# free place (4 px between boxes, relations with 10 px slack); when that leaves no room, the objects go to the four
# quadrants in the first arrangement that satisfies the prompt.
def fresh_plan(self, phrases: List[List[int]], relations: List[List[int]], slots: List[int], partner: List[int], prel: List[int], cur: List[List[int]], slot_obj: List[int], plan: List[List[int]], pslot: List[int], u0: float, u1: float) -> List[List[int]]:
    ns = len(slots)
    protos: List[List[int]] = []
    for k in range(ns):
        ph = phrases[slots[k]]
        base = [ph[3], int(u0 * 8.0) % 8, 10 + int(u0 * 44.0), 10 + int(u1 * 44.0), 14]
        if slot_obj[k] >= 0:
            base = cur[slot_obj[k]]
        elif pslot[k] >= 0:
            base = plan[pslot[k]]
        o = [ph[3], base[1], base[2], base[3], self.plan_side(ph, base[4])]
        if ph[2] >= 0:
            o[1] = ph[2]
        if ph[1] < 0:
            o[4] = min(max(o[4], 12), 18)
        protos.append(self.avoid_counting(phrases, slots[k], o))
    out: List[List[int]] = []
    ok = True
    for k in range(ns):
        if ok:
            o = protos[k]
            rel = -1
            ref = [0, 0, 0, 0, 0]
            p = partner[k]
            if p >= 0 and p < k:
                rel = prel[k]
                ref = out[p]
            pos = self.place(o[2], o[3], o[4], out, 4, rel, ref[2], ref[3], 10)
            if pos[0] < 0:
                ok = False
            else:
                out.append([o[0], o[1], pos[0], pos[1], o[4]])
    if ok and self.plan_ok(phrases, relations, out):
        return out
    centers = [[16, 16], [47, 16], [16, 47], [47, 47]]
    pw = [1, 4, 16, 64]
    last: List[List[int]] = []
    for code in range(256):
        cells: List[int] = []
        good = True
        for k in range(ns):
            c = (code // pw[k]) % 4
            if self.find_int(cells, c) >= 0:
                good = False
            cells.append(c)
        if good:
            q: List[List[int]] = []
            for k in range(ns):
                o = protos[k]
                q.append([o[0], o[1], centers[cells[k]][0], centers[cells[k]][1], o[4]])
            if self.plan_ok(phrases, relations, q):
                return q
            last = q
    return last
def correct(self, phrases: List[List[int]], relations: List[List[int]], objs: List[List[int]], blobs: List[List[int]], plan: List[List[int]], u0: float, u1: float) -> str:
    slots = self.prompt_slots(phrases)
    ns = len(slots)
    n = len(objs)
    pslot = self.planned_slots(phrases, slots, plan)
    partner: List[int] = []
    prel: List[int] = []
    for k in range(ns):
        partner.append(-1)
        prel.append(-1)
    for rc in relations:
        sa = self.find_int(slots, rc[0])
        sb = self.find_int(slots, rc[2])
        partner[sa] = sb
        prel[sa] = rc[1]
        partner[sb] = sa
        prel[sb] = rc[1] ^ 1
    assign = self.best_assignment(phrases, slots, partner, prel, objs, plan, pslot)
    cur = self.copy_objs(objs)
    state: List[int] = []
    touched: List[bool] = []
    slot_of: List[int] = []
    for i in range(n):
        state.append(0)
        touched.append(False)
        slot_of.append(-1)
    slot_obj: List[int] = []
    for k in range(ns):
        slot_obj.append(assign[k])
        if assign[k] >= 0:
            state[assign[k]] = 1
            slot_of[assign[k]] = k
    colors = self.color_words()
    shapes = self.shape_words()
    expl: List[str] = []
    steps: List[str] = []
    for b in blobs:
        expl.append("The " + self.obj_name(b) + " " + self.at(b) + " matches no shape.")
        steps.append("Remove the " + self.obj_name(b) + " " + self.at(b) + ".")
    # exact quantities as the pixels show them
    for ph in phrases:
        if ph[0] >= 1:
            c = 0
            for o in objs:
                if self.counts_toward(ph, o, False):
                    c += 1
            if c != ph[0]:
                expl.append("The image shows " + str(c) + " " + self.desc(ph, c != 1) + ", but the prompt asks for exactly " + str(ph[0]) + ".")
    # objects the prompt names that the image lacks (phrases with "a"; exact ones are explained above)
    said: List[bool] = []
    for ph in phrases:
        said.append(False)
    for k in range(ns):
        pi = slots[k]
        ph = phrases[pi]
        if slot_obj[k] < 0 and ph[0] == 0 and not said[pi]:
            g = 0
            for qi in range(len(phrases)):
                q = phrases[qi]
                if q[0] == 0 and q[1] == ph[1] and q[2] == ph[2] and q[3] == ph[3]:
                    g += 1
                    said[qi] = True
            f = 0
            for o in objs:
                if self.fits_phrase(ph, o, False):
                    f += 1
            if g >= 2:
                expl.append("The prompt asks for " + self.number_word(g) + " " + self.desc(ph, True) + ", but the image has " + self.number_word(min(f, g - 1)) + ".")
            elif f == 0:
                expl.append("The prompt asks for " + self.a(self.desc(ph, False)) + ", but the image has none.")
            else:
                expl.append("The prompt asks for one more " + self.desc(ph, False) + ".")
    # extras that would make an exact quantity too many
    for i in range(n):
        if state[i] == 0 and self.count_conflict(phrases, -1, cur[i]) >= 0:
            state[i] = 2
            steps.append("Remove the extra " + self.obj_name(cur[i]) + " " + self.at(cur[i]) + ".")
    # each slot's object gets its phrase's shape, color and size
    for k in range(ns):
        i = slot_obj[k]
        if i < 0:
            continue
        ph = phrases[slots[k]]
        o = self.copy_obj(cur[i])
        pl: List[int] = []
        if pslot[k] >= 0:
            pl = plan[pslot[k]]
        if o[0] != ph[3]:
            nw = [ph[3], o[1], o[2], o[3], o[4]]
            if len(pl) > 0 and abs(pl[2] - o[2]) <= 6 and abs(pl[3] - o[3]) <= 6:
                nw = [ph[3], pl[1], pl[2], pl[3], pl[4]]
            if ph[2] >= 0:
                nw[1] = ph[2]
            nw[4] = self.plan_side(ph, nw[4])
            nw = self.avoid_counting(phrases, slots[k], nw)
            expl.append("The " + self.obj_name(o) + " " + self.at(o) + " should be " + self.a(self.new_desc(ph, nw)) + ".")
            steps.append("Replace the " + self.obj_name(o) + " " + self.at(o) + " with " + self.a(self.new_desc(ph, nw)) + ".")
            cur[i] = nw
            touched[i] = True
            continue
        if ph[2] >= 0 and o[1] != ph[2]:
            expl.append("The " + shapes[o[0]] + " " + self.at(o) + " is " + colors[o[1]] + ", but the prompt asks for " + self.a(self.desc(ph, False)) + ".")
            steps.append("Change the " + self.obj_name(o) + " " + self.at(o) + " to " + colors[ph[2]] + ".")
            o[1] = ph[2]
            touched[i] = True
        if not self.size_judged(ph, o[4]):
            s = 12
            if ph[1] == 1:
                s = 19
            if len(pl) > 0 and self.plan_side(ph, pl[4]) == pl[4]:
                s = pl[4]
            expl.append("The " + self.obj_name(o) + " " + self.at(o) + " measures " + str(o[4]) + " px, but the prompt asks for " + self.a(self.desc(ph, False)) + ".")
            steps.append("Resize the " + self.obj_name(o) + " " + self.at(o) + " to size " + str(s) + ".")
            o[4] = s
            touched[i] = True
        else:
            o[4] = self.plan_side(ph, o[4])
        pi = self.count_conflict(phrases, slots[k], o)
        if pi >= 0:
            nw = self.avoid_counting(phrases, slots[k], o)
            expl.append("The " + self.obj_name(o) + " " + self.at(o) + " also counts as one of the " + self.desc(phrases[pi], True) + ", of which the prompt wants exactly " + str(phrases[pi][0]) + ".")
            if nw[1] != o[1]:
                steps.append("Change the " + self.obj_name(o) + " " + self.at(o) + " to " + colors[nw[1]] + ".")
            if nw[4] != o[4]:
                steps.append("Resize the " + self.obj_name(nw) + " " + self.at(o) + " to size " + str(nw[4]) + ".")
            o = nw
            touched[i] = True
        cur[i] = o
    # at most four objects: objects the prompt does not name give way
    alive = 0
    for i in range(n):
        if state[i] != 2:
            alive += 1
    for k in range(ns):
        if slot_obj[k] < 0:
            alive += 1
    i = n - 1
    while alive > 4 and i >= 0:
        if state[i] == 0:
            state[i] = 2
            alive -= 1
            steps.append("Remove the " + self.obj_name(cur[i]) + " " + self.at(cur[i]) + " to make room.")
        i -= 1
    for i in range(n):
        if state[i] != 2 and not self.inside(cur[i]):
            cur[i] = self.nudge(cur[i])
    fail = False
    said_rel: List[bool] = []
    for k in range(ns):
        said_rel.append(False)
    for rnd in range(3):
        # boxes closer than 2 px
        for i in range(len(cur)):
            for j in range(i + 1, len(cur)):
                if state[i] != 2 and state[j] != 2 and self.box_gap(cur[i], cur[j]) < 2:
                    order = [j, i]
                    if (touched[i] and not touched[j]) or (state[i] == 0 and state[j] != 0):
                        order = [i, j]
                    done = False
                    for mi in range(4):
                        m = order[mi % 2]
                        if not done:
                            rel, ref = self.rel_ref(slot_of[m], partner, prel, slot_obj, cur)
                            pos = self.free_place(cur, state, m, cur[m][2], cur[m][3], cur[m][4], rel, ref, mi >= 2)
                            if pos[0] >= 0:
                                other = i
                                if m == i:
                                    other = j
                                why = " to make room"
                                if not touched[m] and not touched[other]:
                                    expl.append("The " + self.obj_name(cur[m]) + " " + self.at(cur[m]) + " touches the " + self.obj_name(cur[other]) + " " + self.at(cur[other]) + ", so the two can read as one shape.")
                                    why = ""
                                steps.append(self.move_step(cur[m], pos, why))
                                cur[m] = [cur[m][0], cur[m][1], pos[0], pos[1], cur[m][4]]
                                touched[m] = True
                                done = True
                    if not done:
                        fail = True
        # relations
        for k in range(ns):
            p = partner[k]
            if p > k and slot_obj[k] >= 0 and slot_obj[p] >= 0:
                ia = slot_obj[k]
                ib = slot_obj[p]
                if not self.relation_holds(prel[k], cur[ia], cur[ib]):
                    if not said_rel[k]:
                        said_rel[k] = True
                        expl.append("The " + self.desc(phrases[slots[k]], False) + " " + self.at(cur[ia]) + " is not " + self.relation_words()[prel[k]] + " the " + self.desc(phrases[slots[p]], False) + " " + self.at(cur[ib]) + ".")
                    good_a = False
                    good_b = False
                    da = 0
                    db = 0
                    if pslot[k] >= 0:
                        good_a = self.holds_slack(prel[k], plan[pslot[k]], cur[ib], 10)
                        da = abs(plan[pslot[k]][2] - cur[ia][2]) + abs(plan[pslot[k]][3] - cur[ia][3])
                    if pslot[p] >= 0:
                        good_b = self.holds_slack(prel[p], plan[pslot[p]], cur[ia], 10)
                        db = abs(plan[pslot[p]][2] - cur[ib][2]) + abs(plan[pslot[p]][3] - cur[ib][3])
                    order = [ia, ib]
                    if (good_b and not good_a) or (good_a == good_b and db > da):
                        order = [ib, ia]
                    done = False
                    for mi in range(4):
                        m = order[mi % 2]
                        if not done:
                            km = slot_of[m]
                            tx = cur[m][2]
                            ty = cur[m][3]
                            if pslot[km] >= 0:
                                tx = plan[pslot[km]][2]
                                ty = plan[pslot[km]][3]
                            rel, ref = self.rel_ref(km, partner, prel, slot_obj, cur)
                            pos = self.free_place(cur, state, m, tx, ty, cur[m][4], rel, ref, mi >= 2)
                            if pos[0] >= 0:
                                steps.append(self.move_step(cur[m], pos, ""))
                                cur[m] = [cur[m][0], cur[m][1], pos[0], pos[1], cur[m][4]]
                                touched[m] = True
                                done = True
                    if not done:
                        fail = True
    # missing objects: at their planned place when free, else the nearest free place
    bi = 0
    for k in range(ns):
        if slot_obj[k] >= 0:
            continue
        ph = phrases[slots[k]]
        pl: List[int] = []
        if pslot[k] >= 0:
            pl = plan[pslot[k]]
        col = ph[2]
        if col < 0:
            if len(pl) > 0:
                col = pl[1]
            else:
                col = int(u0 * 8.0) % 8
        side = 14
        if ph[1] == 0:
            side = 12
        elif ph[1] == 1:
            side = 19
        if len(pl) > 0 and self.plan_side(ph, pl[4]) == pl[4]:
            side = pl[4]
        nw = self.avoid_counting(phrases, slots[k], [ph[3], col, 0, 0, side])
        tx = 10 + int(u0 * 44.0)
        ty = 10 + int(u1 * 44.0)
        if len(pl) > 0:
            tx = pl[2]
            ty = pl[3]
        elif bi < len(blobs):
            tx = blobs[bi][2]
            ty = blobs[bi][3]
            bi += 1
        cur.append(nw)
        state.append(2)
        touched.append(True)
        slot_of.append(k)
        m = len(cur) - 1
        rel, ref = self.rel_ref(k, partner, prel, slot_obj, cur)
        sides: List[int] = [nw[4]]
        s2 = nw[4] - 2
        lo = 10
        if ph[1] == 1 or (nw[4] >= 16 and self.count_conflict(phrases, slots[k], [nw[0], nw[1], 0, 0, 15]) >= 0):
            lo = 18
        while s2 >= lo:
            sides.append(s2)
            s2 -= 2
        pos = [-1, -1]
        for s in sides:
            if pos[0] < 0:
                pos = self.free_place(cur, state, m, tx, ty, s, rel, ref, False)
                if pos[0] >= 0:
                    nw[4] = s
        moved_partner = False
        if pos[0] < 0 and rel >= 0:
            # no room on the required side of its partner: add it where the partner can then move to its side
            bo = slot_obj[partner[k]]
            for s in sides:
                if pos[0] < 0:
                    pos = self.free_place(cur, state, m, tx, ty, s, -1, ref, False)
                    if pos[0] >= 0:
                        cur[m] = [nw[0], nw[1], pos[0], pos[1], s]
                        state[m] = 1
                        slot_obj[k] = m
                        rel2, ref2 = self.rel_ref(partner[k], partner, prel, slot_obj, cur)
                        pos2 = self.free_place(cur, state, bo, cur[bo][2], cur[bo][3], cur[bo][4], rel2, ref2, False)
                        state[m] = 2
                        slot_obj[k] = -1
                        if pos2[0] >= 0:
                            nw[4] = s
                            moved_partner = True
                        else:
                            pos = [-1, -1]
        for s in sides:
            if pos[0] < 0:
                pos = self.free_place(cur, state, m, tx, ty, s, rel, ref, True)
                if pos[0] >= 0:
                    nw[4] = s
        while pos[0] < 0:
            # objects the prompt does not name give way
            gone = -1
            for q in range(len(cur)):
                if gone < 0 and state[q] == 0:
                    gone = q
            if gone < 0:
                break
            state[gone] = 2
            steps.append("Remove the " + self.obj_name(cur[gone]) + " " + self.at(cur[gone]) + " to make room.")
            for s in sides:
                if pos[0] < 0:
                    pos = self.free_place(cur, state, m, tx, ty, s, rel, ref, True)
                    if pos[0] >= 0:
                        nw[4] = s
        if pos[0] < 0:
            fail = True
            continue
        cur[m] = [nw[0], nw[1], pos[0], pos[1], nw[4]]
        state[m] = 1
        slot_obj[k] = m
        steps.append("Add " + self.a(self.new_desc(ph, cur[m])) + " at x " + str(pos[0]) + " y " + str(pos[1]) + " size " + str(nw[4]) + ".")
        if moved_partner:
            bo = slot_obj[partner[k]]
            rel2, ref2 = self.rel_ref(partner[k], partner, prel, slot_obj, cur)
            pos2 = self.free_place(cur, state, bo, cur[bo][2], cur[bo][3], cur[bo][4], rel2, ref2, False)
            if pos2[0] >= 0:
                steps.append(self.move_step(cur[bo], pos2, ""))
                cur[bo] = [cur[bo][0], cur[bo][1], pos2[0], pos2[1], cur[bo][4]]
                touched[bo] = True
            else:
                fail = True
    final: List[List[int]] = []
    keep: List[bool] = []
    for k in range(ns):
        if slot_obj[k] >= 0:
            final.append(cur[slot_obj[k]])
            keep.append(not touched[slot_obj[k]])
    for i in range(len(cur)):
        if state[i] == 0:
            final.append(cur[i])
            keep.append(not touched[i])
    if not fail:
        snapped = self.snap(final, plan, keep)
        if self.plan_ok(phrases, relations, snapped):
            final = snapped
        elif not self.plan_ok(phrases, relations, final):
            fail = True
    if fail:
        final = self.fresh_plan(phrases, relations, slots, partner, prel, cur, slot_obj, plan, pslot, u0, u1)
        steps = ["Redraw the image with the objects of the plan below at its places."]
    if len(steps) == 0:
        steps.append("Redraw the image following the plan below.")
    if len(expl) == 0:
        expl.append("The image does not satisfy the prompt.")
    return self.text(expl, steps, final, False)
def reflect_one(self, prompt: str, thought: str, det: List[List[int]], u0: float, u1: float) -> str:
    phrases, relations, problem = self.parse_prompt(prompt)
    objs: List[List[int]] = []
    blobs: List[List[int]] = []
    for o in det:
        if o[0] == 5:
            blobs.append(self.copy_obj(o))
        else:
            objs.append(self.copy_obj(o))
    plan = self.parse_thought(thought)
    if len(problem) > 0:
        return self.text(["The prompt is outside the shapes-world language, so it cannot be checked; the image is kept."], ["Keep the image as it is."], self.snap(objs, plan, self.all_true(len(objs))), True)
    if self.satisfies(phrases, relations, objs, False):
        if self.touching_pair(phrases, objs)[0] < 0:
            return self.text(["The image matches the prompt."], ["Keep the image as it is."], self.snap(objs, plan, self.all_true(len(objs))), True)
    return self.correct(phrases, relations, objs, blobs, plan, u0, u1)
def reflect(self, prompts: List[str], thoughts: List[str], images: Tensor, uniforms: Tensor, temperature: float) -> List[str]:
    dets = self.see(images)
    out: List[str] = []
    for b in range(len(prompts)):
        out.append(self.reflect_one(prompts[b], thoughts[b], dets[b], float(uniforms[b, 0].item()), float(uniforms[b, 1].item())))
    return out
def reflect_objects(self, prompt: str, thought: str, objects: Tensor, u0: float, u1: float) -> str:
    det: List[List[int]] = []
    for i in range(objects.size(0)):
        det.append([int(objects[i, 0].item()), int(objects[i, 1].item()), int(objects[i, 2].item()), int(objects[i, 3].item()), int(objects[i, 4].item())])
    return self.reflect_one(prompt, thought, det, u0, u1)
