"""The Ray engine against the local run: same summary.json, same pairs.csv rows, a failed shard retried.

A local Ray cluster (2 CPUs) is started once for the module. The data is WMT22 zh-en (Online-W against
reference A, lines 1401-1550: 150 pairs, one with an empty output at line 1479); the local run's
own results are the expected values, so nothing here is hard-coded but the sizes of the slices.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")
pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (it comes with evalkit[ray])")

from ray_fixtures import cluster_fixtures, slice_lines  # noqa: E402

from evalkit.engine import RaySettings, score_parallel_ray  # noqa: E402
from evalkit.engine.ray_index import index_inputs  # noqa: E402
from evalkit.engine.ray_io import read_rows  # noqa: E402
from evalkit.engine.ray_stages import merge_shifts, poisson_weights  # noqa: E402
from evalkit.engine.ray_workers import _shard_payload, payloads  # noqa: E402
from evalkit.errors import InputError  # noqa: E402
from evalkit.io.parallel import read_parallel  # noqa: E402
from evalkit.pipeline import ScoreOptions, score_parallel  # noqa: E402
from evalkit.report import write_report  # noqa: E402

WMT = "wmt22-general-zh-en"
FIRST, LAST = 1400, 1550  # 0-based slice of the test set: 150 pairs, Online-W's empty line 1479 inside
FAILING_ROW = 75  # a shard start only with shard_rows=75 (the retry test), never with 50 (the others)


def _slice(path: Path, out: Path, first: int = FIRST, last: int = LAST) -> Path:
    return slice_lines(path, out, first, last)


# A local Ray cluster for this module; the shards starting at FAILING_ROW fail on their first attempt.
markers, cluster = cluster_fixtures(("embed", "check"), FAILING_ROW)


@pytest.fixture(scope="module")
def wmt(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder, base = tmp_path_factory.mktemp("wmt22"), shared_data / WMT
    return {
        "src": _slice(base / "sources" / "generaltest2022.zh-en.src.zh", folder / "src.zh"),
        "hyp": _slice(base / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-W.en", folder / "hyp.en"),
        "ref": _slice(base / "references" / "generaltest2022.zh-en.ref.A.en", folder / "refA.en"),
        "refB": _slice(base / "references" / "generaltest2022.zh-en.ref.B.en", folder / "refB.en"),
    }


@pytest.fixture(scope="module")
def options(cache_dir: Path) -> ScoreOptions:
    # The embedding cache is shared by both runs, as by the workers of a cluster (docs/ray.md).
    return ScoreOptions(cache_dir=cache_dir, n_bootstrap=200)


@pytest.fixture(scope="module")
def local(wmt: dict[str, Path], options: ScoreOptions, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    report = score_parallel(wmt["src"], wmt["hyp"], [wmt["ref"]], options)
    out = tmp_path_factory.mktemp("local")
    write_report(report, out)
    return report, out


def _joined_csv(folder: Path) -> str:
    """The shards of pairs.csv/ as one file: the first header, then every shard's rows in order."""
    parts = sorted(folder.glob("part-*.csv"))
    return parts[0].read_text(encoding="utf-8") + "".join(p.read_text(encoding="utf-8").split("\n", 1)[1] for p in parts[1:])


def test_same_summary_and_pairs_as_the_local_run(cluster, wmt, options, local, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report, local_out = local
    settings = RaySettings(shard_rows=50, overlap=20)
    run = score_parallel_ray(wmt["src"], wmt["hyp"], [wmt["ref"]], options, tmp_path, settings=settings)
    out = Path(tmp_path)
    assert run.engine["shards"] == 3 and run.engine["bootstrap"] == "exact" and run.engine["neighbours"] == "all"
    # Corpus BLEU/chrF/chrF++/TER, similarity, margin and the registered segment metric qe with their intervals,
    # at full precision.
    assert set(run.report.scores) == set(report.scores) == {"bleu", "chrf", "chrf++", "ter", "similarity", "margin", "qe"}
    for name, score in report.scores.items():
        got = run.report.scores[name]
        assert (got.score, got.ci95, got.signature) == (score.score, score.ci95, score.signature), name
    assert (out / "summary.json").read_bytes() == (local_out / "summary.json").read_bytes()
    assert _joined_csv(out / "pairs.csv") == (local_out / "pairs.csv").read_text(encoding="utf-8")
    table = pq.read_table(out / "pairs.parquet")  # every shard, as one table
    assert table.num_rows == len(report.links) == LAST - FIRST
    assert sorted(table.column("src_ids").to_pylist(), key=int) == [str(i) for i in range(LAST - FIRST)]
    empty = [link for link in report.links if not link.target]  # WMT22 README: Online-W line 1479 is empty
    assert [link.tgt_lines for link in empty] == [(1479 - FIRST,)]
    assert json.loads((out / "summary.json").read_text())["reasons"]["empty"] == 1


def test_a_failed_shard_is_retried_and_the_result_is_still_exact(cluster, wmt, options, local, markers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, local_out = local
    settings = RaySettings(shard_rows=75, overlap=20)
    run = score_parallel_ray(wmt["src"], wmt["hyp"], [wmt["ref"]], options, tmp_path, settings=settings)
    assert all(marker.exists() for marker in markers.values()), "the injected failures did not happen"
    assert run.engine["shards"] == 2
    assert (Path(tmp_path) / "summary.json").read_bytes() == (local_out / "summary.json").read_bytes()
    assert _joined_csv(Path(tmp_path) / "pairs.csv") == (local_out / "pairs.csv").read_text(encoding="utf-8")


def test_jsonl_with_ids_and_two_references(cluster, wmt, options, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = read_parallel(wmt["src"], wmt["hyp"], [wmt["ref"], wmt["refB"]])
    rows = [{"id": f"doc{i // 10}-{i}", "src": s.text, "tgt": t.text, "ref": [a.text, b.text]}
            for i, (s, t, a, b) in enumerate(zip(data.src, data.tgt, *data.refs))][:60]  # fmt: skip
    table = tmp_path / "pairs.jsonl"  # a blank line between records: JSONL line numbers are not row numbers
    table.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" + ("\n" if i == 7 else "") for i, r in enumerate(rows)))
    report = score_parallel(table, None, (), options)
    write_report(report, tmp_path / "local")
    score_parallel_ray(table, None, (), options, tmp_path / "ray", settings=RaySettings(shard_rows=50, overlap=20))
    assert (tmp_path / "ray" / "summary.json").read_bytes() == (tmp_path / "local" / "summary.json").read_bytes()
    assert _joined_csv(tmp_path / "ray" / "pairs.csv") == (tmp_path / "local" / "pairs.csv").read_text(encoding="utf-8")


def test_line_count_mismatch_is_the_local_error(cluster, wmt, options, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    short = _slice(wmt["hyp"], tmp_path / "short.en", 0, 140)
    with pytest.raises(InputError) as local_error:
        read_parallel(wmt["src"], short, [wmt["ref"]])
    with pytest.raises(InputError) as ray_error:
        score_parallel_ray(wmt["src"], short, [wmt["ref"]], options, tmp_path / "out")
    assert str(ray_error.value) == str(local_error.value)


def test_empty_files_give_the_local_summary(cluster, options, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [tmp_path / name for name in ("src.zh", "hyp.en", "ref.en")]
    for path in files:
        path.write_text("")
    write_report(score_parallel(files[0], files[1], [files[2]], options), tmp_path / "local")
    run = score_parallel_ray(files[0], files[1], [files[2]], options, tmp_path / "ray")
    assert run.engine["shards"] == 0
    assert (tmp_path / "ray" / "summary.json").read_bytes() == (tmp_path / "local" / "summary.json").read_bytes()


@pytest.mark.parametrize("lo, hi", [(0, 150), (13, 61), (-7, 40), (130, 170)])
def test_shard_reads_match_the_local_reader(wmt: dict[str, Path], lo: int, hi: int) -> None:
    names = [str(wmt["src"]), str(wmt["hyp"]), str(wmt["ref"])]
    inputs = index_inputs("lines", names, 50, 7)
    local_data = read_parallel(*map(Path, names[:2]), [Path(names[2])])
    rows, a, b = read_rows(inputs, lo, hi), max(lo, 0), min(hi, 150)
    assert rows.src == [s.text for s in local_data.src[a:b]] and rows.tgt == [s.text for s in local_data.tgt[a:b]]
    assert rows.refs == [[s.text for s in local_data.refs[0][a:b]]]
    assert rows.tgt_lines == [s.line for s in local_data.tgt[a:b]]


@pytest.mark.parametrize(
    "pieces, expected",
    [
        # a stretch cut by two shard edges joins again (start, end, offset, gain, first line, last line)
        ([(95, 100, 1, 2.0, 96, 100), (100, 200, 1, 1.0, 101, 200), (200, 300, 1, 1.0, 201, 300)], [(95, 300, 1, 96, 300)]),
        ([(10, 14, 1, 1.0, 11, 14), (14, 20, -1, 1.0, 15, 20)], [(10, 14, 1, 11, 14), (14, 20, -1, 15, 20)]),  # offsets differ
        ([(10, 12, 1, 1.0, 11, 12), (12, 14, 1, 1.0, 13, 14)], [(10, 14, 1, 11, 14)]),  # two short pieces, one stretch
    ],
)
def test_merge_shifts(pieces: list, expected: list) -> None:
    # min_lines is check_line_pairing's default, read from its signature (3 or 5 as the aligner settles).
    from inspect import signature

    from evalkit.align.shift import check_line_pairing

    min_lines = signature(check_line_pairing).parameters["min_lines"].default
    got = [(s.start, s.end, s.offset, s.first_line, s.last_line) for s in merge_shifts(pieces, "hyp.en")]
    assert got == [e for e in expected if e[1] - e[0] >= min_lines]


def test_poisson_weights_do_not_depend_on_the_shards() -> None:
    whole = poisson_weights(np.arange(0, 10_000), 50, seed=7)
    cut = np.hstack([poisson_weights(np.arange(a, b), 50, seed=7) for a, b in ((0, 4_000), (4_000, 4_100), (4_100, 10_000))])
    assert np.array_equal(whole, cut)
    assert abs(whole.mean() - 1.0) < 0.01  # Poisson(1): mean 1


def test_a_shards_evalkit_error_reaches_the_driver_with_every_field() -> None:
    # Ray Data passes a stage's exceptions on as text only: a shard's evalkit error comes back as a pickled
    # value, and the first shard's (in row order) is raised on the driver as it was raised on the worker.
    errors = {lo: InputError("pairs.parquet", f"row {lo + 3}: bad", "fix it", line=lo + 3, byte_offset=lo) for lo in (50, 100)}

    def work(lo: int):  # type: ignore[no-untyped-def]
        if lo in errors:
            raise errors[lo]
        return SimpleNamespace(lo=lo)

    rows = [{"payload": _shard_payload(lo, lambda lo=lo: work(lo))} for lo in (100, 0, 50)]
    with pytest.raises(InputError) as raised:
        payloads(SimpleNamespace(take_all=lambda: rows))
    assert type(raised.value) is InputError and vars(raised.value) == vars(errors[50])
    assert str(raised.value) == str(errors[50]) == "pairs.parquet:53 (byte 50): row 53: bad (fix it)"  # errors.py format
