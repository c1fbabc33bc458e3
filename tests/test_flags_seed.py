"""Flags on the seed and on faults injected into it (tests/data/flags/make_files.py made each file).

Indices are 0-based per language: zh 0 is the title, zh k+1 translates en k.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.pipeline import ScoreOptions, score_document
from evalkit.records import Report

from conftest import ROOT, SEED, SEED_REF

FLAGS = ROOT / "tests" / "data" / "flags"


def _score(path: Path, cache_dir: Path, refs: tuple[Path, ...] = ()) -> Report:
    return score_document(path, refs, ScoreOptions(cache_dir=cache_dir, n_bootstrap=100))


def _flagged(report: Report) -> dict[tuple[tuple[int, ...], tuple[int, ...]], set[str]]:
    return {(l.link.src, l.link.tgt): {f.code for f in l.flags} for l in report.links if l.flagged}


def test_seed_flags_only_the_unpaired_title(cache_dir: Path) -> None:
    report = _score(SEED, cache_dir, (SEED_REF,))
    # The title (zh 0) has no English counterpart; every bullet pair is a true translation.
    assert _flagged(report) == {((0,), ()): {"unpaired"}}
    assert [l.link.kind for l in report.links].count("1-1") == 15
    assert all(l.link.src == (k + 1,) and l.link.tgt == (k,) for k, l in enumerate(report.links[1:]))
    # The team's reference covers the 15 bullets, so each bullet link has a sentence chrF.
    assert sum(1 for l in report.links if "chrf" in l.metrics) == 15


@pytest.mark.parametrize(
    ("name", "link", "reason"),
    [
        ("truncated", ((12,), (11,)), "length_ratio"),  # en 11 cut to its first third
        ("number", ((10,), (9,)), "number_mismatch"),  # "14 documents" -> "41 documents"
        ("untranslated", ((5,), (4,)), "untranslated"),  # en 4 replaced by the zh source of bullet 5
        ("unrelated", ((7,), (6,)), "low_margin"),  # en 6 replaced by a recipe sentence
        ("dropped", ((8,), ()), "unpaired"),  # en 7 dropped: zh 8 has no counterpart
        ("swapped", ((3, 4), (2, 3)), "moved"),  # en 2 and en 3 swapped: one 2-2 group, crosswise
    ],
)
def test_injected_fault_is_flagged_with_its_reason(cache_dir: Path, name: str, link: tuple, reason: str) -> None:
    flagged = _flagged(_score(FLAGS / f"{name}.txt", cache_dir))
    assert reason in flagged.get(link, set()), flagged
    # Nothing else is flagged but the unpaired title.
    assert set(flagged) == {link, ((0,), ())}


def test_dropped_bullet_leaves_every_other_pair_intact(cache_dir: Path) -> None:
    report = _score(FLAGS / "dropped.txt", cache_dir)
    pairs = [(l.link.src, l.link.tgt) for l in report.links if l.link.paired]
    # en 7 is gone: zh 1..7 pair with en 0..6 and zh 9..15 with en 7..13.
    assert pairs == [((k + 1,), (k,)) for k in range(7)] + [((k + 2,), (k,)) for k in range(7, 14)]
