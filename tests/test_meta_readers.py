"""Readers of human judgements for `evalkit meta`, and the MQM score as published."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evalkit.errors import InputError, UsageError
from evalkit.meta.human import mqm_weight, read_mqm_tsv, strip_spans
from evalkit.meta.readers import read_human, read_segment_scores

HERE = Path(__file__).parent / "data" / "meta"
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SXS = DATA / "wmt23-general-mqm-sxs"
NT21 = DATA / "wmt21-newstest-zh-en-mqm"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent (a user's clone): real-data test")


@pytest.mark.parametrize(("severity", "category", "weight"), [
    # The default weights of mt-metrics-eval converters/score_mqm.py: "Major:5 Minor:1 Neutral:0
    # Major/Non-translation!:25 Minor/Fluency/Punctuation:0.1", most specific match wins, anything else 0.
    ("Major", "Accuracy/Mistranslation", 5.0),
    ("Minor", "Accuracy/Mistranslation", 1.0),
    ("Minor", "Fluency/Punctuation", 0.1),
    ("Major", "Fluency/Punctuation", 5.0),
    ("Major", "Non-translation!", 25.0),
    ("Minor", "Non-translation!", 1.0),
    ("Neutral", "Other", 0.0),
    ("No-error", "No-error", 0.0),
    ("HOTW-test", "Found", 0.0),
])
def test_mqm_weight(severity: str, category: str, weight: float) -> None:
    assert mqm_weight(severity, category) == weight


def test_classic_mqm_hand_computed() -> None:
    data = read_mqm_tsv(HERE / "classic_mqm.tsv")
    assert data.systems == ("sysA", "sysB", "sysC") and data.items == ("1", "2", "3") and data.kind == "mqm"
    # Per rater sum, mean over raters, negated (see the rows of classic_mqm.tsv):
    # sysA 1: r1 Major 5 + Minor/Punctuation 0.1, r2 No-error 0 -> -(5.1 + 0) / 2; sysA 3: r1 Non-translation 25,
    # r2 Major 5 -> -15; sysB 2: r1 Neutral 0, r2 Minor 1 -> -0.5; sysC 3: Minor 1 and No-error -> -0.5.
    expected = [[-2.55, -0.55, -15.0], [0.0, -0.5, -1.0], [-5.0, 0.0, -0.5]]
    np.testing.assert_allclose(data.human, expected, atol=1e-12)
    assert data.targets[0][0] == "The dog sleeps in the kitchen."  # <v> marks stripped
    assert strip_spans("a <v>b</v> c") == "a b c"


def test_segment_scores_tabs_spaces_none_and_missing_outputs() -> None:
    data = read_segment_scores(HERE / "seg_scores.tsv", HERE / "sources.de", HERE / "outputs", [HERE / "ref.en"])
    assert data.systems == ("sysA", "sysB", "sysC", "sysD")
    assert np.isnan(data.human[0, 2]) and data.human[2, 0] == -5.0 and data.rated == 9  # 10 rows, one None
    assert data.targets[3] == ("", "", "") and "sysD (1 rated)" in data.warnings[0]
    assert data.refs[1] == ("It is going to rain in Berlin tomorrow.",)


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("system score seg_id\nsysA\tgood 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.tsv:2: score 'good'"):
        read_segment_scores(bad)
    with pytest.raises(UsageError, match="holds scores only"):
        read_human(bad)
    other = tmp_path / "x.tsv"
    other.write_text("a\tb\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a known human-score format"):
        read_human(other)


@needs_data
def test_wmt23_sxs_hand_computed() -> None:
    data = read_mqm_tsv(SXS / "sxs_mqm_generalMT2023_zhen.3ratingsPerSegment.tsv.tar.gz")
    assert data.human.shape == (10, 377) and data.rated == 3770 and data.lp == "zh-en" and data.kind == "mqm-sxs"
    # GPT4-5shot, globalSegId 1 (rows 2-13 of the file): rater2 Major 5 + Minor 1 + Minor/Punctuation 0.1 + 2 Minor
    # = 8.1; rater7 3 Major + 1 Minor = 16; rater4 Major 5 + 2 Minor = 7 -> -(8.1 + 16 + 7) / 3. The file's own
    # metadata ("metrics": {"MQM": 10.366666666666667}) gives the same value.
    assert data.human[data.systems.index("GPT4-5shot"), 0] == pytest.approx(-31.1 / 3, abs=1e-12)
    # ONLINE-W, globalSegId 2: rater2 Minor 1, rater7 No-error 0, rater4 2 Minor -> -(1 + 0 + 2) / 3
    assert data.human[data.systems.index("ONLINE-W"), 1] == pytest.approx(-1.0, abs=1e-12)
    assert not any("<v>" in t for row in data.targets for t in row) and all(data.sources)


@needs_data
def test_newstest2021_scores_equal_the_published_file() -> None:
    scores = NT21 / "mqm" / "mqm_newstest2021_zhen.avg_seg_scores.tsv"
    data = read_segment_scores(scores, NT21 / "sources" / "newstest2021.zh-en.src.zh", NT21 / "system-outputs" / "zh-en")
    published: dict[tuple[str, int], float] = {}
    for line in scores.read_text(encoding="utf-8").splitlines()[1:]:
        system, score, seg = line.split()
        published[(system, int(seg))] = float("nan") if score == "None" else float(score)
    assert len(published) == data.human.size
    for (system, seg), value in published.items():
        ours = data.human[data.systems.index(system), seg - 1]
        assert (np.isnan(ours) and np.isnan(value)) or ours == value
    # ../shared/data/README.md: of the 8 systems with outputs, 2,738 rated segments carry a major error, 1,491 none.
    with_text = [k for k, row in enumerate(data.targets) if any(row)]
    assert len(with_text) == 8
    h = data.human[with_text]
    assert int((h <= -5).sum()) == 2738 and int((h == 0).sum()) == 1491


def test_mt_metrics_eval_layout(tmp_path: Path) -> None:
    # <testset>/human-scores/<lp>.<name>.seg.score: system<TAB>score, one line per segment; None unrated.
    root = tmp_path / "wmt99"
    (root / "human-scores").mkdir(parents=True)
    (root / "sources").mkdir()
    (root / "system-outputs" / "de-en").mkdir(parents=True)
    (root / "human-scores" / "de-en.mqm.seg.score").write_text("A\t-1\nA\tNone\nB\t0\nB\t-5\n", encoding="utf-8")
    (root / "sources" / "de-en.txt").write_text("eins\nzwei\n", encoding="utf-8")
    (root / "system-outputs" / "de-en" / "A.txt").write_text("one\ntwo\n", encoding="utf-8")
    (root / "system-outputs" / "de-en" / "B.txt").write_text("one\nto\n", encoding="utf-8")
    data = read_human(root / "human-scores" / "de-en.mqm.seg.score")
    assert data.kind == "mt-metrics-eval" and data.lp == "de-en" and data.systems == ("A", "B")
    assert np.isnan(data.human[0, 1]) and data.human[1].tolist() == [0.0, -5.0]
    assert data.sources == ("eins", "zwei") and data.targets[1] == ("one", "to")


def test_verdicts_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "verdicts.jsonl"
    rows = ['{"src_ids": "0", "tgt_ids": "0", "verdict": "real_problem", "source": "a", "target": "b", "report": "r1"}',
            '{"src_ids": "1", "tgt_ids": "1", "verdict": "false_alarm", "source": "c", "target": "d", "report": "r1"}',
            '{"src_ids": "2", "tgt_ids": "2", "verdict": null, "source": "e", "target": "f", "report": "r1"}']
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = read_human(path)
    # real problem -1, false alarm 0, not judged: unrated
    assert data.kind == "verdicts" and data.systems == ("r1",) and data.human[0, 0] == -1 and data.human[0, 1] == 0
    assert np.isnan(data.human[0, 2]) and data.targets[0] == ("b", "d", "f")
