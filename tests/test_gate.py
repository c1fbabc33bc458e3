"""evalkit check: rules, baselines, verdicts, CI outputs, and the gate on real drift.

Real drift: the first 300 lines of WMT22 zh-en Online-B (``../shared/data``) with 12 lines (4%) degraded at
test time (4 left untranslated, i.e. the Chinese source copied; 4 with their middle third of words dropped;
4 with a number changed). Expected exit codes are the contract of `evalkit.cli.main`: 0 pass, 1 regression,
2 bad input. Numbers in the unit tables are chosen by hand; each row says why it passes or fails.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from evalkit.cli import cli, main
from evalkit.cli_compare import check, compare
from evalkit.gate_formats import annotations, junit_xml, markdown_summary
from evalkit.errors import ConfigError, InputError, UsageError
from evalkit.gate import (
    DEFAULT_RULES,
    CheckResult,
    CheckSettings,
    RegressedSegment,
    Rule,
    judge,
    load_baseline,
    load_settings,
)

WMT22 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wmt22-general-zh-en"
N = 300
UNTRANSLATED = tuple(range(10, N, 75))  # 0-based lines 10, 85, 160, 235
DROPPED = tuple(range(35, N, 75))  # 35, 110, 185, 260

for command in (compare, check):  # until evalkit.cli registers them itself
    if command.name not in cli.commands:
        cli.add_command(command)


# --- settings ------------------------------------------------------------------------------------------


def _rules(settings: CheckSettings) -> dict[tuple[str, str], float]:
    return {(r.metric, r.kind): r.value for r in settings.rules}


def test_settings_defaults_then_config_then_options(tmp_path: Path) -> None:
    assert _rules(load_settings(start=tmp_path)) == DEFAULT_RULES
    (tmp_path / "pyproject.toml").write_text(
        '[tool.evalkit.check]\nalpha = 0.01\npaired = "ar"\ntop = 3\n'
        "[tool.evalkit.check.max_drop]\nchrf = 0.3\nsimilarity = \"off\"\n[tool.evalkit.check.min]\nbleu = 20\n",
        encoding="utf-8",
    )
    settings = load_settings(("chrf=0.8",), (), ("flag_rate=25",), {"top": 7}, start=tmp_path)
    assert _rules(settings) == {
        ("chrf", "max_drop"): 0.8,  # option beats the config's 0.3
        ("bleu", "max_drop"): 1.0,  # default kept
        ("flag_rate", "max_drop"): 2.0,
        ("bleu", "min"): 20.0,  # from the config
        ("flag_rate", "max"): 25.0,  # from the option
    }  # similarity dropped by "off"
    assert (settings.alpha, settings.method, settings.top) == (0.01, "ar", 7)
    assert str(tmp_path / "pyproject.toml") == settings.origin


@pytest.mark.parametrize(
    ("config", "options", "words"),
    [
        ("[check]\nlimit = 3\n", {}, "unknown key(s) limit"),
        ("[check.max_drop]\nmeteor = 1\n", {}, "unknown metric 'meteor'"),
        ("[check.min]\nchrf = 'high'\n", {}, "'high' is not a number"),
        ("[check]\nmax_drop = 2\n", {}, "[check.max_drop] must be a table"),
        ("", {"max_drop": ("chrf",)}, "--max-drop 'chrf' is not METRIC=VALUE"),
        ("", {"max_drop": ("chrf=-1",)}, "is not a finite value >= 0"),
        ("[check]\nalpha = 2\n", {}, "alpha=2 must be between 0 and 1"),
        ("[check]\ntop = 2.5\n", {}, "top=2.5 must be an integer >= 0"),
    ],
)
def test_settings_errors(config: str, options: dict[str, tuple[str, ...]], words: str, tmp_path: Path) -> None:
    (tmp_path / "evalkit.toml").write_text(config, encoding="utf-8")
    with pytest.raises((ConfigError, UsageError), match=re.escape(words)):
        load_settings(options.get("max_drop", ()), start=tmp_path)


# --- verdicts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "kind", "limit", "base", "value", "p", "passed", "words"),
    [
        ("chrf", "max_drop", 1.0, 56.0, 55.5, None, True, "drop +0.50 (allowed 1)"),  # within the allowance
        ("chrf", "max_drop", 1.0, 56.0, 54.0, None, False, "no significance test"),  # too big, untested: fails
        ("chrf", "max_drop", 1.0, 56.0, 54.0, 0.20, True, "not significant (p=0.2 >= 0.05)"),  # noise
        ("chrf", "max_drop", 1.0, 56.0, 54.0, 0.01, False, "significant (p=0.01 < 0.05)"),
        ("chrf", "max_drop", 0.0, 56.0, 57.0, 0.001, True, "drop -1.00"),  # an improvement never fails
        ("ter", "max_drop", 1.0, 60.0, 62.0, 0.01, False, "rise +2.00"),  # TER: lower is better
        ("flag_rate", "max_drop", 2.0, 10.0, 8.0, None, True, "rise -2.00"),
        ("chrf", "min", 50.0, None, 49.9, None, False, "49.90 < min 50"),
        ("flag_rate", "max", 20.0, None, 20.0, None, True, "20.00 <= max 20"),
    ],
)
def test_judge(metric: str, kind: str, limit: float, base: float | None, value: float, p: float | None,
               passed: bool, words: str) -> None:
    verdict = judge(Rule(metric, kind, limit), base, value, p, alpha=0.05)  # type: ignore[arg-type]
    assert verdict.passed is passed and words in verdict.detail


# --- baselines -----------------------------------------------------------------------------------------


def test_load_baseline_kinds(tmp_path: Path) -> None:
    summary = {"scores": {"chrf": {"score": 55.0, "ci95": None, "signature": "s"}},
               "counts": {"links": 200, "flagged": 10, "source_segments": 200}, "thresholds": {"margin": 1.15}}
    (tmp_path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    old = load_baseline(tmp_path / "summary.json")
    assert old.scores == {"chrf": 55.0, "flag_rate": 5.0} and old.fingerprints is None and old.segments == 200
    board = {"kind": "leaderboard", "baseline": "A", "fingerprints": {"source": "f", "references": [], "segments": 2},
             "systems": [{"name": "A", "fingerprint": "ta", "scores": {"chrf": {"score": 60.0, "signature": "s"}}, "counts": {}},
                         {"name": "B", "fingerprint": "tb", "scores": {"chrf": {"score": 50.0, "signature": "s"}}, "counts": {}}]}
    (tmp_path / "leaderboard.json").write_text(json.dumps(board), encoding="utf-8")
    assert load_baseline(tmp_path / "leaderboard.json").scores == {"chrf": 60.0}
    b = load_baseline(tmp_path / "leaderboard.json", "B")
    assert b.scores == {"chrf": 50.0} and b.fingerprints == {"source": "f", "references": [], "segments": 2, "target": "tb"}
    with pytest.raises(UsageError, match="no system 'C'"):
        load_baseline(tmp_path / "leaderboard.json", "C")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read the baseline"):
        load_baseline(tmp_path / "bad.json")


# --- CI outputs ----------------------------------------------------------------------------------------


def _result(passed: bool) -> CheckResult:
    rule = Rule("chrf", "max_drop", 0.5)
    verdicts = (judge(rule, 56.0, 56.2 if passed else 54.0, 0.001, 0.05), judge(Rule("flag_rate", "max", 30), None, 12.0, None))
    segments = (RegressedSegment(7, "源", "a | b\nc: 100%, <x>", "chrf", 10.0, "old", 60.0, ("low_chrf",)),)
    return CheckResult(verdicts, segments, ("thresholds: differ, 50%",), CheckSettings((rule,)), "refs/base,1.json", "out:new.en", True)


def test_junit_markdown_and_annotations() -> None:
    failing = _result(False)
    root = ET.fromstring(junit_xml(failing).encode("utf-8"))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["chrf max drop 0.5", "flag_rate max 30"]
    assert cases[0].find("failure") is not None and cases[1].find("failure") is None
    assert "line 7: a | b c: 100%, <x>" in (cases[0].find("failure").text or "")  # type: ignore[union-attr]
    md = markdown_summary(failing)
    assert md.startswith("### ❌ evalkit check failed") and "| 7 | chrf 60.0 → 10.0 | a \\| b c: 100%, &lt;x&gt; |" in md
    lines = annotations(failing)
    # Workflow-command escaping: %, CR, LF everywhere; ':' and ',' in properties too.
    assert lines[0] == ("::error file=refs/base%2C1.json,title=evalkit check%3A chrf max drop 0.5::"
                        "56.00 -> 54.00, drop +2.00 > 0.5, significant (p=0.001 < 0.05)")
    assert lines[1] == "::warning title=evalkit check::thresholds: differ, 50%25"
    assert lines[2].startswith("::warning file=out%3Anew.en,line=7,title=regressed segment::chrf 60.0 -> 10.0 [low_chrf]: a | b c: 100%25")
    passing = _result(True)
    assert markdown_summary(passing).startswith("### ✅") and all(not a.startswith("::warning file") for a in annotations(passing))


# --- the gate on real drift ------------------------------------------------------------------------------


def _lines(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


@pytest.fixture(scope="module")
def drift(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Source, reference A, Online-B, its degraded copy (first 300 lines), and the degraded lines (1-based)."""
    if not WMT22.is_dir():
        pytest.skip("../shared/data is absent (WMT22 data only beside the project's CI checkout)")
    folder = tmp_path_factory.mktemp("drift")
    src = _lines(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", N)
    ref = _lines(WMT22 / "references" / "generaltest2022.zh-en.ref.A.en", N)
    hyp = _lines(WMT22 / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-B.en", N)
    numbered = [i for i, h in enumerate(hyp) if re.search(r"\d", h) and len(h.split()) > 8
                and i not in UNTRANSLATED + DROPPED][::9][:4]
    bad = list(hyp)
    for i in UNTRANSLATED:
        bad[i] = src[i]
    for i in DROPPED:
        words = hyp[i].split()
        bad[i] = " ".join(words[: len(words) // 3] + words[2 * len(words) // 3 :])
    for i in numbered:
        bad[i] = re.sub(r"\d+", lambda m: str(int(m.group()) + 7), hyp[i], count=1)
    files = {"src": src, "ref": ref, "hyp": hyp, "bad": bad, "src2": [*src[:-1], src[-1] + "。"], "src299": src[:-1],
             "hyp299": hyp[:-1], "ref299": ref[:-1]}
    paths = {k: folder / f"{k}.txt" for k in files}
    for k, lines in files.items():
        paths[k].write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths["numbered"] = Path(",".join(str(i + 1) for i in numbered))  # carried as text
    return paths


@pytest.fixture(scope="module")
def baseline(drift: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("base") / "mt-baseline.json"
    code = main(["check", "--src", str(drift["src"]), "--tgt", str(drift["hyp"]), "--ref", str(drift["ref"]),
                 "--write-baseline", str(path), "--cache-dir", str(cache_dir), "-q"])
    assert code == 0 and path.is_file()
    return path


def _check(drift: dict[str, Path], baseline: Path, cache_dir: Path, tgt: str, *extra: str, src: str = "src",
           ref: str = "ref") -> int:
    return main(["check", "--baseline", str(baseline), "--src", str(drift[src]), "--tgt", str(drift[tgt]),
                 "--ref", str(drift[ref]), "--cache-dir", str(cache_dir), *extra])


def test_degraded_output_fails_and_names_the_lines(drift: dict[str, Path], baseline: Path, cache_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code = _check(drift, baseline, cache_dir, "bad", "--baseline-tgt", str(drift["hyp"]), "--top", "20",
                  "--junit", str(tmp_path / "check.xml"))
    out, err = capsys.readouterr()
    assert code == 1, err
    # flag_rate rises by 0.7 points only (< 2): since issue 14, `low_qe` (at -4.0, with unknown_words) already
    # flags 101 of the 300 baseline lines, among them most of the lines degraded here (measured with `evalkit
    # score`, 2026-12-03: 140 flagged -> 142), so chrf alone fails.
    assert err.strip() == "evalkit: error: regression: 1 of 4 rules failed (chrf max drop 0.5)"
    assert re.search(r"FAIL chrf max drop 0.5 .*, significant \(p=", out)
    named = {int(n) for n in re.findall(r"^  line (\d+): chrf", out, re.M)}
    degraded = {i + 1 for i in UNTRANSLATED + DROPPED} | {int(n) for n in str(drift["numbered"]).split(",")}
    # Unchanged lines keep their sentence chrF exactly, so every line named is a degraded one, and the
    # untranslated and truncated lines (the large falls) are all named.
    assert named <= degraded and {i + 1 for i in UNTRANSLATED + DROPPED} <= named
    warned = [a for a in out.splitlines() if a.startswith("::warning file=")]
    for i in UNTRANSLATED:  # GitHub shows these on the output file's line
        assert any(a.startswith(f"::warning file={drift['bad']},line={i + 1},title=regressed segment::") for a in warned)
    assert "::error file=" in out and summary.read_text(encoding="utf-8").startswith("### ❌ evalkit check failed")
    suite = ET.parse(tmp_path / "check.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"


def test_same_output_passes(drift: dict[str, Path], baseline: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _check(drift, baseline, cache_dir, "hyp", "--baseline-tgt", str(drift["hyp"]), "--json")
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["passed"] and result["significance_tested"] and result["segments"] == []
    assert {v["change"] for v in result["verdicts"]} == {0.0}


def test_without_baseline_output_the_size_decides(drift: dict[str, Path], baseline: Path, cache_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = _check(drift, baseline, cache_dir, "bad", "--max-drop", "flag_rate=off", "--json")
    out, _ = capsys.readouterr()
    result = json.loads(out)
    assert code == 1 and not result["significance_tested"]
    (chrf,) = [v for v in result["verdicts"] if v["metric"] == "chrf"]
    assert not chrf["passed"] and chrf["p_value"] is None and "no significance test" in chrf["detail"]
    # Named: the lowest-scoring flagged segments; the untranslated copies score chrF 0.
    assert {s["line"] for s in result["segments"][:4]} == {i + 1 for i in UNTRANSLATED}


@pytest.mark.parametrize(
    ("src", "tgt", "ref", "words"),
    [
        ("src2", "hyp", "ref", "the source differs from the baseline's"),  # one character added to the last line
        ("src", "hyp", "hyp", "reference 1 differs from the baseline's"),  # another file given as the reference
        ("src299", "hyp299", "ref299", "the baseline has 300 source segments, this run 299"),
    ],
)
def test_another_test_set_is_exit_2(src: str, tgt: str, ref: str, words: str, drift: dict[str, Path], baseline: Path,
                                    cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _check(drift, baseline, cache_dir, tgt, src=src, ref=ref)
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_wrong_baseline_output_and_usage_errors(drift: dict[str, Path], baseline: Path, cache_dir: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(drift, baseline, cache_dir, "hyp", "--baseline-tgt", str(drift["bad"])) == 2
    assert "not the output the baseline" in capsys.readouterr().err
    assert main(["check", "--src", str(drift["src"]), "--tgt", str(drift["hyp"])]) == 2
    assert "missing --baseline" in capsys.readouterr().err
    assert _check(drift, baseline, cache_dir, "hyp", "--write-baseline", str(drift["src"].with_name("x.json"))) == 2
    assert "it does not check one" in capsys.readouterr().err


def test_leaderboard_as_baseline(drift: dict[str, Path], cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board = tmp_path / "board"
    assert main(["compare", "--src", str(drift["src"]), "--ref", str(drift["ref"]), f"Online-B={drift['hyp']}",
                 f"degraded={drift['bad']}", "--no-embed", "-o", str(board), "-q"]) == 0
    base = str(board / "leaderboard.json")
    assert _check(drift, Path(base), cache_dir, "hyp", "--system", "Online-B", "-q") == 0
    assert _check(drift, Path(base), cache_dir, "bad", "--system", "Online-B", "-q") == 1  # chrF -0.9 > 0.5, untested
    assert _check(drift, Path(base), cache_dir, "hyp", "--system", "degraded", "--baseline-tgt", str(drift["bad"]), "-q") == 0
    capsys.readouterr()
