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


def _seed_blocks() -> tuple[str, list[str], list[str]]:
    lines = [l for l in SEED.read_text(encoding="utf-8").split("\n") if l.strip()]
    return lines[0], lines[1:16], lines[16:]


@pytest.mark.parametrize("side", ["zh", "en"])
def test_a_dropped_bullet_is_never_silent(tmp_path: Path, cache_dir: Path, side: str) -> None:
    # Every one of the 30 drop positions must raise a flag beyond the title's: an unpaired link, or a
    # merge/split that absorbed the orphan (seed positions zh 6, zh 8, en 8 do; see Thresholds.member_margin).
    title, zh, en = _seed_blocks()
    silent = []
    for k in range(15):
        z, e = list(zh), list(en)
        (z if side == "zh" else e).pop(k)
        path = tmp_path / f"drop-{side}-{k}.txt"
        path.write_text("\n\n".join([title, *z, *e]) + "\n", encoding="utf-8")
        flagged = _flagged(_score(path, cache_dir))
        if not set(flagged) - {((0,), ())}:
            silent.append(k)
    assert silent == []


@pytest.mark.parametrize("name", ["merged-en", "merged-zh", "split-en", "split-zh"])
def test_real_merges_and_splits_are_information_not_faults(cache_dir: Path, name: str) -> None:
    # tests/data/io/faults/: bullets 3+4 joined, or bullet 10 cut in two, by tests/data/io/make_files.py.
    report = _score(ROOT / "tests" / "data" / "io" / "faults" / f"{name}.txt", cache_dir)
    groups = [l for l in report.links if l.link.paired and l.link.kind != "1-1"]
    assert len(groups) == 1 and groups[0].info and not groups[0].flags
    assert set(_flagged(report)) == {((0,), ())}
