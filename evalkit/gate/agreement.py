"""How often humans agree with a metric difference of a given size (Kocmi et al., ACL 2024).

Kocmi, Zouhar, Federmann and Post, "Navigating the Metrics Maze: Reconciling Score Magnitudes and
Accuracies" (ACL 2024, https://aclanthology.org/2024.acl-long.110) fit, over thousands of system pairs
judged by humans, the percent of pairs where humans agree with the metric's ranking as a function of the
metric difference: ``accuracy(delta) = a / (1 + exp(-b * delta))``. Their published points: BLEU Δ1 → 64%,
chrF Δ1 → 70%, COMET-22 Δ0.56 → 80%.

The coefficients are facts of the paper, not code: they live in ``kocmi2024.json`` beside this module,
copied from the authors' package ``mt-thresholds`` 1.0.4, and are read once. evalkit's metric names map to
theirs in `PAPER_METRIC` (chrF++ and TER were not fitted, so they get no estimate).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PAPER_METRIC", "Agreement", "agreement", "coefficients", "describe", "source"]

_DATA = Path(__file__).with_name("kocmi2024.json")

# evalkit metric name -> the paper's (mt-thresholds') name. "comet" is COMET-22 (wmt22-comet-da), the
# default model of unbabel-comet 2.x; "cometkiwi" is wmt22-cometkiwi-da.
PAPER_METRIC: dict[str, str] = {
    "bleu": "bleu", "chrf": "chrf", "comet": "comet22", "comet22": "comet22", "cometkiwi": "cometkiwi22",
    "cometkiwi22": "cometkiwi22",
}
_COMET_SCALED = {"comet22", "cometkiwi22", "comet20", "xcometXL"}  # fitted on scores times 100


@functools.cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


def source() -> str:
    """The citation of the coefficients (one line)."""
    return str(_data()["source"])


def coefficients(metric: str) -> tuple[float, float] | None:
    """``(a, b)`` of the paper's fit for an evalkit metric name, or None when the paper has none."""
    name = PAPER_METRIC.get(metric.lower())
    if name is None:
        return None
    a, b = _data()["coefficients"][name]
    return float(a), float(b)


@dataclass(frozen=True)
class Agreement:
    """``percent`` (0–100) of system pairs where humans agree with a difference of ``delta`` points of
    ``metric`` (the paper's name in ``paper_metric``)."""

    metric: str
    paper_metric: str
    delta: float
    percent: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.delta) and self.delta >= 0 and 0 <= self.percent <= 100):
            raise ValueError(f"Agreement: delta={self.delta} must be finite >= 0 and percent={self.percent} in 0-100")


def agreement(metric: str, delta: float, scores: tuple[float, ...] = ()) -> Agreement | None:
    """The paper's estimate for a difference ``delta`` (its absolute value is used) of ``metric``.

    COMET differences are in points of COMET x 100, as in the paper: when every one of ``scores`` (the two
    scores compared) is within [-1.5, 1.5], the scores are taken as 0–1 and the delta is multiplied by 100.
    None when the paper fitted no curve for the metric or the delta is not finite.
    """
    ab = coefficients(metric)
    if ab is None or not math.isfinite(delta):
        return None
    name = PAPER_METRIC[metric.lower()]
    size = abs(delta)
    if name in _COMET_SCALED and scores and all(abs(s) <= 1.5 for s in scores):
        size *= 100.0
    a, b = ab
    return Agreement(metric, name, size, a / (1.0 + math.exp(-b * size)))


def describe(metric: str, base: float | None, value: float | None) -> str:
    """A few words for the gate's output, e.g. ``"humans agree 64%"`` for a BLEU difference of 1; ``""``
    when there is nothing to estimate (no baseline value, a metric the paper did not fit)."""
    if base is None or value is None or value == base:  # no difference: nothing for humans to agree with
        return ""
    found = agreement(metric, value - base, (base, value))
    if found is None:
        return ""
    # Below 50% the fitted curve says less than a coin flip: the difference is too small to mean anything.
    return f"humans agree {found.percent:.0f}%" + (" (≈ chance)" if found.percent < 50 else "")
