"""evalkit's BLEU and chrF reproduce the official WMT22 automatic scores, zh-en and en-zh, every system.

Expected values: official WMT22 scores,
``../shared/data/wmt22-general-zh-en/scores/DERIVED.official-scores.zh-en_en-zh.tsv`` (pivoted from
wmt-conference/wmt22-news-systems ``scores/automatic-scores.tsv``), published to 2 decimals, and the same
scores at full precision in ``scores/automatic-scores.all-pairs.tsv`` (verbatim upstream copy).
Settings per the data README: BLEU tokenizer 13a for zh-en and zh for en-zh (what evalkit picks from the
target language), chrF defaults, references A, B, or both passed together as two streams.

"Both" is passed in the order (B, A). BLEU does not depend on the order of references, but multi-reference
chrF does: per segment it keeps the reference with the best F-score, and a tie goes to the first stream.
With streams (B, A) sacrebleu 2.6.0 gives the organisers' full-precision chrF-all exactly for all 25
systems; with (A, B) zh-en Online-W gives 55.63 (official 55.64) and en-zh Lan-Bridge 53.66 (official
53.65), found while writing this test.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from evalkit.metrics import MetricRefs, prepare

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
SCORES = DATA / "scores" / "DERIVED.official-scores.zh-en_en-zh.tsv"
REFS = {"A": ("A",), "B": ("B",), "all": ("B", "A")}  # see the module docstring for the order
FULL = DATA / "scores" / "automatic-scores.all-pairs.tsv"
METRICS = ("bleu", "chrf")


def _read_lines(path: Path) -> list[str]:
    # One segment per "\n"; str.splitlines() would also split on U+2028 and friends inside a segment.
    with path.open(encoding="utf-8", newline="\n") as f:
        return [line[:-1] if line.endswith("\n") else line for line in f]


def _official_rows() -> list[dict[str, str]]:
    with SCORES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _cases() -> list[object]:
    if not SCORES.exists():
        return [pytest.param(None, None, None, None, marks=pytest.mark.skip(reason=f"{DATA} absent (../shared/data)"))]
    return [
        pytest.param(row["pair"], row["system"], metric, ref, id=f"{row['pair']}-{row['system']}-{metric}-{ref}")
        for row in _official_rows()
        for metric in METRICS
        for ref in REFS
    ]


@cache
def _prepared(pair: str, metric: str, ref: str) -> MetricRefs:
    tgt = pair.split("-")[1]
    streams = [_read_lines(DATA / "references" / f"generaltest2022.{pair}.ref.{r}.{tgt}") for r in REFS[ref]]
    return prepare(metric, streams, tgt_lang=tgt)


@cache
def _official(pair: str, system: str, column: str) -> float:
    # Official WMT22 score, DERIVED.official-scores.zh-en_en-zh.tsv, read at test time.
    (row,) = [r for r in _official_rows() if r["pair"] == pair and r["system"] == system]
    return float(row[column])


@cache
def _official_full(pair: str, system: str, column: str) -> float:
    # Official WMT22 score at full precision, upstream scores/automatic-scores.tsv (all-pairs copy).
    with FULL.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["pair"] == pair and r["system"] == system]
    (row,) = [r for r in rows if r["metric"] == column]
    return float(row["score"])


@pytest.mark.parametrize(("pair", "system", "metric", "ref"), _cases())
def test_official_wmt22_score(pair: str, system: str, metric: str, ref: str) -> None:
    tgt = pair.split("-")[1]
    hyps = _read_lines(DATA / "system-outputs" / pair / f"generaltest2022.{pair}.hyp.{system}.{tgt}")
    prepared = _prepared(pair, metric, ref)
    score = prepared.score(hyps, n_bootstrap=0)
    assert round(score.score, 2) == _official(pair, system, f"{metric}-{ref}")
    assert score.score == pytest.approx(_official_full(pair, system, f"{metric}-{ref}"), abs=1e-9)
    tok = "zh" if tgt == "zh" else "13a"
    nrefs = len(REFS[ref])
    expected_sig = {
        "bleu": f"nrefs:{nrefs}|case:mixed|eff:no|tok:{tok}|smooth:exp|version:2.6.0",
        "chrf": f"nrefs:{nrefs}|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
    }[metric]  # sacrebleu 2.6.0 signature format (sacrebleu/metrics/bleu.py, chrf.py)
    assert score.signature == expected_sig
