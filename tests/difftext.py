"""Text for the differential tests against sacrebleu (issue 20): every script and every character class the
tokenizers treat specially, as hypothesis strategies and as a seeded generator (for the stream and Ray runs,
which need one fixed corpus). Imported by tests/test_differential*.py."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from evalkit.io.document import WHITESPACE

# Pieces by kind; a text is pieces joined by separators. Each kind is what some tokenizer rule looks at.
PIECES: dict[str, list[str]] = {
    "cjk": ["特朗普", "的", "政府", "中国人民", "了", "习近平", "对俄罗斯", "𠀀𠀁", "〇", "ひらがな", "カタカナ", "ｶﾀｶﾅ", "한국어", "㐀㐁", "豈", "㈱"],
    "latin": ["the", "cat", "Der", "Verein", "Nima", "gegründet", "café", "naïve", "ÀÉÎ", "Straße", "İstanbul", "ı", "ǅemal",
              "ﬁne", "ÆØÅ", "Ω", "x", "A", "it", "IT"],
    "cyrillic": ["Привет", "мир", "ЁЖИК", "ёж", "Україна"],
    "arabic": ["مرحبا", "بالعالم", "العـــربية", "\u200fعربي"],
    "devanagari": ["नमस्ते", "दुनिया", "क्षत्रिय", "हिंदी"],
    "thai": ["สวัสดีครับ", "ภาษาไทย", "ๆ"],
    "emoji": ["😀", "👍🏽", "👨\u200d👩\u200d👧", "🇩🇪", "❤️", "✅"],
    "combining": ["e\u0301", "a\u0308\u0323", "\u0301", "n\u0303o", "\u20dd"],
    "punct": list(".,!?:;()[]{}\"'-/\\@#$%&*+=<>^_`|~") + ["...", "--", "?!"],
    "fullwidth": list("，。！？：；（）｛｝［］＂＇＠＃、「」『』【】〈〉《》・｡｢｣･．～"),
    "quotes": list("'’‘ʼʹ`´′″\"“”„‟«»‹›〝〞"),
    "hyphens": list("-‐‑‒–—―−﹣－") + ["e-mail", "state-of-the-art", "3-4"],
    "digits": ["1,000.50", "1.000,5", "10 000", "2019-2020", "3.14", "..5", ".,7", "１２３", "٣٤٥", "१२", "1e-5", "-12", "7.", ",8"],
    "urls": ["https://example.com/a?b=c&d=e", "www.test.org", "user@mail.com", "http://x.y/~z#frag"],
    "xml": ["&quot;", "&amp;", "&lt;", "&gt;", "&#39;", "&amp;quot;"],
    "possessive": ["'s", "'s.", "'s,", "’s", "..", ".,", "'s\t", "'s\u3000"],
}
KINDS = sorted(PIECES)
SEPARATORS = [" ", " ", " ", "", "  ", "\t", "\u00a0", "\u3000", "\u2009", "\u200b", " - "]
NEWLINE_SEPARATORS = ["\n", "\r", "\u2028", "\x0b", "\x85"]  # only where a text need not fit on one line


def _join(pieces: list[str], seps: list[str]) -> str:
    return "".join(p + s for p, s in zip(pieces, seps + [""] * len(pieces)))[: 10_000]


def pieces(max_size: int = 12) -> st.SearchStrategy[list[str]]:
    """A list of pieces of any kinds."""
    return st.lists(st.sampled_from(KINDS).flatmap(lambda k: st.sampled_from(PIECES[k])), max_size=max_size)


@st.composite
def text(draw: st.DrawFn, max_size: int = 12, newlines: bool = True, long: bool = True) -> str:
    """A sentence: pieces and separators; sometimes empty, sometimes very long (pieces repeated)."""
    ps = draw(pieces(max_size))
    seps = SEPARATORS + (NEWLINE_SEPARATORS if newlines else [])
    joined = draw(st.lists(st.sampled_from(seps), min_size=len(ps), max_size=len(ps)))
    out = _join(ps, joined)
    if long and ps and draw(st.integers(0, 19)) == 0:
        out = " ".join([out] * draw(st.integers(10, 40)))
    return out


@st.composite
def corpus(draw: st.DrawFn, max_segments: int = 6, max_refs: int = 3, long: bool = True, newlines: bool = True) -> tuple[list[str], list[list[str]]]:
    """Hypotheses and reference streams (``refs[k][i]``); references are often edits of the hypothesis,
    so that n-grams match and TER shifts happen."""
    n = draw(st.integers(1, max_segments))
    n_refs = draw(st.integers(1, max_refs))
    hyps = [draw(text(long=long, newlines=newlines)) for _ in range(n)]
    refs = []
    for _ in range(n_refs):
        stream = []
        for h in hyps:
            kind = draw(st.integers(0, 3))
            if kind == 0:
                stream.append(draw(text(long=long, newlines=newlines)))
            else:
                words = h.split(" ")
                if kind >= 2 and len(words) > 1:
                    words = draw(st.permutations(words))
                keep = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
                extra = draw(pieces(3))
                stream.append(" ".join([w for w, k in zip(words, keep) if k or kind == 3] + extra))
        refs.append(stream)
    return hyps, refs


def seeded_corpus(seed: int, n: int, n_refs: int = 1) -> tuple[list[str], list[list[str]]]:
    """A fixed corpus drawn with ``random.Random(seed)`` from the same pieces: one line per text (no line
    breaks, no leading or trailing white space, which line readers strip), for the stream and Ray runs."""
    rng = random.Random(seed)

    def line() -> str:
        ps = [rng.choice(PIECES[rng.choice(KINDS)]) for _ in range(rng.randint(0, 14))]
        out = _join(ps, [rng.choice(SEPARATORS) for _ in ps])
        return out if rng.random() > 0.03 else " ".join([out] * 20)

    hyps = [line() for _ in range(n)]
    refs = []
    for _ in range(n_refs):
        stream = []
        for h in hyps:
            words = h.split(" ")
            rng.shuffle(words) if rng.random() < 0.3 else None
            stream.append(" ".join(w for w in words if rng.random() < 0.8) if rng.random() < 0.7 else line())
        refs.append(stream)
    clean = [[t.strip(WHITESPACE) for t in s] for s in [hyps, *refs]]
    return clean[0], clean[1:]
