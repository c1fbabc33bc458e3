"""Flag rules: a link is flagged when any rule fires; each flag names its reason and values.

`RULES` declares every reason code once: what it means (``why``, also the README table and the report's
tooltips), where it fires (``source``), the threshold it compares with (a `Thresholds` field) and whether
``evalkit calibrate`` proposes that threshold. `REASONS`, the ``Flag.code`` Literal in `evalkit.records`,
the ``reasons`` enum of ``summary.schema.json`` and the README table are tested against it
(tests/test_flag_rules.py). Codes are stable (scripts depend on them); their order is the order flags are
listed in. Merges and splits (2-1, 1-2) are information, not faults.

A threshold rule (``source="threshold"``) is data: ``value`` names the per-link value it reads (a
`ScoredLink` attribute or a registered metric, through `evalkit.metrics.base.link_value`) and fires when
the value is below the threshold. A new one (say ``low_qe`` on a ``qe`` metric) is one `Rule` line here and
its threshold field in `evalkit.config.Thresholds`. A content check (``source="check"``) is a function in
`evalkit.metrics.checks` that returns a `Flag` with its code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .config import Thresholds
from .records import Flag, ScoredLink

__all__ = ["REASONS", "RULES", "Rule", "calibrated", "flag_link"]


@dataclass(frozen=True)
class Rule:
    """One reason code. ``source``: ``"alignment"`` (the aligner's links), ``"threshold"`` (a per-link value
    against ``threshold``), ``"check"`` (a content check of `evalkit.metrics.checks`), ``"kernel"`` (the scoring
    kernel: ``too_long``) or ``"moves"`` (moved-segment detection). ``value``/``digits``: the per-link value a
    threshold rule reads and the decimals of its detail; ``calibrate``: ``evalkit calibrate`` proposes it."""

    code: str
    why: str
    source: Literal["alignment", "threshold", "check", "kernel", "moves"]
    threshold: str | None = None
    value: str | None = None
    digits: int = 2
    calibrate: bool = False
    adjust: str | None = None  # a function of evalkit.flag.ADJUSTERS applied to the value before the comparison

    def __post_init__(self) -> None:
        if (self.source == "threshold") != (self.threshold is not None and self.value is not None):
            raise ValueError(f"Rule {self.code}: a threshold rule needs threshold and value, and only it has them")


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("unpaired", "a segment with no counterpart on the other side (1-0 or 0-1 link)", "alignment"),
    Rule("low_margin", "ratio margin of source↔target below the threshold: no better than unrelated neighbours",
         "threshold", threshold="margin", value="margin", calibrate=True),
    Rule("low_similarity", "cross-lingual cosine below the threshold", "threshold", threshold="similarity",
         value="similarity", calibrate=True),
    Rule("length_ratio", "target/source length ratio outside the range learned from this data", "check",
         threshold="length_k"),
    Rule("number_mismatch", "numbers missing or changed between source and target", "check"),
    Rule("untranslated", "target left in the source language, or a copy of the source", "check"),
    Rule("wrong_language", "target in a language that is neither the target nor the source language", "check"),
    Rule("empty", "empty source or target", "check"),
    Rule("repetition", "an n-gram repeated in a loop in the target (hallucination)", "check", threshold="repetition"),
    Rule("low_chrf", "sentence chrF against the reference(s) below the threshold", "threshold", threshold="chrf",
         value="chrf", digits=1, calibrate=True),
    Rule("moved", "segments linked in a different order: swapped inside a group, or moved elsewhere in the document",
         "moves", threshold="margin"),
    Rule("too_long", "a segment longer than the embedding model's maximum input (scored on what the model read)",
         "kernel"),
    Rule("low_qe", "learned quality estimate, adjusted to an average-length segment, below the threshold (predicted MQM)",
         "threshold", threshold="qe", value="qe", adjust="qe_length"),
    Rule("off_target", "target in the expected script but another language (py3langid): German or French where "
         "English is expected", "check"),
    Rule("entity_mismatch", "a name in the source (person, place, organisation, product) with no counterpart in the "
         "target, or another in its place", "check"),
)}  # fmt: skip


def _qe_length(value: float, link: ScoredLink) -> float:
    """qe as if the link were of average length (the shipped model's log-length penalty taken out)."""
    from .qe import length_adjusted

    return length_adjusted(value, link.source, link.target)


# name -> function(value, link) -> the value a threshold rule compares (Rule.adjust)
ADJUSTERS = {"qe_length": _qe_length}

# code -> explanation, in flag order (summary.json's `reasons`, report.html's legend)
REASONS: dict[str, str] = {code: rule.why for code, rule in RULES.items()}


def calibrated() -> dict[str, str]:
    """``{code: threshold name}`` of the rules ``evalkit calibrate`` proposes thresholds for."""
    return {code: rule.threshold for code, rule in RULES.items() if rule.calibrate and rule.threshold}


def flag_link(link: ScoredLink, checks: Iterable[Flag], thresholds: Thresholds) -> tuple[tuple[Flag, ...], tuple[str, ...]]:
    """Flags (reason + values) and information notes for one link, in a stable order (`RULES` order)."""
    from .metrics.base import link_value

    flags: list[Flag] = []
    info: list[str] = []
    kind = link.link.kind
    if not link.link.paired:
        side = "source" if link.link.src else "target"
        flags.append(Flag("unpaired", f"unpaired: {side} segment has no counterpart ({kind})"))
    elif kind != "1-1":
        many_src = len(link.link.src) > len(link.link.tgt)
        info.append(f"{kind}: {'merged' if many_src else 'split'} in translation")
    for rule in RULES.values():
        if rule.source != "threshold" or rule.value is None or rule.threshold is None:
            continue
        value = link_value(link, rule.value)
        limit = getattr(thresholds, rule.threshold)
        if value is None:
            continue
        if rule.adjust is not None:
            raw, value = value, ADJUSTERS[rule.adjust](value, link)
            if value < limit:
                flags.append(Flag(rule.code, f"{rule.code}: {value:.{rule.digits}f} < {limit:g} ({rule.value} {raw:.2f}, "  # type: ignore[arg-type]  # code is a RULES key, tested against the Literal
                                  "length-adjusted)", value, limit))
        elif value < limit:
            flags.append(Flag(rule.code, f"{rule.code}: {value:.{rule.digits}f} < {limit:g}", value, limit))  # type: ignore[arg-type]  # code is a RULES key, tested against the Literal
    seen = {f.code for f in flags}
    for check in checks:
        if check.code not in seen:
            flags.append(check)
            seen.add(check.code)
    order = list(RULES)
    flags.sort(key=lambda f: order.index(f.code) if f.code in order else len(order))
    return tuple(flags), tuple(info)
