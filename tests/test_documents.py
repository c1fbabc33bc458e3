"""Several bilingual documents in one report (`evalkit.documents`): each aligned alone, corpus scores over all.

The documents are the seed and its fault-injected copies (tests/data/flags, written by make_files.py: one
fault each). Every expected value comes from scoring each document on its own with `score_document`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from evalkit.calibrate import load_verdict_map, load_verdicts, propose
from evalkit.cli import main
from evalkit.config import Thresholds
from evalkit.documents import document_paths, merge_documents, score_documents
from evalkit.errors import InputError, UsageError
from evalkit.metrics.embedding import bootstrap_mean
from evalkit.pipeline import ScoreOptions, score_document
from evalkit.records import Report
from evalkit.report import write_report
from evalkit.report.csv import pairs_csv
from evalkit.report.html import render_html
from evalkit.report.summary import summary, summary_json

from conftest import ROOT, SEED

FLAGS = ROOT / "tests" / "data" / "flags"
DOCS = (SEED, *(FLAGS / f"{name}.txt" for name in ("dropped", "swapped", "number", "untranslated")))
ONE_LANGUAGE = ROOT / "tests" / "data" / "hostile" / "one.en.txt"  # English only: read_document refuses it


@pytest.fixture(scope="module")
def options(cache_dir: Path) -> ScoreOptions:
    return ScoreOptions(cache_dir=cache_dir, n_bootstrap=200)


@pytest.fixture(scope="module")
def singles(options: ScoreOptions) -> list[Report]:
    return [score_document(path, (), options) for path in DOCS]


@pytest.fixture(scope="module")
def merged(options: ScoreOptions) -> Report:
    return score_documents(DOCS, (), options)


def test_each_document_is_aligned_flagged_and_scored_on_its_own(singles: list[Report], merged: Report) -> None:
    # Every link of the joined report is its document's own link (ids, lines, scores, flags), in input order.
    assert list(merged.links) == [replace(link, document=str(path)) for path, r in zip(DOCS, singles) for link in r.links]
    # The faults stay in their documents (make_files.py: one fault per file).
    by_doc = {Path(link.document or "").stem: link for link in merged.links if link.flagged and link.link.src != (0,)}
    assert {doc: {f.code for f in link.flags} for doc, link in by_doc.items()} == {
        "dropped": {"unpaired"}, "swapped": {"moved"}, "number": {"number_mismatch"},
        "untranslated": {"untranslated", "low_qe"},  # the copied source also has a length-adjusted qe of -10.0
    }  # fmt: skip


def test_corpus_scores_pool_every_documents_links(singles: list[Report], merged: Report, options: ScoreOptions) -> None:
    for name in ("similarity", "margin"):
        pooled = np.array([getattr(link, name) for r in singles for link in r.links if getattr(link, name) is not None])
        mean, ci = bootstrap_mean(pooled, n_samples=options.n_bootstrap, seed=options.seed)
        assert (merged.scores[name].score, merged.scores[name].ci95) == (mean, ci)
        assert merged.scores[name].signature == singles[0].scores[name].signature
    # Merging one document reproduces the pipeline's own corpus scores: the shared code is the local run's.
    alone = merge_documents([SEED], [singles[0]], options)
    assert alone.scores == singles[0].scores and alone.scores["margin"].ci95 is not None


def test_summary_counts_per_document_and_pairs_csv_names_them(singles: list[Report], merged: Report, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "evalkit" / "schemas" / "summary.schema.json").read_text(encoding="utf-8"))
    paths = write_report(merged, tmp_path)
    info = json.loads(paths["summary.json"].read_text(encoding="utf-8"))
    jsonschema.validate(info, schema)
    assert [d["document"] for d in info["documents"]] == [str(p) for p in DOCS] == list(info["inputs"].values())
    for entry, single in zip(info["documents"], singles):
        own = summary(single)
        assert (entry["counts"], entry["reasons"], entry["scores"]) == (own["counts"], own["reasons"], own["scores"])
        assert entry["length_model"] == own["length_model"] and entry["encoding"] == own["inputs"]["encoding"]
    for key in info["counts"]:
        assert info["counts"][key] == sum(d["counts"][key] for d in info["documents"]), key
    rows = list(csv.DictReader(io.StringIO(paths["pairs.csv"].read_text(encoding="utf-8"))))
    assert next(iter(rows[0])) == "document"
    assert [r["document"] for r in rows] == [str(p) for p, s in zip(DOCS, singles) for _ in s.links]
    # Without the document column, the rows are each document's own pairs.csv rows.
    own_rows = [row for s in singles for row in csv.DictReader(io.StringIO(pairs_csv(s)))]
    assert [{k: v for k, v in r.items() if k != "document"} for r in rows] == own_rows


def test_one_document_gives_the_single_document_report(singles: list[Report], options: ScoreOptions) -> None:
    one = score_documents([SEED], (), options)
    assert summary_json(one) == summary_json(singles[0]) and pairs_csv(one) == pairs_csv(singles[0])
    assert "documents" not in summary(one) and "document" not in pairs_csv(one).split("\n", 1)[0]


def test_html_rows_name_their_document_and_stay_distinct(merged: Report) -> None:
    page = render_html(merged)
    ids = re.findall(r'<tr id="link-\d+" data-id="([^"]*)"', page)
    assert len(ids) == len(set(ids)) == len(merged.links)  # ids restart per document: the row id names it
    assert '<table id="documents">' in page and page.count('<span class="lines doc s">') == len(merged.links)
    data = json.loads(re.search(r'id="evalkit-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert {row["document"] for row in data["rows"].values()} == {str(p) for p in DOCS}  # every document has a flag


def test_folder_gives_its_files_sorted_by_name(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", ".hidden.txt", "sub/c.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert document_paths([SEED, tmp_path]) == (SEED, tmp_path / "a.txt", tmp_path / "b.txt")
    (tmp_path / "hidden-only").mkdir()
    (tmp_path / "hidden-only" / ".DS_Store").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="the folder holds no document") as err:
        document_paths([SEED, tmp_path / "hidden-only"])
    assert err.value.path == str(tmp_path / "hidden-only")


def test_other_direction_is_an_error_naming_the_file(tmp_path: Path, options: ScoreOptions) -> None:
    lines = [line for line in SEED.read_text(encoding="utf-8").split("\n") if line.strip()]
    en_first = tmp_path / "en-zh.txt"  # the seed's English bullets, then its Chinese ones: source en
    en_first.write_text("\n".join(lines[16:] + lines[1:16]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        score_documents([SEED, en_first], (), options)
    assert err.value.path == str(en_first) and "en→zh" in err.value.what and "zh→en" in err.value.what


def _cli(args: list[str], cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["score", "--cache-dir", str(cache_dir), "--bootstrap", "0", *args])
    return code, capsys.readouterr().err


def test_a_bad_document_stops_the_run_with_one_line(cache_dir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, err = _cli([str(SEED), str(ONE_LANGUAGE), str(DOCS[1]), "-o", str(tmp_path / "r")], cache_dir, capsys)
    assert code == 2 and err.count("\n") == 1 and err.startswith(f"evalkit: error: {ONE_LANGUAGE}: the document has only en")
    assert not (tmp_path / "r" / "pairs.csv").exists()
    code, err = _cli([str(SEED), str(DOCS[1]), "-o", str(tmp_path / "ok"), "-q"], cache_dir, capsys)
    assert code == 0 and err == "" and (tmp_path / "ok" / "pairs.csv").read_text(encoding="utf-8").startswith("document,")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--ref", str(ROOT / "references" / "xi-putin-defense-ties.ref.en.txt")], "--ref with 2 documents"),
        (["--xliff", "flagged.xlf"], "--verdicts, --xliff and --tmx take one document, got 2"),
        ([str(DOCS[0])], "the document is given twice"),
        ([str(ROOT / "tests" / "data" / "formats" / "seed.zh-en.tmx")], "TMX/XLIFF files are scored one at a time"),
    ],
)
def test_refused_with_several_documents(extra: list[str], message: str, cache_dir: Path,
                                        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # fmt: skip
    code, err = _cli([str(SEED), str(DOCS[1]), *extra, "-o", str(tmp_path / "r")], cache_dir, capsys)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_verdicts_of_two_documents_stay_apart(tmp_path: Path) -> None:
    # The same ids in two documents of one report are two links: neither verdict replaces the other.
    lines = [{"document": doc, "src_ids": [3], "tgt_ids": [2], "verdict": "real_problem", "report": "k",
              "flags": [{"code": "low_margin", "detail": "low_margin: 0.90 < 1.15", "value": 0.9, "threshold": 1.15}]}
             for doc in ("a.txt", "b.txt")]  # fmt: skip
    path = tmp_path / "verdicts.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert [v.document for v in load_verdicts([path])] == ["a.txt", "b.txt"]
    assert propose(load_verdicts([path]), Thresholds()).counts == {"real_problem": 2, "duplicates": 0}
    with pytest.raises(UsageError, match="from a report over several documents"):
        load_verdict_map([path])  # their ids would mark the wrong links of a one-document report
