# The shapes-world prompt grammar (WORLD.md's six forms), TorchScript methods shared by the think and reflect
# modules: PromptGrammar.source() is appended to both modules' source, so there is one parser.
def shape_words(self) -> List[str]:
    return ["circle", "square", "triangle", "diamond", "cross", "malformed object"]
def shape_plurals(self) -> List[str]:
    return ["circles", "squares", "triangles", "diamonds", "crosses"]
def color_words(self) -> List[str]:
    return ["red", "orange", "yellow", "green", "blue", "purple", "pink", "white"]
def relation_words(self) -> List[str]:
    return ["left of", "right of", "above", "below"]
def find(self, words: List[str], w: str) -> int:
    for i in range(len(words)):
        if words[i] == w:
            return i
    return -1
def prompt_words(self, prompt: str) -> List[str]:
    p = prompt.strip().lower()
    if p.endswith("."):
        p = p[0:len(p) - 1]
    w: List[str] = []
    for t in p.split(" "):
        if len(t) > 0:
            if t == "an":
                w.append("a")
            else:
                w.append(t)
    return w
# parse_prompt: [category, shape1, color1, shape2, color2, count, relation] with category 0 single_object,
# 1 two_object, 2 counting, 3 colors, 4 position, 5 color_attr, and -1 when the prompt is none of the six forms.
# Lower case, a trailing period dropped, "an" read as "a", words split on spaces.
def parse_prompt(self, prompt: str) -> List[int]:
    shapes = self.shape_words()
    plurals = self.shape_plurals()
    colors = self.color_words()
    w = self.prompt_words(prompt)
    bad = [-1, -1, -1, -1, -1, 0, -1]
    n = len(w)
    if n < 4:
        return bad
    if w[0] != "a" or w[1] != "photo" or w[2] != "of":
        return bad
    if w[3] != "a":
        if n == 5:
            k = self.find(["two", "three", "four"], w[3])
            s = self.find(plurals, w[4])
            if k >= 0 and s >= 0:
                return [2, s, -1, -1, -1, k + 2, -1]
        return bad
    if n == 5:
        s = self.find(shapes[0:5], w[4])
        if s >= 0:
            return [0, s, -1, -1, -1, 0, -1]
        return bad
    if n == 6:
        c = self.find(colors, w[4])
        s = self.find(shapes[0:5], w[5])
        if c >= 0 and s >= 0:
            return [3, s, c, -1, -1, 0, -1]
        return bad
    if n == 8:
        s1 = self.find(shapes[0:5], w[4])
        s2 = self.find(shapes[0:5], w[7])
        if s1 < 0 or s2 < 0 or w[6] != "a":
            return bad
        if w[5] == "and" and s1 != s2:
            return [1, s1, -1, s2, -1, 0, -1]
        if w[5] == "above":
            return [4, s1, -1, s2, -1, 0, 2]
        if w[5] == "below":
            return [4, s1, -1, s2, -1, 0, 3]
        return bad
    if n == 9:
        s1 = self.find(shapes[0:5], w[4])
        s2 = self.find(shapes[0:5], w[8])
        r = self.find(["left of", "right of"], w[5] + " " + w[6])
        if s1 >= 0 and s2 >= 0 and r >= 0 and w[7] == "a":
            return [4, s1, -1, s2, -1, 0, r]
        return bad
    if n == 10:
        c1 = self.find(colors, w[4])
        s1 = self.find(shapes[0:5], w[5])
        c2 = self.find(colors, w[8])
        s2 = self.find(shapes[0:5], w[9])
        if c1 >= 0 and s1 >= 0 and c2 >= 0 and s2 >= 0 and w[6] == "and" and w[7] == "a":
            if c1 != c2 or s1 != s2:
                return [5, s1, c1, s2, c2, 0, -1]
        return bad
    return bad
def quoted(self, words: List[str]) -> str:
    out: List[str] = []
    for t in words:
        out.append("\"" + t + "\"")
    return ", ".join(out)
def prompt_problem(self, prompt: str) -> str:
    if self.parse_prompt(prompt)[0] >= 0:
        return ""
    shapes = self.shape_words()[0:5]
    plurals = self.shape_plurals()
    colors = self.color_words()
    w = self.prompt_words(prompt)
    known = ["a", "photo", "of", "and", "left", "right", "above", "below", "two", "three", "four"]
    unknown: List[str] = []
    ncolors = 0
    nplurals = 0
    for t in w:
        if self.find(colors, t) >= 0:
            ncolors += 1
        elif self.find(plurals, t) >= 0:
            nplurals += 1
        elif self.find(known, t) < 0 and self.find(shapes, t) < 0 and self.find(unknown, t) < 0:
            unknown.append(t)
    relation = self.find(w, "left") >= 0 or self.find(w, "right") >= 0 or self.find(w, "above") >= 0 or self.find(w, "below") >= 0
    counting = nplurals > 0 or self.find(w, "two") >= 0 or self.find(w, "three") >= 0 or self.find(w, "four") >= 0
    hint = ""
    if len(w) == 0:
        hint = "the prompt has no words"
    elif nplurals > 0 and len(unknown) == 1 and len(w) == 5 and w[3] == unknown[0]:
        hint = "counting prompts count two, three or four objects, e.g. \"a photo of three " + w[4] + "\""
    elif len(unknown) > 0:
        hint = "unknown word"
        if len(unknown) > 1:
            hint = hint + "s"
        hint = hint + " " + self.quoted(unknown[0:5]) + ": the shapes are " + ", ".join(shapes) + "; the colors are " + ", ".join(colors)
    elif len(w) < 4 or w[0] != "a" or w[1] != "photo" or w[2] != "of":
        hint = "every prompt starts with \"a photo of\", e.g. \"a photo of a red circle\""
    elif relation and ncolors > 0:
        hint = "position prompts name shapes only, e.g. \"a photo of a circle left of a square\""
    elif relation:
        hint = "position prompts have the form \"a photo of a {shape} {left of|right of|above|below} a {shape}\", e.g. \"a photo of a circle left of a square\""
    elif counting:
        hint = "counting prompts have the form \"a photo of {two|three|four} {shapes}\" with one plural shape and no color, e.g. \"a photo of three squares\""
    elif self.find(w, "and") >= 0 and len(w) == 8 and w[4] == w[7] and self.find(shapes, w[4]) >= 0:
        hint = "a two-object prompt names two different shapes; for several of one shape use a counting prompt, e.g. \"a photo of two " + plurals[self.find(shapes, w[4])] + "\""
    elif self.find(w, "and") >= 0 and len(w) == 10 and w[4] == w[8] and w[5] == w[9] and self.find(shapes, w[5]) >= 0:
        hint = "a two-object prompt names two different objects; for several of one shape use a counting prompt, e.g. \"a photo of two " + plurals[self.find(shapes, w[5])] + "\""
    elif self.find(w, "and") >= 0:
        hint = "two-object prompts have the form \"a photo of a {shape} and a {shape}\" or \"a photo of a {color} {shape} and a {color} {shape}\" (a color on both objects or on neither)"
    else:
        hint = "the prompt forms are \"a photo of a {shape}\", \"a photo of a {color} {shape}\", \"a photo of a {shape} and a {shape}\", \"a photo of a {color} {shape} and a {color} {shape}\", \"a photo of {two|three|four} {shapes}\" and \"a photo of a {shape} {left of|right of|above|below} a {shape}\""
    shown = prompt.strip()
    if len(shown) > 120:
        shown = shown[0:120] + "..."
    return "prompt outside the shapes-world grammar (WORLD.md): \"" + shown + "\"; " + hint
