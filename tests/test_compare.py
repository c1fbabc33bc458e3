"""evalkit compare: system naming, clusters, paired tests equal to sacrebleu's, the leaderboard files and CLI.

Expected p-values come from sacrebleu 2.6.0 itself at test time (``significance.PairedTest``, what
``sacrebleu --paired-bs/--paired-ar`` runs) on WMT22 zh-en from ``../shared/data``; the official scores
from ``scores/DERIVED.official-scores.zh-en_en-zh.tsv`` (columns bleu-all, chrf-all: references B then A,
see tests/test_wmt22_official.py for why that order).
"""

from __future__ import annotations

import csv
import html
import json
import re
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.significance import PairedTest

from evalkit.cli import cli, main
from evalkit.cli_compare import check, compare as compare_command
from evalkit.compare import CompareOptions, Leaderboard, assign_clusters, compare, paired_means, parse_systems, system_name
from evalkit.errors import InputError, UsageError

WMT22 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
DATA = Path(__file__).resolve().parent / "data" / "compare"
OFFICIAL = WMT22 / "scores" / "DERIVED.official-scores.zh-en_en-zh.tsv"
# Close on the first 500 segments (chrF within 1.2 points), so the p-values are not all at their floor.
CLOSE = ("Online-G", "AISP-SJTU", "HuaweiTSC")

for command in (compare_command, check):  # until evalkit.cli registers them itself
    if command.name not in cli.commands:
        cli.add_command(command)


@pytest.fixture(autouse=True)
def _sacrebleu_default_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SACREBLEU_SEED", raising=False)  # sacrebleu's default seed is then 12345, as evalkit's


def _hyp(system: str) -> Path:
    return WMT22 / "system-outputs" / "zh-en" / f"generaltest2022.zh-en.hyp.{system}.en"


def _head(path: Path, n: int, out: Path) -> Path:
    with path.open(encoding="utf-8", newline="\n") as f:
        out.write_text("".join(line for _, line in zip(range(n), f)), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def wmt_head(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The first 500 lines of the WMT22 zh-en source, references and the CLOSE systems, Online-B and Online-W."""
    if not WMT22.is_dir():
        pytest.skip("../shared/data is absent (WMT22 data only beside the project's CI checkout)")
    folder = tmp_path_factory.mktemp("wmt500")
    files = {"src": _head(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", 500, folder / "src.zh")}
    for r in "AB":
        files[r] = _head(WMT22 / "references" / f"generaltest2022.zh-en.ref.{r}.en", 500, folder / f"ref.{r}.en")
    for s in (*CLOSE, "Online-B", "Online-W"):
        files[s] = _head(_hyp(s), 500, folder / _hyp(s).name)
    return files


# --- naming and parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("generaltest2022.zh-en.hyp.Online-W.en", "Online-W"),  # WMT22 layout
        ("generaltest2022.zh-en.hyp.JDExploreAcademy.en", "JDExploreAcademy"),
        ("newstest2021.zh-en.hyp.Team.v2.en", "Team.v2"),  # dots inside a name stay
        ("hyp.alpha.en", "alpha"),
        ("output.txt", "output.txt"),  # anything else keeps its file name
        ("mydhyp.sys.en", "mydhyp.sys.en"),  # 'hyp.' inside a word is not WMT's marker
    ],
)
def test_system_name(file: str, name: str) -> None:
    assert system_name(Path(file)) == name


def test_parse_systems_files_names_and_folders(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_text("x\n", encoding="utf-8")
    (tmp_path / "generaltest2022.zh-en.hyp.A.en").write_text("a\n", encoding="utf-8")
    (tmp_path / "generaltest2022.zh-en.hyp.B.en").write_text("b\n", encoding="utf-8")
    got = parse_systems([str(tmp_path), f"mine={DATA / 'systems' / 'hyp.alpha.en'}"])
    assert [name for name, _ in got] == ["A", "B", "mine"]  # hidden files skipped, folder sorted


@pytest.mark.parametrize(
    ("specs", "error", "words"),
    [
        (["systems/hyp.alpha.en", "x=systems/hyp.alpha.en"], None, None),
        (["systems/hyp.alpha.en", "systems/hyp.alpha.en"], UsageError, "two systems are named 'alpha'"),
        (["systems/hyp.alpha.en"], UsageError, "at least two systems"),
        (["systems/hyp.alpha.en", "missing.en"], InputError, "no such file"),
        (["systems/hyp.alpha.en", "=systems/hyp.beta.en"], UsageError, "empty name"),
    ],
)
def test_parse_systems_errors(specs: list[str], error: type[Exception] | None, words: str | None,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    if error is None:
        assert [n for n, _ in parse_systems(specs)] == ["alpha", "x"]
        return
    with pytest.raises(error, match=re.escape(words or "")):
        parse_systems(specs)


# --- clusters and paired means ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("significant", "expected"),
    [
        (set(), [1, 1, 1, 1]),  # nothing significant: one cluster
        ({("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")}, [1, 2, 3, 4]),  # all separated
        # b ties a; c is beaten by a but not by b, so it joins; d is beaten by a, b and c: new cluster.
        ({("a", "c"), ("a", "d"), ("b", "d"), ("c", "d")}, [1, 1, 1, 2]),
        # c is beaten by both a and b: new cluster; d ties c (though a and b beat it): it joins c's cluster.
        ({("a", "c"), ("b", "c"), ("a", "d"), ("b", "d")}, [1, 1, 2, 2]),
    ],
)
def test_assign_clusters_follows_the_documented_rule(significant: set[tuple[str, str]], expected: list[int]) -> None:
    got = assign_clusters(["a", "b", "c", "d"], lambda x, y: (x, y) in significant)
    assert [got[n] for n in "abcd"] == expected


def test_paired_means_ar_equals_the_naive_swap_and_bs_behaves() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(0.70, 0.1, 400)
    b = a + rng.normal(0.004, 0.05, 400)
    b[3] = np.nan  # an empty output: that segment is left out of the test
    (ar,) = paired_means("similarity", ("a", a, 0.7), {"b": (b, 0.704)}, method="ar", n_samples=3000, seed=5)
    # The definition, written out: swap each segment's pair with probability 1/2 (same draws), count
    # |mean(A) - mean(B)| above the observed difference, p = (c + 1) / (n + 1).
    keep = np.isfinite(b)
    x, y = a[keep], b[keep]
    sel = np.random.default_rng(5).integers(2, size=(3000, len(x)), dtype=bool)
    diffs = np.abs(np.where(sel, x, y).mean(axis=1) - np.where(sel, y, x).mean(axis=1))
    assert ar.p_value == (np.sum(diffs > abs(x.mean() - y.mean())) + 1) / 3001
    (far,) = paired_means("similarity", ("a", a, 0.7), {"b": (a + 0.05, 0.75)}, method="bs", seed=1)
    (same,) = paired_means("similarity", ("a", a, 0.7), {"b": (a[::-1].copy(), 0.7)}, method="bs", seed=1)
    assert far.p_value == 1 / 1001  # a shift on every segment: no resample comes close
    assert same.p_value > 0.3  # equal means: about the share of centred |differences| above 0 (~0.4)


# --- against sacrebleu --------------------------------------------------------------------------------------


@cache
def _board(method: str, n: int, files: tuple[tuple[str, Path], ...]) -> Leaderboard:
    f = dict(files)
    systems = [(s, f[s]) for s in CLOSE]
    options = CompareOptions(metrics=("bleu", "chrf"), embeddings=False, baseline="Online-G", method=method,  # type: ignore[arg-type]
                             n_samples=n, n_bootstrap=0)
    return compare(f["src"], [f["B"], f["A"]], systems, options)


@pytest.mark.parametrize(("method", "n"), [("bs", 1000), ("ar", 2000)])
def test_p_values_equal_sacrebleu(method: str, n: int, wmt_head: dict[str, Path]) -> None:
    board = _board(method, n, tuple(sorted(wmt_head.items())))
    refs = [wmt_head[r].read_text(encoding="utf-8").splitlines() for r in "BA"]
    systems = [(s, wmt_head[s].read_text(encoding="utf-8").splitlines()) for s in CLOSE]
    metrics = {"bleu": BLEU(references=refs), "chrf": CHRF(references=refs)}
    _, theirs = PairedTest(systems, metrics, None, test_type=method, n_samples=n)()
    p_values = []
    for metric, label in (("bleu", "BLEU"), ("chrf", "chrF2")):  # sacrebleu keys results by its metric names
        baseline, *others = theirs[label]
        assert board.system("Online-G").scores[metric].score == baseline.score
        for name, result in zip(CLOSE[1:], others):
            test = board.test(metric, "Online-G", name)
            assert test is not None and test.p_value == result.p_value
            assert board.system(name).scores[metric].score == result.score
            p_values.append(test.p_value)
    assert max(p_values) > 0.05  # not every p-value at its floor: the comparison means something


def test_clusters_hold_the_rule_on_real_systems(wmt_head: dict[str, Path]) -> None:
    board = _board("bs", 1000, tuple(sorted(wmt_head.items())))
    order = [s.name for s in board.systems]
    scores = [s.scores["chrf"].score for s in board.systems]
    assert scores == sorted(scores, reverse=True) and [s.rank for s in board.systems] == [1, 2, 3]
    for i, s in enumerate(board.systems[1:], start=1):
        above = [t for t in board.systems[:i] if t.cluster == board.systems[i - 1].cluster]
        beaten = all(board.test("chrf", t.name, s.name).p_value < 0.05 for t in above)  # type: ignore[union-attr]
        assert s.cluster == board.systems[i - 1].cluster + (1 if beaten else 0), order


# --- the command --------------------------------------------------------------------------------------------


def test_compare_cli_on_wmt(tmp_path: Path, wmt_head: dict[str, Path], cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 120 segments with embeddings: the pipeline's similarity, margin and flags for each system. (Online-B and
    # reference A are the texts tests/test_gate.py embeds too: the session's embedding cache serves both.)
    small = {k: _head(v, 120, tmp_path / v.name) for k, v in wmt_head.items()}
    out = tmp_path / "board"
    args = ["compare", "--src", str(small["src"]), "--ref", str(small["A"]), str(small["Online-G"]),
            f"B={small['Online-B']}", str(small["Online-W"]), "--baseline", "Online-G", "-o", str(out),
            "--cache-dir", str(cache_dir), "--bootstrap", "200", "--drill", "B,Online-W", "--json"]
    code = main(args)
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    printed = json.loads(stdout)
    assert printed == json.loads((out / "leaderboard.json").read_text(encoding="utf-8"))
    assert printed["baseline"] == "Online-G" and printed["main_metric"] == "chrf"
    names = [s["name"] for s in printed["systems"]]
    assert sorted(names) == ["B", "Online-G", "Online-W"]
    chrf = [s["scores"]["chrf"]["score"] for s in printed["systems"]]
    assert chrf == sorted(chrf, reverse=True)
    for s in printed["systems"]:
        assert set(s["scores"]) == {"bleu", "chrf", "chrf++", "similarity", "margin", "qe", "flag_rate"}
        assert s["scores"]["chrf"]["signature"].startswith("nrefs:1|bs:200|seed:12345|case:mixed|eff:yes|nc:6|nw:0")
        assert s["scores"]["flag_rate"]["score"] == pytest.approx(100 * s["counts"]["flagged"] / 120)
        lo, hi = s["scores"]["chrf"]["ci95"]
        assert lo <= s["scores"]["chrf"]["score"] <= hi
        assert (s["name"] == "Online-G") == (s["vs_baseline"] == {})
    assert printed["fingerprints"]["segments"] == 120 and len(printed["fingerprints"]["references"]) == 1
    rows = list(csv.DictReader((out / "leaderboard.csv").open(encoding="utf-8")))
    assert [r["system"] for r in rows] == names and rows[0]["rank"] == "1"
    page = (out / "leaderboard.html").read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in html.unescape(page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # nothing fetched from a network
    assert page.count('class="pair"') == 3  # Online-G vs each other, plus the --drill pair


def test_compare_table_and_escaping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A system name with markup is shown as text in the page; the terminal gets the table.
    out = tmp_path / "b"
    code = main(["compare", "--src", str(DATA / "src.zh"), "--ref", str(DATA / "ref.en"), "--no-embed",
                 f"<b>x</b>={DATA / 'systems' / 'hyp.alpha.en'}", str(DATA / "systems" / "hyp.beta.en"), "-o", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert re.search(r"^\s+1\s+1\s+<b>x</b>\s", stdout, re.M) and "Wrote " in stdout
    page = (out / "leaderboard.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ([str(DATA / "short.en")], "has 3 lines but the source"),
        (["--baseline", "gamma"], "--baseline 'gamma' is not among the systems"),
        (["--metrics", "meteor"], "unknown metric(s) meteor"),
        (["--main", "ter"], "main metric 'ter' is not computed here"),
        (["--drill", "alpha"], "--drill 'alpha' is not A,B"),
    ],
)
def test_compare_errors_are_one_line_exit_2(extra: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", "--src", str(DATA / "src.zh"), "--ref", str(DATA / "ref.en"), "--no-embed", str(DATA / "systems"),
            "-o", str(tmp_path / "b"), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1


def test_help_ends_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("compare", "check"):
        assert main([command, "--help"]) == 0
        description = capsys.readouterr().out.split("\nOptions:")[0].strip()
        last = description.split("\n\n")[-1].strip()  # the docstring's last paragraph, before the options
        assert last.startswith(("Example:", "Examples:")) and "\n    evalkit " in "\n" + last.split("\n", 1)[1]


@pytest.mark.slow
def test_full_wmt22_zh_en_reproduces_official_scores(tmp_path: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """All 12 systems, 1875 segments, references B and A, embeddings on: official BLEU/chrF to 2 decimals."""
    if not OFFICIAL.exists():
        pytest.skip("../shared/data is absent")
    start = time.perf_counter()
    refs = [WMT22 / "references" / f"generaltest2022.zh-en.ref.{r}.en" for r in "BA"]
    code = main(["compare", "--src", str(WMT22 / "sources" / "generaltest2022.zh-en.src.zh"), "--ref", str(refs[0]),
                 "--ref", str(refs[1]), str(WMT22 / "system-outputs" / "zh-en"), "-o", str(tmp_path / "b"),
                 "--cache-dir", str(cache_dir), "--json"])
    elapsed = time.perf_counter() - start
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    board = json.loads(stdout)
    official = {r["system"]: r for r in csv.DictReader(OFFICIAL.open(encoding="utf-8"), delimiter="\t") if r["pair"] == "zh-en"}
    assert {s["name"] for s in board["systems"]} == set(official) and len(official) == 12
    for s in board["systems"]:
        assert round(s["scores"]["bleu"]["score"], 2) == float(official[s["name"]]["bleu-all"])
        assert round(s["scores"]["chrf"]["score"], 2) == float(official[s["name"]]["chrf-all"])
    assert board["systems"][0]["name"] == "JDExploreAcademy"  # best official chrF-all, 62.40
    online_w = next(s for s in board["systems"] if s["name"] == "Online-W")
    assert online_w["reasons"].get("empty") == 1  # its one empty output line (1479) is flagged, not dropped
    print(f"full WMT22 zh-en compare: {elapsed:.0f} s")
