# The shapes-world prompt language v2 (docs/shapes-world.md), TorchScript methods shared by the think and reflect
# modules: PromptGrammar.source() is appended to both modules' source, so there is one parser in the models. It
# mirrors the Java parser (io.irgstream.shapes.prompts.PromptParser) rule for rule and message for message.
# A parsed prompt is (phrases, relations): a phrase row is [count, size, color, shape] with count 0 for "a" (at least
# one) or 1..4 (exactly), size -1 any / 0 small / 1 large, color -1 any or 0..7, shape 0..4; a relation row is
# [a, relation, b] with phrase indices b == a + 1 and relation 0 left of, 1 right of, 2 above, 3 below.
def shape_words(self) -> List[str]:
    return ["circle", "square", "triangle", "diamond", "cross", "malformed object"]
def shape_plurals(self) -> List[str]:
    return ["circles", "squares", "triangles", "diamonds", "crosses"]
def color_words(self) -> List[str]:
    return ["red", "orange", "yellow", "green", "blue", "purple", "pink", "white"]
def size_words(self) -> List[str]:
    return ["small", "large"]
def count_words(self) -> List[str]:
    return ["a", "one", "two", "three", "four"]
def relation_words(self) -> List[str]:
    return ["left of", "right of", "above", "below"]
def prompt_example(self) -> str:
    return "\"a large red circle left of a small blue square and two yellow crosses\""
def find(self, words: List[str], w: str) -> int:
    for i in range(len(words)):
        if words[i] == w:
            return i
    return -1
# Lower case, final periods dropped, "an" as "a", "big" as "large", lead words ("a photo of", "a picture of",
# "an image of", "a drawing of") dropped, "to the left of" as "left of", ", and" and "," as "and".
def canonical_words(self, prompt: str) -> List[str]:
    p = prompt.strip().lower()
    while p.endswith("."):
        p = p[0:len(p) - 1].strip()
    raw: List[str] = []
    for t in p.replace(",", " , ").split():
        if len(t) > 0:
            if t == "an":
                raw.append("a")
            elif t == "big":
                raw.append("large")
            else:
                raw.append(t)
    start = 0
    if len(raw) >= 3 and raw[0] == "a" and self.find(["photo", "picture", "image", "drawing"], raw[1]) >= 0 and raw[2] == "of":
        start = 3
    w: List[str] = []
    n = len(raw)
    for i in range(start, n):
        t = raw[i]
        if t == "to" and i + 3 < n and raw[i + 1] == "the" and (raw[i + 2] == "left" or raw[i + 2] == "right") and raw[i + 3] == "of":
            continue
        if t == "the" and i > start and raw[i - 1] == "to" and i + 2 < n and (raw[i + 1] == "left" or raw[i + 1] == "right") and raw[i + 2] == "of":
            continue
        if t == ",":
            if i + 1 < n and raw[i + 1] == "and":
                continue
            t = "and"
        w.append(t)
    return w
def phrase_text(self, ph: List[int]) -> str:
    s = self.count_words()[ph[0]]
    if ph[1] >= 0:
        s = s + " " + self.size_words()[ph[1]]
    if ph[2] >= 0:
        s = s + " " + self.color_words()[ph[2]]
    if ph[0] >= 2:
        s = s + " " + self.shape_plurals()[ph[3]]
    else:
        s = s + " " + self.shape_words()[ph[3]]
    return s
# Whether every object matching phrase q necessarily matches phrase p.
def implied_by(self, p: List[int], q: List[int]) -> bool:
    return q[3] == p[3] and (p[2] < 0 or p[2] == q[2]) and (p[1] < 0 or p[1] == q[1])
def parse_prompt(self, prompt: str) -> Tuple[List[List[int]], List[List[int]], str]:
    phrases: List[List[int]] = []
    relations: List[List[int]] = []
    ex = self.prompt_example()
    if len(prompt.strip()) == 0:
        return phrases, relations, "the prompt is empty; e.g. " + ex
    w = self.canonical_words(prompt)
    if len(w) == 0:
        return phrases, relations, "the prompt names no object; e.g. " + ex
    for t in w:
        if self.find(["five", "six", "seven", "eight", "nine", "ten", "many", "several"], t) >= 0 or t.isdigit():
            return phrases, relations, "\"" + t + "\" is more than the prompt language counts: a prompt names at most four objects, counted with \"one\" to \"four\", e.g. \"four blue squares\""
    known = ["a", "one", "two", "three", "four", "and", "left", "right", "of", "above", "below", "small", "large"]
    shapes = self.shape_words()[0:5]
    plurals = self.shape_plurals()
    colors = self.color_words()
    unknown: List[str] = []
    for t in w:
        if self.find(known, t) < 0 and self.find(colors, t) < 0 and self.find(shapes, t) < 0 and self.find(plurals, t) < 0 and self.find(unknown, t) < 0:
            unknown.append(t)
    if len(unknown) > 0:
        q: List[str] = []
        for t in unknown[0:5]:
            q.append("\"" + t + "\"")
        s = "unknown word "
        if len(unknown) > 1:
            s = "unknown words "
        return phrases, relations, s + ", ".join(q) + ": the shapes are circle, square, triangle, diamond, cross; the colors are red, orange, yellow, green, blue, purple, pink, white; the sizes are small, large; e.g. " + ex
    n = len(w)
    pos = 0
    while True:
        if pos >= n or w[pos] == "and":
            return phrases, relations, "an \"and\" or a comma has no object after it; e.g. " + ex
        pos, problem = self.parse_phrase(w, pos, phrases)
        if len(problem) > 0:
            return phrases, relations, problem
        if pos < n and self.find(["left", "right", "above", "below"], w[pos]) >= 0:
            t = w[pos]
            r = 2
            if t == "below":
                r = 3
            if t == "left" or t == "right":
                if pos + 1 >= n or w[pos + 1] != "of":
                    return phrases, relations, "write \"" + t + " of\" (or \"to the " + t + " of\"), e.g. \"a circle " + t + " of a square\""
                r = 0
                if t == "right":
                    r = 1
                pos += 2
            else:
                pos += 1
            rw = self.relation_words()[r]
            if pos >= n or w[pos] == "and":
                return phrases, relations, "\"" + rw + "\" needs an object after it; e.g. \"a circle " + rw + " a square\""
            pos, problem = self.parse_phrase(w, pos, phrases)
            if len(problem) > 0:
                return phrases, relations, problem
            relations.append([len(phrases) - 2, r, len(phrases) - 1])
            if pos < n and self.find(["left", "right", "above", "below"], w[pos]) >= 0:
                return phrases, relations, "chained relations are outside the language; write one relation per clause, e.g. \"a circle left of a square and a triangle\""
        if pos >= n:
            break
        if w[pos] != "and":
            return phrases, relations, "expected \"and\", a comma or a relation after \"" + self.phrase_text(phrases[len(phrases) - 1]) + "\", got \"" + w[pos] + "\"; e.g. " + ex
        pos += 1
    total = 0
    for ph in phrases:
        total += max(1, ph[0])
    if total > 4:
        return phrases, relations, "the prompt names " + str(total) + " objects; at most 4 are allowed, e.g. \"two red circles and two blue squares\""
    for rel in relations:
        for i in [rel[0], rel[2]]:
            if phrases[i][0] >= 2:
                return phrases, relations, "a relation compares single objects (\"a\" or \"one\"), not \"" + self.phrase_text(phrases[i]) + "\"; e.g. \"a circle left of a square\""
    for i in range(len(phrases)):
        p = phrases[i]
        if p[0] >= 1:
            for j in range(len(phrases)):
                if j != i and self.implied_by(p, phrases[j]):
                    more = "more"
                    if max(1, phrases[j][0]) == 1:
                        more = "another"
                    other = "square"
                    if p[3] == 1:
                        other = "circle"
                    return phrases, relations, "contradictory prompt: \"" + self.phrase_text(p) + "\" allows exactly " + str(p[0]) + " such objects but \"" + self.phrase_text(phrases[j]) + "\" needs " + more + "; e.g. \"" + self.phrase_text(p) + " and a " + other + "\""
    return phrases, relations, ""
def parse_phrase(self, w: List[str], start: int, out: List[List[int]]) -> Tuple[int, str]:
    pos = start
    n = len(w)
    count = self.find(self.count_words(), w[pos])
    if count < 0:
        return pos, "each object starts with \"a\", \"one\", \"two\", \"three\" or \"four\", got \"" + w[pos] + "\"; e.g. \"a red circle\" or \"two blue squares\""
    pos += 1
    size = -1
    color = -1
    if pos < n and self.find(self.size_words(), w[pos]) >= 0:
        size = self.find(self.size_words(), w[pos])
        pos += 1
    if pos < n and self.find(self.color_words(), w[pos]) >= 0:
        color = self.find(self.color_words(), w[pos])
        pos += 1
    if pos < n and self.find(self.size_words(), w[pos]) >= 0:
        q = "a"
        if count != 0:
            q = w[pos - 2]
        return pos, "the size goes before the color: \"" + q + " " + w[pos] + " " + w[pos - 1] + " ...\", e.g. \"a large red circle\""
    shape = -1
    plural = False
    if pos < n:
        shape = self.find(self.shape_words()[0:5], w[pos])
        if shape < 0:
            shape = self.find(self.shape_plurals(), w[pos])
            plural = shape >= 0
    if shape < 0:
        got = "the end of the prompt"
        if pos < n:
            got = "\"" + w[pos] + "\""
        return pos, "expected a shape (circle, square, triangle, diamond, cross) in an object, got " + got + "; e.g. \"a small red circle\""
    cw = self.count_words()[count]
    if count >= 2 and not plural:
        return pos, "\"" + cw + "\" needs the plural: \"" + cw + " " + self.shape_plurals()[shape] + "\""
    if count <= 1 and plural:
        return pos, "\"" + cw + "\" needs the singular: \"" + cw + " " + self.shape_words()[shape] + "\"; for several write a number, e.g. \"two " + self.shape_plurals()[shape] + "\""
    out.append([count, size, color, shape])
    return pos + 1, ""
# "" when the prompt is in the language, else the reason, naming the problem with a valid example.
def prompt_problem(self, prompt: str) -> str:
    phrases, relations, problem = self.parse_prompt(prompt)
    return problem
# The reason a worker reports for a prompt outside the language ("" when it parses).
def prompt_rejection(self, prompt: str) -> str:
    problem = self.prompt_problem(prompt)
    if len(problem) == 0:
        return ""
    shown = prompt.strip()
    if len(shown) > 120:
        shown = shown[0:120] + "..."
    return "prompt outside the shapes-world language (docs/shapes-world.md): \"" + shown + "\": " + problem
# A thought's objects as [shape, color, cx, cy, side] rows; objects that do not parse are skipped.
def parse_thought(self, thought: str) -> List[List[int]]:
    shapes = self.shape_words()[0:5]
    colors = self.color_words()
    out: List[List[int]] = []
    for part in thought.lower().split(";"):
        tok = part.split()
        if len(tok) == 9 and tok[2] == "at" and tok[3] == "x" and tok[5] == "y" and tok[7] == "size":
            c = self.find(colors, tok[0])
            s = self.find(shapes, tok[1])
            if c >= 0 and s >= 0 and tok[4].isdigit() and tok[6].isdigit() and tok[8].isdigit():
                out.append([s, c, int(tok[4]), int(tok[6]), int(tok[8])])
    return out
# Whether a plan's boxes ([shape, color, cx, cy, side] rows) lie in the canvas and keep 2 px between each other.
def plan_layout_ok(self, objs: List[List[int]]) -> bool:
    if len(objs) < 1 or len(objs) > 4:
        return False
    for i in range(len(objs)):
        s = objs[i][4]
        x = objs[i][2] - s // 2
        y = objs[i][3] - s // 2
        if s < 10 or s > 20 or x < 0 or y < 0 or x + s > 64 or y + s > 64:
            return False
        for j in range(i):
            t = objs[j][4]
            xj = objs[j][2] - t // 2
            yj = objs[j][3] - t // 2
            gx = max(xj - (x + s), x - (xj + t))
            gy = max(yj - (y + s), y - (yj + t))
            if max(gx, gy) < 2:
                return False
    return True
def prompt_slots(self, phrases: List[List[int]]) -> List[int]:
    out: List[int] = []
    for i in range(len(phrases)):
        for k in range(max(1, phrases[i][0])):
            out.append(i)
    return out
# Whether an object counts toward phrase ph's exact quantity: as judged from pixels (small <= 14, large >= 16) or,
# for plans, whenever its drawing could measure so (small <= 15, large >= 16).
def counts_toward(self, ph: List[int], o: List[int], plan: bool) -> bool:
    if o[0] != ph[3] or (ph[2] >= 0 and o[1] != ph[2]):
        return False
    if ph[1] < 0:
        return True
    if ph[1] == 0:
        if plan:
            return o[4] <= 15
        return o[4] <= 14
    return o[4] >= 16
# Whether an object has phrase ph's shape, color and size: as judged from pixels or, for plans, within the drawing
# ranges (small 10..13, large 18..20).
def fits_phrase(self, ph: List[int], o: List[int], plan: bool) -> bool:
    if o[0] != ph[3] or (ph[2] >= 0 and o[1] != ph[2]):
        return False
    if ph[1] < 0:
        return True
    if plan:
        if ph[1] == 0:
            return o[4] >= 10 and o[4] <= 13
        return o[4] >= 18 and o[4] <= 20
    if ph[1] == 0:
        return o[4] <= 14
    return o[4] >= 16
def relation_holds(self, r: int, a: List[int], b: List[int]) -> bool:
    if r == 0:
        return a[2] < b[2] - 3
    if r == 1:
        return a[2] > b[2] + 3
    if r == 2:
        return a[3] < b[3] - 3
    return a[3] > b[3] + 3
# Whether slot d may take object cand given the objects chosen for the earlier slots (relations into d's phrase).
def slot_relations_ok(self, phrases: List[List[int]], relations: List[List[int]], slots: List[int], choice: List[int], objs: List[List[int]], d: int, cand: int) -> bool:
    for rel in relations:
        if rel[2] == slots[d]:
            da = self.find_int(slots, rel[0])
            if da < 0 or da >= d:
                return False
            if not self.relation_holds(rel[1], objs[choice[da]], objs[cand]):
                return False
    return True
def find_int(self, xs: List[int], v: int) -> int:
    for i in range(len(xs)):
        if xs[i] == v:
            return i
    return -1
# Whether the objects satisfy the prompt: exact quantities hold and one assignment of distinct objects to the
# prompt's slots satisfies every phrase and relation at once (iterative backtracking).
def satisfies(self, phrases: List[List[int]], relations: List[List[int]], objs: List[List[int]], plan: bool) -> bool:
    if len(phrases) == 0:
        return False
    for ph in phrases:
        if ph[0] >= 1:
            k = 0
            for o in objs:
                if self.counts_toward(ph, o, plan):
                    k += 1
            if k != ph[0]:
                return False
    slots = self.prompt_slots(phrases)
    ns = len(slots)
    n = len(objs)
    choice: List[int] = []
    used: List[bool] = []
    for i in range(ns):
        choice.append(-1)
    for i in range(n):
        used.append(False)
    d = 0
    while d >= 0:
        if choice[d] >= 0:
            used[choice[d]] = False
        nxt = choice[d] + 1
        found = -1
        while nxt < n and found < 0:
            if not used[nxt] and self.fits_phrase(phrases[slots[d]], objs[nxt], plan) and self.slot_relations_ok(phrases, relations, slots, choice, objs, d, nxt):
                found = nxt
            nxt += 1
        if found < 0:
            choice[d] = -1
            d -= 1
        else:
            choice[d] = found
            used[found] = True
            if d == ns - 1:
                return True
            d += 1
    return False
# satisfies() for a prompt text and objects as an int64 tensor [N, 5] of [shape, color, cx, cy, side] rows; False for
# a prompt outside the language.
def satisfies_prompt(self, prompt: str, objects: Tensor, plan: bool) -> bool:
    phrases, relations, problem = self.parse_prompt(prompt)
    if len(problem) > 0:
        return False
    objs: List[List[int]] = []
    for i in range(objects.size(0)):
        row: List[int] = []
        for k in range(5):
            row.append(int(objects[i, k].item()))
        objs.append(row)
    return self.satisfies(phrases, relations, objs, plan)
