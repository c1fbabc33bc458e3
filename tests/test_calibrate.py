"""Calibration: verdicts in (JSONL, returned XLIFF/TMX), thresholds out, figures before and after.

The verdict sets are constructed here; each expected number is worked out from them in a comment.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from lxml import etree

from evalkit.calibrate import (
    Verdict,
    format_calibration,
    load_verdict_map,
    load_verdicts,
    propose,
    write_thresholds,
)
from evalkit.config import Thresholds, load_thresholds
from evalkit.errors import ConfigError, InputError
from evalkit.records import Flag, Link, Report, ScoredLink
from evalkit.report.xliff_out import XLIFF2_NS, write_flagged_tmx, write_flagged_xliff

DATA = Path(__file__).parent / "data" / "formats"


def _v(key: int, real: bool, **values: float | None) -> Verdict:
    flags = tuple(
        Flag(code, code) if v is None else Flag(code, f"{code}: {v:.2f} < 1.05", v, 1.05)  # type: ignore[arg-type]
        for code, v in values.items()
    )
    return Verdict(str(key), str(key), "real_problem" if real else "false_alarm", flags)


# Ten real problems and ten false alarms flagged low_margin at margin 1.05, sorted:
#   real:  0.60 0.65 0.70 0.72 0.75 0.78 0.80 0.84 0.86 1.02
#   false: 0.83 0.88 0.90 0.92 0.95 0.97 0.99 1.00 1.01 1.04
# plus one real problem flagged only number_mismatch and one false alarm flagged only length_ratio
# (no threshold to move: they stay flagged whatever happens).
# The thresholds the verdicts were made under (set explicitly: the tests must not follow the defaults).
CURRENT = Thresholds(margin=1.05, similarity=0.25, chrf=20.0)

REAL = [0.60, 0.65, 0.70, 0.72, 0.75, 0.78, 0.80, 0.84, 0.86, 1.02]
FALSE = [0.83, 0.88, 0.90, 0.92, 0.95, 0.97, 0.99, 1.00, 1.01, 1.04]
MARGIN_SET = (
    [_v(i, True, low_margin=x) for i, x in enumerate(REAL)]
    + [_v(100 + i, False, low_margin=x) for i, x in enumerate(FALSE)]
    + [_v(200, True, number_mismatch=None), _v(201, False, length_ratio=None)]
)


@pytest.mark.parametrize(
    ("recall", "margin", "code_after", "all_after"),
    [
        # Recall 0.9 keeps 9 of the 10 real low_margin flags: the lowest threshold that does is just
        # above 0.86, and the roundest number in (0.86, 0.88] is 0.87. Below it: 9 real + 0.83 false.
        # All links: 9 + 1 (number_mismatch) real caught of 11 real, false alarms 1 + 1 (length_ratio).
        (0.9, 0.87, (10, 9, 1), (12, 10, 2)),
        # Recall 1.0 must keep 1.02: the threshold goes in (1.02, 1.04] -> 1.03, dropping only 1.04.
        (1.0, 1.03, (19, 10, 9), (21, 11, 10)),
    ],
)
def test_propose_cuts_false_alarms_and_keeps_recall(
    recall: float, margin: float, code_after: tuple[int, int, int], all_after: tuple[int, int, int]
) -> None:
    c = propose(MARGIN_SET, CURRENT, recall=recall)
    assert c.proposed.margin == margin
    assert (c.proposed.similarity, c.proposed.chrf) == (0.25, 20.0)  # no flags of theirs were judged
    (code,) = c.codes
    assert code.code == "low_margin" and (code.current, code.proposed) == (1.05, margin)
    # Before: every judged flag fires at 1.05 -> 20 flagged, 10 real, 10 false: precision 0.5, recall 1.
    assert (code.before.flagged, code.before.caught, code.before.false_alarms) == (20, 10, 10)
    assert (code.before.precision, code.before.recall) == (0.5, 1.0)
    assert (code.after.flagged, code.after.caught, code.after.false_alarms) == code_after
    assert code.after.recall is not None and code.after.recall >= recall
    # All links: 22 judged, 11 real, all flagged before (precision 11/22, recall 1).
    assert (c.before.judged, c.before.real, c.before.flagged, c.before.false_alarms) == (22, 11, 22, 11)
    assert (c.after.flagged, c.after.caught, c.after.false_alarms) == all_after
    assert c.counts == {"real_problem": 11, "false_alarm": 11, "duplicates": 0}


def test_precision_and_recall_figures_at_recall_09() -> None:
    c = propose(MARGIN_SET, CURRENT, recall=0.9)
    assert c.codes[0].after.precision == pytest.approx(9 / 10)  # 9 real of the 10 still flagged
    assert c.after.precision == pytest.approx(10 / 12) and c.after.recall == pytest.approx(10 / 11)
    text = format_calibration(c)
    assert "margin 1.05 -> 0.87" in text and "P 0.50 R 1.00 FA 10  ->  P 0.90 R 0.90 FA 1" in text
    assert "all flags" in text and "P 0.83 R 0.91 FA 2" in text  # 10/12, 10/11


def test_link_level_recall_is_restored() -> None:
    # Eight real links flagged by both codes (margin 0.50-0.57, similarity 0.10-0.17), one real link
    # flagged low_margin only (1.00), one low_similarity only (0.24), one false alarm each (0.90, 0.20).
    # Per code, recall 0.85 lets each code drop its single-code real link (8/9 = 0.89): margin -> 0.7
    # (roundest in (0.57, 0.90]), similarity -> 0.2 (in (0.17, 0.20]). Together they lose two of ten:
    # recall 0.8 < 0.85. Raising margin back to 1.05 or similarity back to 0.25 each recover one link
    # at one false alarm; the tie goes to low_margin (listed first): margin 1.05, similarity 0.2.
    verdicts = [_v(i, True, low_margin=0.50 + i / 100, low_similarity=0.10 + i / 100) for i in range(8)]
    verdicts += [_v(10, True, low_margin=1.00), _v(11, True, low_similarity=0.24)]
    verdicts += [_v(12, False, low_margin=0.90), _v(13, False, low_similarity=0.20)]
    c = propose(verdicts, CURRENT, recall=0.85)
    assert (c.proposed.margin, c.proposed.similarity) == (1.05, 0.2)
    assert (c.after.recall, c.after.false_alarms) == (0.9, 1)  # 9 of 10 real; only 0.90 still fires
    assert "raised back" in c.codes[0].note


def test_no_real_problem_keeps_the_threshold() -> None:
    verdicts = [_v(i, False, low_chrf=10.0 + i) for i in range(5)]
    c = propose(verdicts, Thresholds(chrf=20.0))
    assert c.proposed.chrf == 20.0 and "no real problem" in c.codes[0].note


def test_duplicates_and_unjudged_are_counted() -> None:
    later = Verdict("1", "1", "false_alarm", (Flag("low_margin", "x", 0.9, 1.05),))
    c = propose([_v(1, True, low_margin=0.9), later, Verdict("2", "2", None)], Thresholds())
    assert c.counts == {"false_alarm": 1, "unjudged": 1, "duplicates": 1}  # the later verdict on link 1 wins


def test_load_jsonl_verdicts() -> None:
    verdicts = load_verdicts([DATA / "verdicts.jsonl"])
    assert [(v.src_ids, v.tgt_ids, v.verdict) for v in verdicts] == [
        ("7", "6", "real_problem"), ("3", "2", "false_alarm"), ("0", "", "fixed"), ("11", "10", None),
    ]  # fmt: skip
    assert verdicts[0].flags[1] == Flag("low_similarity", "low_similarity: 0.15 < 0.25", 0.145, 0.25)
    assert [f.code for f in verdicts[2].flags] == ["unpaired"]  # from "reasons" when "flags" is absent
    assert verdicts[2].real and verdicts[1].origin.endswith("verdicts.jsonl:2")
    assert load_verdict_map([DATA / "verdicts.jsonl"]) == {
        ("7", "6"): "real_problem", ("3", "2"): "false_alarm", ("0", ""): "fixed",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"src_ids": "1", "tgt_ids": "1", "verdict": "real_problem"', "not valid JSON"),
        ('{"src_ids": "1", "tgt_ids": "1", "verdict": "maybe"}', "verdict 'maybe' is not one of"),
        ('["1", "1"]', "expected an object"),
        ('{"src_ids": "1", "tgt_ids": "1", "verdict": "fixed", "flags": [{"code": "low_margin", "value": "x"}]}', "not a number"),
    ],
)
def test_bad_verdict_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text('{"src_ids": "0", "tgt_ids": "0", "verdict": "false_alarm"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_verdicts([path])
    assert f"{path}:2" in str(caught.value)


def _flagged_report() -> Report:
    def link(i: int, margin: float, target: str) -> ScoredLink:
        flag = Flag("low_margin", f"low_margin: {margin:.2f} < 1.45", margin, 1.45)
        return ScoredLink(Link((i,), (i,)), f"源{i}", target, margin=margin, flags=(flag,))

    links = (link(0, 0.67, "Heavy rain."), link(1, 1.35, "Good one."), link(2, 1.38, "Fine one."), link(3, 0.27, "Wrong."))
    return Report({"document": "corrupt.zh-en.txt"}, "zh", "en", links, {}, {}, "defaults", {})


def test_verdicts_from_a_returned_xliff(tmp_path: Path) -> None:
    path = tmp_path / "review.xlf"
    write_flagged_xliff(_flagged_report(), path)
    tree = etree.parse(str(path))
    segments = tree.getroot().findall(f".//{{{XLIFF2_NS}}}segment")
    # As a reviewer in a CAT tool: unit 0 marked a real problem, unit 1 approved unchanged (final),
    # unit 2 left as it was, unit 3 retranslated (target changed, subState untouched).
    segments[0].set("subState", "evalkit:real-problem")
    segments[1].set("state", "final")
    del segments[1].attrib["subState"]
    segments[3].find(f"{{{XLIFF2_NS}}}target").text = "Wrong? No: the two leaders."
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    verdicts = load_verdicts([path])
    assert [(v.src_ids, v.verdict) for v in verdicts] == [("0", "real_problem"), ("1", "false_alarm"), ("2", None), ("3", "fixed")]
    assert verdicts[0].flags == (Flag("low_margin", "low_margin: 0.67 < 1.45", 0.67, 1.45),)  # from ek:value/ek:threshold


def test_verdicts_from_a_returned_tmx(tmp_path: Path) -> None:
    path = tmp_path / "review.tmx"
    write_flagged_tmx(_flagged_report(), path)
    text = path.read_text(encoding="utf-8")
    text = text.replace('"x-evalkit-state">needs-review<', '"x-evalkit-state">real-problem<', 1)
    text = text.replace('"x-evalkit-state">needs-review<', '"x-evalkit-state">false-alarm<', 1)
    path.write_text(text, encoding="utf-8")
    verdicts = load_verdicts([path])
    assert [v.verdict for v in verdicts] == ["real_problem", "false_alarm", None, None]
    assert verdicts[1].flags == (Flag("low_margin", "low_margin: 1.35 < 1.45", 1.35, 1.45),)  # parsed from the note


def test_write_thresholds_into_pyproject_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    original = (
        '[project]\r\nname = "demo"\r\n\r\n[tool.evalkit.thresholds]  # tuned by hand\r\n'
        "margin = 1.05  # first guess\r\nlength_k = 3.0\r\n\r\n[tool.other]\r\nkeep = [1, 2]\r\n"
    )
    path.write_bytes(original.encode("utf-8"))
    write_thresholds(Thresholds(margin=0.87, similarity=0.2), path, keys=["margin", "similarity"])
    text = path.read_bytes().decode("utf-8")
    assert text == original.replace("margin = 1.05  # first guess", "margin = 0.87  # first guess").replace(
        "length_k = 3.0\r\n", "length_k = 3.0\r\nsimilarity = 0.2\r\n"
    )
    assert load_thresholds(start=tmp_path)[0].margin == 0.87 and tomllib.loads(text)["tool"]["other"]["keep"] == [1, 2]


def test_write_thresholds_creates_or_extends_evalkit_toml(tmp_path: Path) -> None:
    path = tmp_path / "evalkit.toml"
    write_thresholds(Thresholds(margin=0.9), path, keys=["margin"])
    assert path.read_text(encoding="utf-8") == "[thresholds]\nmargin = 0.9\n"
    path.write_text("# team settings\nmodel = \"usem3\"\n", encoding="utf-8")
    write_thresholds(Thresholds(chrf=18.5), path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data["model"] == "usem3" and data["thresholds"] == Thresholds(chrf=18.5).as_dict()
    path.write_text("thresholds = { margin = 1.0 }\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="inline"):
        write_thresholds(Thresholds(), path)
