"""After the DP: peel orphans off merged links (issue 18).

The DP pays ``skip`` for every unpaired segment, so an orphan whose neighbour's link is on the same
topic is cheaper to merge into that link (a 2-1 or 1-2) than to leave alone, even when the merged
text matches the other side *worse* than the neighbour alone. That is the mispairing evalkit exists
to prevent: a dropped translation hidden inside a merge.

So each edge member ``m`` of a merged side is tested on its own. ``m`` is an orphan when all three hold:

- the link without ``m`` matches the other side at least as well as the link with it
  (``cos(rest, other) >= cos(all, other)``): ``m`` adds nothing to the match;
- the link without ``m`` is a confident translation by itself: its ratio margin (cosine over the
  mean cosine of both texts' ``knn`` nearest counterparts, Artetxe & Schwenk 2019) is at least
  ``min_margin``;
- without ``m`` the link fits the document's own length model better, by ``min_length_gain``
  standard deviations: the model is the median and spread (MAD) of log(source chars / target
  chars) over the document's 1-1 links, so a tightly translated document (the seed) penalises an
  orphan's extra length hard and a loose one (literary text) little.

All three are needed. In loosely translated literary text (MAC dev), one gold part in eight of a
1-2 or 1-3 link lowers the cosine of the whole, and its rest often has a high margin ("快跟我走罢"
= "Come along, then!" + "Off we go!"). Measured with bench/bench_align.py (strict F1, max_link 7):
with the similarity tests alone at margin 1.3, peeling cost 0.023 on MAC dev; adding the length
test, 0.002 on MAC and 0.002 on the Bible (5 gold verse parts peeled); at margin 1.5 (the rest's
confidence >= 0.993) nothing on either, while on the seed the dropped-bullet positions that merge
fall from six to three (tests/test_align.py).

A link of two or more members on both sides can hold an orphan at each end, one per side (the seed's
Chinese title and an English bullet whose Chinese was dropped, around a true 1-1). Those two are
peeled together when the rest passes the two similarity tests; the length test is left out, since one
member off each side moves the length ratio both ways. That unpairs one more seed position (two of 30
are left) and changes no link on MAC dev (F1 0.889 either way).

**Documents translated unit by unit.** When the aligner finds the document translated unit by unit
(``unit_by_unit``: the spread of its anchors' log length ratios below ``AlignParams.tight_spread``, 0.12;
every file made from the seed measures 0.069-0.096, WMT22 zh-en news in 100-line blocks 0.188-0.282, the
Bible 0.264, MAC files 0.242-0.538), a merged member whose own ratio margin with the other side is below 1
(no closer than its neighbours) is an orphan even when the length test fails: the seed with English 9
dropped merged the short Chinese 9 (margin 0.55) into Chinese 10's link. Forced onto literary text
(``tight_spread=1``) the rules cost MAC dev 0.910 -> 0.883 (free translations have members that weak)
and WMT22 news one of 1,000 lines; gated, they change nothing there.

In such a document a 1-1 link below margin 1 that joins a heading to a sentence (one side ends with
sentence-final punctuation, the other not) is two orphans: the seed with Chinese 1 dropped left the Chinese
title and English 1 in one gap, paired at margin 0.92. Two sentences below margin 1 stay one link: a
translation replaced by an unrelated sentence (margin 0.46) is one pair, flagged `low_margin`.
"""

from __future__ import annotations

import numpy as np

from ..embed.base import Encoder
from .scoring import Side, length_model

__all__ = ["peel_orphans"]

Step = tuple[int, int, int, int]  # (i0, a, j0, b) as dp.best_path returns


def peel_orphans(
    path: list[Step],
    src: Side,
    tgt: Side,
    encoder: Encoder,
    *,
    knn: int,
    min_margin: float,
    min_length_gain: float,
    unit_by_unit: bool,
) -> list[Step]:
    """``path`` with the orphans of merged links split off (see the module docstring), in document order.
    ``unit_by_unit``: the document is translated unit by unit (the aligner decides, `AlignParams.tight_spread`)."""
    peeler = _Peeler(src, tgt, encoder, knn, min_margin, min_length_gain, unit_by_unit)
    peeler.fit_lengths(path)
    out: list[Step] = []
    for step in path:
        out.extend(peeler.peel(step))
    return out


class _Peeler:
    def __init__(
        self, src: Side, tgt: Side, encoder: Encoder, knn: int, min_margin: float, min_length_gain: float,
        unit_by_unit: bool,
    ) -> None:  # fmt: skip
        self.sides = {"src": src, "tgt": tgt}
        self.encoder = encoder
        self.knn = knn
        self.min_margin = min_margin
        self.min_length_gain = min_length_gain
        self.tight = unit_by_unit
        self.centre, self.spread = 0.0, float("inf")
        self.extra: dict[tuple[str, int, int], np.ndarray] = {}

    def fit_lengths(self, path: list[Step]) -> None:
        """The document's length model: median and spread (MAD) of log(source / target chars) over its 1-1 links."""
        pairs = [(i0, j0) for i0, a, j0, b in path if a == b == 1]
        self.centre, self.spread = length_model(pairs, self.sides["src"], self.sides["tgt"])

    def log_ratio(self, i0: int, a: int, j0: int, b: int) -> float:
        src, tgt = self.sides["src"], self.sides["tgt"]
        x = src.cum_chars[i0 + a] - src.cum_chars[i0]
        y = tgt.cum_chars[j0 + b] - tgt.cum_chars[j0]
        return float(np.log(max(x, 1.0) / max(y, 1.0)))

    def z(self, step: Step) -> float:
        return abs(self.log_ratio(*step) - self.centre) / self.spread

    def run(self, which: str, start: int, size: int) -> np.ndarray | None:
        """Unit vector of segments ``start .. start + size - 1`` of one side; None if a segment is blank."""
        side = self.sides[which]
        end = start + size
        if size in side.runs and side.runs_ok[size][end]:
            return side.runs[size][end]
        if not side.runs_usable(size)[end]:
            return None
        key = (which, start, size)
        if key not in self.extra:  # a run the DP did not embed (rare: the rest of a 1-3 or 3-1)
            self.extra[key] = self.encoder.encode([side.run_text(end, size)])[0]
        return self.extra[key]

    def near(self, vec: np.ndarray, which: str, centre: int) -> float:
        """Mean cosine of ``vec`` with its ``knn`` nearest single segments of side ``which`` around ``centre``."""
        side = self.sides[which]
        reach = max(4 * self.knn, 20)
        lo, hi = max(centre - reach, 1), min(centre + reach, len(side))
        ok = side.runs_ok[1][lo : hi + 1]
        cos = side.runs[1][lo : hi + 1][ok] @ vec
        return float(np.sort(cos)[-self.knn :].mean()) if len(cos) else 0.0

    def peel(self, step: Step) -> list[Step]:
        i0, a, j0, b = step
        if a == b == 1 and self.tight and self.heading_with_sentence(i0, j0) and self.match(step)[1] < 1.0:
            return [(i0, 1, j0, 0), (i0 + 1, 0, j0, 1)]  # a heading and a sentence, no closer than their neighbours
        if not (a and b) or a + b <= 2:
            return [step]
        x, y = self.run("src", i0, a), self.run("tgt", j0, b)
        if x is None or y is None:
            return [step]
        whole = float(x @ y)
        for which, start, size in (("src", i0, a), ("tgt", j0, b)):
            if size < 2:
                continue
            for first in (True, False):
                edge, rest_start = (start, start + 1) if first else (start + size - 1, start)
                if which == "src":
                    alone, kept = (edge, 1, j0 if first else j0 + b, 0), (rest_start, a - 1, j0, b)
                else:
                    alone, kept = (i0 if first else i0 + a, 0, edge, 1), (i0, a, rest_start, b - 1)
                if not self.confident_rest(kept, whole):
                    continue
                member = (edge, 1, j0, b) if which == "src" else (i0, a, edge, 1)
                weak = self.tight and self.match(member)[1] < 1.0
                if self.z(step) - self.z(kept) < self.min_length_gain and not weak:
                    continue
                return [alone, *self.peel(kept)] if first else [*self.peel(kept), alone]
        return self.peel_both(step, whole)

    def peel_both(self, step: Step, whole: float) -> list[Step]:
        """An orphan at each end, the first member of one side and the last of the other (a source title and a
        target bullet around a true pair), peeled together when the rest passes the two similarity tests. The
        length test is left out: one member off each side moves the length ratio both ways."""
        i0, a, j0, b = step
        if a < 2 or b < 2:
            return [step]
        for src_first in (True, False):
            kept = (i0 + 1, a - 1, j0, b - 1) if src_first else (i0, a - 1, j0 + 1, b - 1)
            if not self.confident_rest(kept, whole):
                continue
            if src_first:
                return [(i0, 1, j0, 0), *self.peel(kept), (i0 + a, 0, j0 + b - 1, 1)]
            return [(i0, 0, j0, 1), *self.peel(kept), (i0 + a - 1, 1, j0 + b, 0)]
        return [step]

    def heading_with_sentence(self, i: int, j: int) -> bool:
        """Does one of source ``i`` and target ``j`` end as a sentence does and the other not (a heading)?"""
        ends = [_ends_sentence(self.sides[w].texts[k]) for w, k in (("src", i), ("tgt", j))]
        return ends[0] != ends[1]

    def confident_rest(self, kept: Step, whole: float) -> bool:
        """The first two tests: ``kept`` matches at least as well as the whole link (cosine ``whole``), and its
        ratio margin is at least ``min_margin``."""
        cos, margin = self.match(kept)
        return cos >= whole and margin >= self.min_margin

    def match(self, step: Step) -> tuple[float, float]:
        """Cosine and ratio margin of the runs of ``step`` (-inf, 0 if one is blank)."""
        i0, a, j0, b = step
        x, y = self.run("src", i0, a), self.run("tgt", j0, b)
        if x is None or y is None:
            return -np.inf, 0.0
        cos = float(x @ y)
        near = (self.near(x, "tgt", j0 + b // 2 + 1) + self.near(y, "src", i0 + a // 2 + 1)) / 2
        return cos, cos / max(near, 1e-6)


_SENTENCE_END = ".!?。！？…"
_CLOSERS = "\"'”’」』)）»"


def _ends_sentence(text: str) -> bool:
    """Does ``text`` end with sentence-final punctuation (closing quotes and brackets after it allowed)?"""
    tail = text.rstrip().rstrip(_CLOSERS)
    return bool(tail) and tail[-1] in _SENTENCE_END
