"""The flag-rule registry (`evalkit.flag.RULES`): each reason code declared once, everything else tested
against it: `REASONS`, the ``Flag.code`` Literal, summary.schema.json's ``reasons``, the README table,
the calibrated thresholds, and the threshold rules' behaviour (a hand-made link per rule)."""

from __future__ import annotations

import json
import re
import typing
from dataclasses import fields

import pytest

from evalkit.config import Thresholds
from evalkit.flag import REASONS, RULES, Rule, calibrated, flag_link
from evalkit.records import Flag, Link, ScoredLink

from conftest import ROOT

MISSING = "add the code to {where} (evalkit.flag.RULES is the declaration)"


def test_reasons_and_the_literal_follow_the_rules() -> None:
    assert list(REASONS) == list(RULES)
    assert [r.why for r in RULES.values()] == list(REASONS.values())
    literal = typing.get_args(typing.get_type_hints(Flag)["code"])
    assert list(literal) == list(RULES), MISSING.format(where="the Flag.code Literal in evalkit/records.py")


def test_schema_enum_follows_the_rules() -> None:
    schema = json.loads((ROOT / "evalkit" / "schemas" / "summary.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["reasons"]["required"] == list(RULES), MISSING.format(where="summary.schema.json")


def test_readme_table_follows_the_rules() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|$", readme.split("## Flags", 1)[1].split("\n## ", 1)[0], re.M))
    assert table == REASONS, MISSING.format(where="README.md's Flags table, with the same explanation")


def test_every_threshold_is_a_thresholds_field() -> None:
    names = {f.name for f in fields(Thresholds)}
    for rule in RULES.values():
        assert rule.threshold is None or rule.threshold in names, rule.code
    # the three rules `evalkit calibrate` has always proposed (README, "Calibration")
    assert calibrated() == {"low_margin": "margin", "low_similarity": "similarity", "low_chrf": "chrf"}


def test_a_threshold_rule_needs_its_value() -> None:
    with pytest.raises(ValueError, match="threshold rule"):
        Rule("low_x", "x", "threshold", threshold="margin")


@pytest.mark.parametrize(("code", "link", "detail"), [
    # values just under the default thresholds (Thresholds: margin 1.0, similarity 0.3, chrf 35; margin and
    # similarity were lowered for line-aligned output by the qe work, README "Thresholds and their calibration")
    ("low_margin", dict(margin=0.999), "low_margin: 1.00 < 1"),
    ("low_similarity", dict(similarity=0.2), "low_similarity: 0.20 < 0.3"),
    ("low_chrf", dict(metrics={"chrf": 34.94}), "low_chrf: 34.9 < 35"),
])
def test_threshold_rules_fire_below_and_not_at(code: str, link: dict[str, typing.Any], detail: str) -> None:
    scored = ScoredLink(Link((0,), (0,)), "a", "b", **link)
    flags, _ = flag_link(scored, (), Thresholds())
    assert [(f.code, f.detail) for f in flags] == [(code, detail)]
    at = {k: ({"chrf": 35.0} if k == "metrics" else {"margin": 1.0, "similarity": 0.3}[k]) for k in link}
    assert flag_link(ScoredLink(Link((0,), (0,)), "a", "b", **at), (), Thresholds())[0] == ()


def test_flags_come_in_rules_order() -> None:
    checks = [Flag("too_long", "too_long: x"), Flag("empty", "empty: x"), Flag("empty", "twice")]
    flags, _ = flag_link(ScoredLink(Link((0,), ()), "a", ""), checks, Thresholds())
    assert [f.code for f in flags] == ["unpaired", "empty", "too_long"]
