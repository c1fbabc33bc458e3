"""Invariants of the records (`evalkit.records`): each bad value is refused with a message naming the field."""

from __future__ import annotations

import math

import pytest

from evalkit.records import Flag, Link, Report, Score, ScoredLink, Span


def _report(**changes: object) -> Report:
    values: dict[str, object] = dict(inputs={}, src_lang="zh", tgt_lang="en", links=(), scores={}, thresholds={},
                                     thresholds_origin="defaults", model={})
    values.update(changes)
    return Report(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("make", "words"), [
    (lambda: Score("", 1.0, "sig"), "Score.name"),
    (lambda: Score("bleu", 1.0, "sig", (2.0, 1.0)), "low <= high"),
    (lambda: ScoredLink(Link((0,), (0,)), "a", "b", similarity=1.5), "ScoredLink.similarity"),
    (lambda: ScoredLink(Link((0,), (0,)), "a", "b", ref_similarity=-2.0), "ScoredLink.ref_similarity"),
    (lambda: ScoredLink(Link((0,), (0,)), "a", "b", src_lines=(0,)), "ScoredLink.src_lines are 1-based"),
    (lambda: ScoredLink(Link((0,), ()), "a", "", margin=1.0), "unpaired link"),
    (lambda: ScoredLink(Link((0,), (0,)), "a", "b", flags=("empty",)), "Flag records"),  # type: ignore[arg-type]
    (lambda: Span(3, 2, "x", "minor", 0.5), "0 <= start <= end"),
    (lambda: Span(-1, 2, "x", "minor", 0.5), "0 <= start <= end"),
    (lambda: Span(0, 1, "x", "", 0.5), "Span.severity"),
    (lambda: Span(0, 1, "x", "major", 1.5), "Span.confidence"),
    (lambda: Span(0, 1, "x", "major", math.nan), "Span.confidence"),
    (lambda: ScoredLink(Link((0,), (0,)), "a", "b", spans={"xcomet": ((0, 1, "b", "minor", 0.5),)}), "Span records"),  # type: ignore[dict-item]
    (lambda: _report(src_lang=""), "Report languages"),
    (lambda: _report(links=[]), "Report.links must be a tuple"),
    (lambda: _report(scores={"bleu": 30.0}), "Report.scores['bleu'] must be a Score"),
    (lambda: _report(links=(ScoredLink(Link((0,), (0,)), "a", "b", document="A"), ScoredLink(Link((1,), (1,)), "c", "d"))),
     "every link names its document"),
])
def test_bad_records_are_refused(make: object, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("(", r"\(")):
        make()  # type: ignore[operator]


def test_good_records_pass() -> None:
    # NaN interval bounds and a NaN cosine stay allowed: an empty output gives no finite resample
    Score("similarity", math.nan, "sig", (math.nan, math.nan))
    link = ScoredLink(Link((0,), (0,)), "a", "b", similarity=-1.0, ref_similarity=1.0, src_lines=(1,), tgt_lines=(1,),
                      flags=(Flag("empty", "empty"),))
    assert _report(links=(link,), scores={"bleu": Score("BLEU", 30.0, "sig", (29.0, 31.0))}).flagged == (link,)
