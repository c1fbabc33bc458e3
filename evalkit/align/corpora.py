"""Gold-aligned corpora in aligner-eval's layout (``src/NNN``, ``tgt/NNN``, ``gold/NNN.align``) and what to measure on them.

MAC-Test (literary zh-en, files 001-012 in ``../shared/data/mac-zh-en-alignment-dev``) and the Bible
en-zh file come in this layout (bfsujason/aligner-eval, ``data/mac``, ``data/bible``). Scores are
Vecalign's strict ones (`evaluate.score_links`), pooled over the files as ``score.py`` pools them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from ..errors import InputError
from ..records import Link, Segment
from .evaluate import LinkScores, Pair, as_pairs, score_links

__all__ = ["GoldFile", "load_corpus", "pooled", "reliability"]


@dataclass(frozen=True)
class GoldFile:
    """One file pair of a corpus with its gold links (0-based indices)."""

    name: str
    src: tuple[Segment, ...]
    tgt: tuple[Segment, ...]
    gold: tuple[Pair, ...]


def load_corpus(folder: Path, src_lang: str, tgt_lang: str, names: Sequence[str] | None = None) -> list[GoldFile]:
    """Every ``gold/NAME.align`` of ``folder`` (or only ``names``) with its ``src/NAME`` and ``tgt/NAME`` lines."""
    from .evaluate import read_vecalign

    found = sorted(p.name.removesuffix(".align") for p in (folder / "gold").glob("*.align"))
    if not found:
        raise InputError(folder, "no gold/*.align files (expected aligner-eval's src/, tgt/, gold/ layout)")
    files = []
    for name in names or found:
        src_path, tgt_path = folder / "src" / name, folder / "tgt" / name
        src = src_path.read_text(encoding="utf-8").splitlines()
        tgt = tgt_path.read_text(encoding="utf-8").splitlines()
        files.append(
            GoldFile(
                name,
                tuple(Segment(t, src_lang, i, file=src_path.name, line=i + 1) for i, t in enumerate(src)),
                tuple(Segment(t, tgt_lang, i, file=tgt_path.name, line=i + 1) for i, t in enumerate(tgt)),
                tuple(read_vecalign(folder / "gold" / f"{name}.align")),
            )
        )
    return files


def pooled(results: Sequence[tuple[Sequence[Pair], Sequence[Link | Pair]]]) -> LinkScores:
    """Strict P/R/F1 with the counts summed over files (Vecalign ``score.py: score_multiple``)."""
    per = [score_links(gold, pred) for gold, pred in results]
    hit_p, pred = sum(s.correct_predicted for s in per), sum(s.predicted for s in per)
    hit_r, gold = sum(s.correct_gold for s in per), sum(s.gold for s in per)
    precision = hit_p / pred if pred else 0.0
    recall = hit_r / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return LinkScores(precision, recall, f1, hit_p, pred, hit_r, gold)


def reliability(
    results: Sequence[tuple[Sequence[Pair], Sequence[Link]]], edges: Sequence[float] = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0)
) -> list[tuple[float, float, int, int]]:
    """Rows ``(low, high, links, gold links)``: predicted links with ``low <= confidence < high`` (the last bin includes 1)."""
    rows = []
    for k, (low, high) in enumerate(pairwise(edges)):
        last = k == len(edges) - 2
        count = hits = 0
        for gold, links in results:
            gold_set = set(as_pairs(gold))
            for link in links:
                if low <= link.confidence < high or (last and link.confidence == high):
                    count += 1
                    hits += (tuple(link.src), tuple(link.tgt)) in gold_set
        rows.append((low, high, count, hits))
    return rows
