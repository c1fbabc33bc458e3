"""Check that two line-paired files really pair line by line (source and MT output, source and reference).

One lost or extra line in an MT output shifts every later line against the source, and every
segment score after it silently compares the wrong sentences. `check_line_pairing` finds such
stretches: each target line is compared with the source lines up to ``max_offset`` away, using
the ratio margin (Artetxe & Schwenk 2019) over a local window so that generic short lines do not
win everywhere; a Viterbi pass over the offsets, with a cost for every change of offset, then
keeps only offsets that hold for a run of lines (a piecewise-constant reading of the diagonal
evidence, as in the anchor paths of Bertalign and Vecalign).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..embed.base import Encoder
from ..errors import UsageError
from ..records import Segment
from .grid import top_mean

__all__ = ["Shift", "check_line_pairing"]

_WINDOW = 10  # neighbours on each side for the margin's neighbourhood term
_KNN = 4  # Artetxe & Schwenk 2019


@dataclass(frozen=True)
class Shift:
    """Target lines ``start .. end - 1`` (0-based, end exclusive) read like source lines ``offset`` further on.

    ``offset = +1``: target line ``i`` translates source line ``i + 1`` (a target line went
    missing before ``start``); ``-1``: an extra target line. ``gain`` is the mean margin by which
    the shifted pairing beats the line-by-line pairing over the stretch (ratio margin units).
    """

    start: int
    end: int
    offset: int
    gain: float
    first_line: int  # 1-based line of target line ``start`` in its file
    last_line: int  # 1-based line of target line ``end - 1``
    file: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"Shift needs 0 <= start < end, got {self.start}, {self.end}")
        if self.offset == 0:
            raise ValueError("Shift.offset must be non-zero")

    @property
    def message(self) -> str:
        """One line, e.g. ``lines 120-1875 of hyp.txt look shifted by +1 against the source``."""
        where = f"lines {self.first_line}-{self.last_line} of {self.file or 'the target'}"
        return (
            f"{where} look shifted by {self.offset:+d} against the source "
            f"(line {self.first_line} reads like source line {self.first_line + self.offset}; "
            f"a line was {'lost' if self.offset > 0 else 'added'} near line {self.first_line})"
        )


def check_line_pairing(
    src: Sequence[Segment],
    tgt: Sequence[Segment],
    encoder: Encoder,
    *,
    max_offset: int = 3,
    switch_cost: float = 2.0,
    min_lines: int = 3,
) -> list[Shift]:
    """Stretches of line-paired ``src``/``tgt`` (equal length) where the pairing looks shifted; [] if none.

    ``switch_cost`` (ratio-margin units) is what entering or leaving a shifted reading costs: a
    stretch needs about ``2 * switch_cost`` of evidence, a few lines whose shifted partner is
    clearly better than their own. Stretches shorter than ``min_lines`` are not reported.
    """
    if len(src) != len(tgt):
        raise UsageError(
            f"line pairing needs files of equal length, got {len(src)} source and {len(tgt)} target lines",
            "align them with evalkit.align.align instead",
        )
    n = len(src)
    if n < min_lines:
        return []
    texts = [s.text for s in src] + [t.text for t in tgt]
    usable = np.array([bool(t.strip()) for t in texts])
    unique = list(dict.fromkeys(t for t, ok in zip(texts, usable) if ok))
    if not unique:
        return []
    index = {t: k for k, t in enumerate(unique)}
    vectors = encoder.encode(unique)
    all_vecs = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
    all_vecs[usable] = vectors[[index[t] for t, ok in zip(texts, usable) if ok]]
    gain = _offset_gains(all_vecs[:n], usable[:n], all_vecs[n:], usable[n:], max_offset)
    offsets = _viterbi(gain, switch_cost)
    return _stretches(offsets, gain, max_offset, min_lines, tgt)


def _offset_gains(src: np.ndarray, src_ok: np.ndarray, tgt: np.ndarray, tgt_ok: np.ndarray, reach: int) -> np.ndarray:
    """``gain[o + reach, j]``: how much better target line ``j`` pairs with source ``j + o`` than with ``j``.

    Ratio margins over a window of ``_WINDOW`` lines on each side; 0 where either pairing is undefined
    (blank line, edge of the file), so such lines give no evidence either way.
    """
    n = len(src)
    width = max(_WINDOW, reach)
    # cos[k, j] = cos(source j + k - width, target j)
    cos = np.full((2 * width + 1, n), np.nan)
    for k, off in enumerate(range(-width, width + 1)):
        j = np.arange(max(0, -off), min(n, n - off))
        ok = src_ok[j + off] & tgt_ok[j]
        cos[k, j[ok]] = np.einsum("ij,ij->i", src[j[ok] + off], tgt[j[ok]])
    near_tgt = top_mean(cos.T, _KNN)  # per target line
    by_src = np.full((n, 2 * width + 1), np.nan)  # by_src[i, k] = cos(source i, target i - (k - width))
    for k, off in enumerate(range(-width, width + 1)):
        j = np.arange(max(0, -off), min(n, n - off))
        by_src[j + off, k] = cos[k, j]
    near_src = top_mean(by_src, _KNN)
    margins = np.full((2 * reach + 1, n), np.nan)
    for o in range(-reach, reach + 1):
        j = np.arange(max(0, -o), min(n, n - o))
        with np.errstate(invalid="ignore", divide="ignore"):
            margins[o + reach, j] = cos[o + width, j] / ((near_src[j + o] + near_tgt[j]) / 2)
    gain = margins - margins[reach]
    return np.where(np.isnan(gain), 0.0, gain)


def _viterbi(gain: np.ndarray, switch_cost: float) -> np.ndarray:
    """The offset of every line on the best piecewise-constant path (row ``reach`` = offset 0)."""
    states, n = gain.shape
    reach = states // 2
    score = np.full(states, -switch_cost)
    score[reach] = 0.0  # files start paired line by line
    back = np.zeros((n, states), dtype=np.int64)
    for j in range(n):
        stay = score
        best_prev = int(np.argmax(score))
        move = score[best_prev] - switch_cost
        take_move = move > stay
        back[j] = np.where(take_move, best_prev, np.arange(states))
        score = np.where(take_move, move, stay) + gain[:, j]
    path = np.empty(n, dtype=np.int64)
    state = int(np.argmax(score))
    for j in range(n - 1, -1, -1):
        path[j] = state
        state = int(back[j, state])
    return path - reach


def _stretches(offsets: np.ndarray, gain: np.ndarray, reach: int, min_lines: int, tgt: Sequence[Segment]) -> list[Shift]:
    shifts: list[Shift] = []
    j = 0
    n = len(offsets)
    while j < n:
        k = j
        while k < n and offsets[k] == offsets[j]:
            k += 1
        if offsets[j] != 0 and k - j >= min_lines:
            mean_gain = float(gain[offsets[j] + reach, j:k].mean())
            first, last = tgt[j], tgt[k - 1]
            shifts.append(
                Shift(j, k, int(offsets[j]), round(mean_gain, 4), first.line or j + 1, last.line or k, first.file)
            )
        j = k
    return shifts
