"""Score links against gold links: strict precision, recall and F1 as Vecalign's ``score.py`` counts them.

Gold files use Vecalign's format, one link a line: ``[0, 1]:[2]`` (0-based; ``[]`` for an
unpaired side). A predicted link counts only if identical to a gold link. Precision is over all
predicted links (a 1-0 or 0-1 link is correct only if the gold has it too); recall is over the
paired gold links, compared with the paired predicted links (Thompson & Koehn 2019,
``score.py: score_multiple``, strict columns).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..records import Link

__all__ = ["LinkScores", "as_pairs", "gold_prefix", "merge_within_groups", "read_vecalign", "score_links"]

Pair = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class LinkScores:
    """Strict precision, recall and F1 (0-1), with the counts they come from."""

    precision: float
    recall: float
    f1: float
    correct_predicted: int  # predicted links (any kind) found in the gold
    predicted: int
    correct_gold: int  # paired gold links found among the paired predicted links
    gold: int  # paired gold links


def read_vecalign(path: str | Path) -> list[Pair]:
    """Links from a Vecalign-format file (``[i, j]:[k]`` a line, 0-based)."""
    pairs: list[Pair] = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                left, right = line.strip().split(":")
                pairs.append((_indices(left), _indices(right)))
            except ValueError:
                raise InputError(path, f"expected a link like [0, 1]:[2], found {line.strip()!r}", line=number) from None
    return pairs


def _indices(text: str) -> tuple[int, ...]:
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise ValueError(text)
    return tuple(int(x) for x in body[1:-1].split(",") if x.strip())


def as_pairs(links: Iterable[Link | Pair]) -> list[Pair]:
    """``(src, tgt)`` index tuples of links."""
    return [(tuple(x.src), tuple(x.tgt)) if isinstance(x, Link) else (tuple(x[0]), tuple(x[1])) for x in links]


def score_links(gold: Iterable[Link | Pair], predicted: Iterable[Link | Pair]) -> LinkScores:
    """Strict P/R/F1 of ``predicted`` against ``gold`` (see the module docstring)."""
    gold_set = {p for p in as_pairs(gold) if p[0] or p[1]}
    pred_set = {p for p in as_pairs(predicted) if p[0] or p[1]}
    gold_paired = {p for p in gold_set if p[0] and p[1]}
    pred_paired = {p for p in pred_set if p[0] and p[1]}
    hit_p = len(pred_set & gold_set)
    hit_r = len(gold_paired & pred_paired)
    precision = hit_p / len(pred_set) if pred_set else 0.0
    recall = hit_r / len(gold_paired) if gold_paired else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkScores(precision, recall, f1, hit_p, len(pred_set), hit_r, len(gold_paired))


def merge_within_groups(predicted: Sequence[Link | Pair], gold: Sequence[Link | Pair]) -> list[Pair]:
    """Merge consecutive predicted links that fall inside the same gold link.

    The protocol aligner-eval uses on the Bible (``utils/eval_bible.py: merge_test_alignments``):
    its gold links are verses, and consecutive sentence links of one verse are joined before
    scoring, so sentence-level links inside a verse are not counted as errors. Published Bible
    figures (Bertalign F1 0.973) were scored this way; `score_links` alone is stricter.
    """
    src_group: dict[int, int] = {}
    tgt_group: dict[int, int] = {}
    for k, (s, t) in enumerate(as_pairs(gold)):
        src_group.update((i, k) for i in s)
        tgt_group.update((j, k) for j in t)
    merged: list[Pair] = []
    last: int | None = None
    for s, t in as_pairs(predicted):
        groups = {src_group.get(i, -1) for i in s} | {tgt_group.get(j, -1) for j in t}
        group = groups.pop() if len(groups) == 1 and -1 not in groups else None
        if group is not None and group == last:
            merged[-1] = (merged[-1][0] + s, merged[-1][1] + t)
        else:
            merged.append((s, t))
        last = group
    return merged


def gold_prefix(gold: Sequence[Pair], n_src: int) -> tuple[list[Pair], int, int]:
    """The leading gold links that cover at most ``n_src`` source segments, with their side lengths.

    Cuts a long gold alignment at a link boundary, so a prefix of both texts can be aligned
    and scored on its own. Returns (links, source segments covered, target segments covered).
    """
    kept: list[Pair] = []
    s_end = t_end = 0
    for s, t in gold:
        if s and s[-1] >= n_src:
            break
        kept.append((s, t))
        s_end = max(s_end, s[-1] + 1) if s else s_end
        t_end = max(t_end, t[-1] + 1) if t else t_end
    return kept, s_end, t_end
