"""Seed faults that only the off_target and entity_mismatch checks see, scored end to end with the
bundled model, py3langid and CC-CEDICT (tests/data/flags_checks/make_files.py made each file).

Indices are 0-based per language: zh 0 is the title, zh k+1 translates en k. The clean seed is
tests/test_flags_seed.py::test_seed_flags_only_the_unpaired_title (only the title is flagged).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.pipeline import ScoreOptions, score_document
from evalkit.records import Flag

from conftest import ROOT

FILES = ROOT / "tests" / "data" / "flags_checks"


def _flags(name: str, cache_dir: Path) -> dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[Flag, ...]]:
    report = score_document(FILES / f"{name}.txt", (), ScoreOptions(cache_dir=cache_dir, n_bootstrap=100))
    return {(k.link.src, k.link.tgt): k.flags for k in report.links if k.flagged}


@pytest.mark.parametrize(
    ("name", "link", "reason", "detail"),
    [
        # en 3 "with Russia" -> "with France": 俄罗斯 (Russia) is named nowhere in the target, France is.
        ("country", ((4,), (3,)), "entity_mismatch",
         "entity_mismatch: source has 俄罗斯 (Russia), target has France instead"),
        # en 1 "Xi and Putin" -> "Xi and Biden": CC-CEDICT has 普京 as Vladimir Putin and Biden as 拜登.
        ("person", ((2,), (1,)), "entity_mismatch",
         "entity_mismatch: source has 普京 (Vladimir Putin), target has Biden instead"),
        # en 8 in German, en 7 in French: the probabilities are py3langid 0.4.0's, printed by the check.
        ("german", ((9,), (8,)), "off_target", "off_target: target is de"),
        ("french", ((8,), (7,)), "off_target", "off_target: target is fr"),
    ],
)
def test_injected_fault_is_flagged_with_its_reason(cache_dir: Path, name: str, link: tuple, reason: str, detail: str) -> None:
    flagged = _flags(name, cache_dir)
    codes = {f.code: f for f in flagged.get(link, ())}
    assert reason in codes, flagged
    assert codes[reason].detail.startswith(detail), codes[reason].detail
    # Nothing else is flagged but the unpaired title.
    assert set(flagged) == {link, ((0,), ())}, flagged
