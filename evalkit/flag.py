"""Flag rules: a link is flagged when any rule fires; each flag names its reason and values.

Reason codes are stable (scripts depend on them): unpaired, low_margin, low_similarity,
length_ratio, number_mismatch, untranslated, wrong_language, empty, repetition, low_chrf, moved, too_long,
off_target, entity_mismatch.
Merges and splits (2-1, 1-2) are information, not faults.
"""

from __future__ import annotations

from collections.abc import Iterable

from .config import Thresholds
from .records import Flag, ScoredLink

__all__ = ["REASONS", "flag_link"]

REASONS: dict[str, str] = {
    "unpaired": "a segment with no counterpart on the other side (1-0 or 0-1 link)",
    "low_margin": "ratio margin of source↔target below the threshold: no better than unrelated neighbours",
    "low_similarity": "cross-lingual cosine below the threshold",
    "length_ratio": "target/source length ratio outside the range learned from this data",
    "number_mismatch": "numbers missing or changed between source and target",
    "untranslated": "target left in the source language, or a copy of the source",
    "wrong_language": "target in a language that is neither the target nor the source language",
    "empty": "empty source or target",
    "repetition": "an n-gram repeated in a loop in the target (hallucination)",
    "low_chrf": "sentence chrF against the reference(s) below the threshold",
    "moved": "segments linked in a different order: swapped inside a group, or moved elsewhere in the document",
    "too_long": "a segment longer than the embedding model's maximum input (scored on what the model read)",
    "off_target": "target in the expected script but another language (py3langid): German or French where English is expected",
    "entity_mismatch": "a name in the source (person, place, organisation, product) with no counterpart in the target, or another in its place",
}


def flag_link(link: ScoredLink, checks: Iterable[Flag], thresholds: Thresholds) -> tuple[tuple[Flag, ...], tuple[str, ...]]:
    """Flags (reason + values) and information notes for one link, in a stable order."""
    flags: list[Flag] = []
    info: list[str] = []
    kind = link.link.kind
    if not link.link.paired:
        side = "source" if link.link.src else "target"
        flags.append(Flag("unpaired", f"unpaired: {side} segment has no counterpart ({kind})"))
    elif kind != "1-1":
        many_src = len(link.link.src) > len(link.link.tgt)
        info.append(f"{kind}: {'merged' if many_src else 'split'} in translation")
    if link.margin is not None and link.margin < thresholds.margin:
        flags.append(
            Flag("low_margin", f"low_margin: {link.margin:.2f} < {thresholds.margin:g}", link.margin, thresholds.margin)
        )
    if link.similarity is not None and link.similarity < thresholds.similarity:
        flags.append(
            Flag(
                "low_similarity",
                f"low_similarity: {link.similarity:.2f} < {thresholds.similarity:g}",
                link.similarity,
                thresholds.similarity,
            )
        )
    chrf = link.metrics.get("chrf")
    if chrf is not None and chrf < thresholds.chrf:
        flags.append(Flag("low_chrf", f"low_chrf: {chrf:.1f} < {thresholds.chrf:g}", chrf, thresholds.chrf))
    seen = {f.code for f in flags}
    for check in checks:
        if check.code not in seen:
            flags.append(check)
            seen.add(check.code)
    order = list(REASONS)
    flags.sort(key=lambda f: order.index(f.code) if f.code in order else len(order))
    return tuple(flags), tuple(info)
