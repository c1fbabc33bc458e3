"""The gate's run history: schema and migrations, concurrent and killed writers, the cumulative rule on real
drift, `evalkit history` exports, and Kocmi et al. 2024's human agreement.

Real drift: the first 100 lines of WMT22 zh-en Online-B (``../shared/data``); each of five steps truncates two
more long lines (their middle third of words dropped). Measured with sacrebleu 2.6.0 ``corpus_chrf`` against
reference A before writing this test, chrF goes 53.91 -> 53.30 -> 52.34 -> 51.96 -> 51.40 -> 50.77: each step
drops 0.38-0.96 (within --max-drop chrf=1.0), the total since the first run is 0.61, 1.57, 1.95, 2.51, 3.14
(the cumulative limit 2.0 is passed at step 4).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.errors import InputError, UsageError
from evalkit.gate_formats import markdown_summary, terminal
from evalkit.gate import CheckResult, CheckSettings, Rule, judge, load_settings
from evalkit.gate.agreement import agreement, describe
from evalkit.gate.history import (
    MIGRATIONS,
    SCHEMA_VERSION,
    HistoryMismatch,
    RunScore,
    connect,
    find_run,
    load_runs,
    pin_run,
    record_run,
    reference_run,
    run_output,
)

ROOT = Path(__file__).resolve().parents[1]
WMT22 = ROOT.parent / "shared" / "data" / "wmt22-general-zh-en"
N = 100
FP = {"source": "s" * 64, "references": ["r" * 64], "segments": 3, "target": "t" * 64, "links": 3}


# --- human agreement --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metric", "delta", "scores", "percent"),
    [
        ("bleu", 1.0, (), 64),  # Kocmi et al. 2024: "a BLEU difference of 1 agrees 64% of the time"
        ("chrf", 1.0, (), 70),  # chrF Δ1 -> 70%
        ("comet", 0.56, (), 80),  # COMET-22 Δ0.56 -> 80% (COMET x 100 points)
        ("comet22", 0.0056, (0.8456, 0.8400), 80),  # the same on COMET's 0-1 scale
        ("bleu", -1.0, (), 64),  # a rise is a difference of the same size
    ],
)
def test_agreement_matches_the_papers_points(metric: str, delta: float, scores: tuple[float, ...], percent: int) -> None:
    found = agreement(metric, delta, scores)
    assert found is not None and round(found.percent) == percent


def test_agreement_only_for_fitted_metrics() -> None:
    assert agreement("chrf++", 1.0) is None and agreement("ter", 1.0) is None  # the paper fitted neither
    assert describe("bleu", 26.19, 25.19) == "humans agree 64%"
    assert describe("bleu", 26.19, 26.19) == ""  # no difference, nothing to agree with
    assert describe("chrf", 53.91, 53.71) == "humans agree 52%"  # 93 / (1 + exp(-1.1143 * 0.2)) = 93 * 0.5555 = 51.7
    assert describe("chrf", 53.91, 53.86) == "humans agree 48% (≈ chance)"  # 93 / (1 + exp(-1.1143 * 0.05)) = 47.8


def test_agreement_in_the_gate_output() -> None:
    rules = (Rule("bleu", "max_drop", 2.0), Rule("chrf", "max_cumulative_drop", 2.0), Rule("ter", "max_drop", 2.0),
             Rule("chrf", "min", 50.0))
    verdicts = (judge(rules[0], 26.19, 25.19, None), judge(rules[1], 53.91, 52.91, None), judge(rules[2], 60.0, 61.0, None),
                judge(rules[3], None, 52.91, None))
    result = CheckResult(verdicts, (), (), CheckSettings(rules), "base.json", "out.en", False)
    text = terminal(result)
    assert "bleu max drop 2" in text and "(allowed 2) [humans agree 64%]" in text  # BLEU Δ1 -> 64%
    assert "[humans agree 70%]" in text  # chrF Δ1 -> 70%, cumulative rules too
    assert text.count("[humans agree") == 2 and "(Kocmi et al., ACL 2024)" in text  # TER and min rules: no estimate
    md = markdown_summary(result)
    assert "| bleu max drop 2 | pass | 26.19 -&gt; 25.19, drop +1.00 (allowed 2) | 64% |" in md
    assert "| ter max drop 2 | pass | 60.00 -&gt; 61.00, rise +1.00 (allowed 2) | – |" in md
    assert "https://aclanthology.org/2024.acl-long.110" in md


# --- the database -----------------------------------------------------------------------------------------


def _record(path: Path, label: str, chrf: float, passed: bool = True, fp: dict[str, object] = FP, **kw: object) -> int:
    run = record_run(path, fingerprints=fp, scores=[RunScore("chrf", chrf, "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
                                                             (chrf - 1, chrf + 1))],
                     flag_rate=10.0, passed=passed, verdicts=[{"metric": "chrf", "passed": passed}], label=label, **kw)  # type: ignore[arg-type]
    return run.id


def test_record_read_pin_and_another_test_set(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    assert reference_run(db) is None
    ids = [_record(db, f"v{k}", 50.0 - k, commit=f"{k:040x}", output=b"a\nb\nc\n" if k == 1 else None) for k in range(3)]
    assert ids == [1, 2, 3]
    runs = load_runs(db)
    assert [r.label for r in runs] == ["v0", "v1", "v2"] and runs[1].scores["chrf"].ci95 == (48.0, 50.0)
    assert runs[1].has_output and run_output(db, 2) == b"a\nb\nc\n" and run_output(db, 1) is None
    assert reference_run(db).id == 1  # type: ignore[union-attr]
    pin_run(db, "v1")
    assert reference_run(db).id == 2 and find_run(db, 2).pinned  # type: ignore[union-attr]
    pin_run(db, None)
    assert reference_run(db).id == 1  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="no run 'v9'"):
        find_run(db, "v9")
    with pytest.raises(HistoryMismatch, match=r"another test set than the history's \(source differ\)") as exc:
        _record(db, "x", 50.0, fp={**FP, "source": "other"})
    assert "give this test set its own --history file" in exc.value.message and "\n" not in exc.value.message
    assert len(load_runs(db)) == 3  # nothing recorded
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_schema_is_migrated_and_checked(tmp_path: Path) -> None:
    old = tmp_path / "v1.db"  # a history as schema version 1 wrote it
    conn = sqlite3.connect(old)
    conn.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    conn.execute("INSERT INTO meta VALUES ('test_set', ?)", (json.dumps({"source": FP["source"], "references": FP["references"],
                                                                         "segments": 3}, sort_keys=True),))
    conn.execute("INSERT INTO runs (label, created, test_set, passed, verdicts) VALUES ('old', '2026-01-01T00:00:00+00:00', '{}', 1, '[]')")
    conn.commit()
    conn.close()
    connect(old).close()
    assert sqlite3.connect(old).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    (run,) = load_runs(old)
    assert (run.label, run.pinned, run.has_output) == ("old", False, False)
    assert _record(old, "new", 50.0) == 2  # the migrated file takes new runs
    newer = tmp_path / "v9.db"
    sqlite3.connect(newer).execute("PRAGMA user_version = 9").connection.close()
    with pytest.raises(UsageError, match="history schema 9 is newer than this evalkit's"):
        connect(newer)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(InputError, match="not an evalkit history"):
        connect(other)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match="not an evalkit history"):
        connect(junk)


_WRITER = """
import sys
from pathlib import Path
from evalkit.gate.history import RunScore, record_run
fp = {"source": "s" * 64, "references": ["r" * 64], "segments": 3, "target": "t" * 64}
path, name, n, blob = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for k in range(n):
    record_run(path, fingerprints=fp, scores=[RunScore(m, float(k), "sig") for m in ("bleu", "chrf", "ter")],
               flag_rate=1.0, passed=True, verdicts=[], label=f"{name}-{k}", output=bytes(range(256)) * blob if blob else None)
    print(k, flush=True)
"""


def _writer(path: Path, name: str, n: int, blob: int = 0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, str(n), str(blob)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _complete(path: Path) -> list[str]:
    """Every run has all its scores; SQLite's own check passes."""
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    runs = load_runs(path)
    assert all(set(r.scores) == {"bleu", "chrf", "ter"} for r in runs)
    return [r.label or "" for r in runs]


def test_two_concurrent_writers(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    procs = [_writer(db, name, 25) for name in ("a", "b")]  # both also race to create and migrate the file
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    labels = _complete(db)
    assert sorted(labels) == sorted(f"{n}-{k}" for n in "ab" for k in range(25))
    assert [r.id for r in load_runs(db)] == list(range(1, 51))


def test_sigkill_in_the_middle_of_a_write_leaves_a_readable_history(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    proc = _writer(db, "k", 10_000, blob=40_000)  # ~10 MB of output per run: each write takes a while
    assert proc.stdout is not None
    for _ in range(3):  # three runs committed, the fourth being written
        assert proc.stdout.readline().strip()
    time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    labels = _complete(db)
    assert labels[:3] == ["k-0", "k-1", "k-2"]
    assert all(run_output(db, r.id) == bytes(range(256)) * 40_000 for r in load_runs(db))  # no partial output
    assert _record(db, "after", 1.0) == len(labels) + 1 and load_runs(db)[-1].label == "after"  # writable again


def test_history_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.db"
    assert main(["history", str(db)]) == 2
    assert "no such history file" in capsys.readouterr().err
    _record(db, "v0", 50.0)
    assert main(["history", "pin", str(db), "v7"]) == 2
    assert "no run 'v7' in the history" in capsys.readouterr().err
    assert main(["history", "pin", str(db)]) == 2
    assert "usage: evalkit history pin FILE.db RUN" in capsys.readouterr().err
    assert main(["history", str(db)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["run", "verdict", "created", "label"]
    assert out[1].split()[:2] == ["1", "pass"] and out[1].split()[3:] == ["v0", "50.00", "10.00", "*"]  # chrf, flag rate


def test_cumulative_rule_needs_a_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.evalkit.check.max_cumulative_drop]\nchrf = 2.0\n", encoding="utf-8")
    rules = {(r.metric, r.kind): r.value for r in load_settings(start=tmp_path).rules}
    assert rules[("chrf", "max_cumulative_drop")] == 2.0
    assert str(load_settings(cumulative=("bleu=1.5",), start=tmp_path).rules[-1]) == "bleu max cumulative drop 1.5"
    src = tmp_path / "s.txt"
    src.write_text("a\n", encoding="utf-8")
    assert main(["check", "--baseline", str(src), "--src", str(src), "--tgt", str(src), "--max-cumulative-drop", "chrf=1"]) == 2
    assert "--max-cumulative-drop (chrf max cumulative drop 1) measures from the run history: it needs --history" in capsys.readouterr().err


# --- the cumulative rule on real drift --------------------------------------------------------------------


def _lines(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not WMT22.is_dir():
        pytest.skip("../shared/data is absent (WMT22 data only beside the project's CI checkout)")
    folder = tmp_path_factory.mktemp("steps")
    src = _lines(WMT22 / "sources" / "generaltest2022.zh-en.src.zh", N)
    ref = _lines(WMT22 / "references" / "generaltest2022.zh-en.ref.A.en", N)
    hyp = _lines(WMT22 / "system-outputs" / "zh-en" / "generaltest2022.zh-en.hyp.Online-B.en", N)
    longs = [i for i, h in enumerate(hyp) if len(h.split()) >= 15]
    files = {"src": src, "ref": ref, "step0": hyp, "other_src": [*src[:-1], src[-1] + "。"]}
    cur = list(hyp)
    for k in range(1, 6):
        for i in longs[(k - 1) * 2 : k * 2]:
            words = hyp[i].split()
            cur[i] = " ".join(words[: len(words) // 3] + words[2 * len(words) // 3 :])
        files[f"step{k}"] = list(cur)
    paths = {name: folder / f"{name}.txt" for name in files}
    for name, lines in files.items():
        paths[name].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def _gate(steps: dict[str, Path], k: int, db: Path, cache_dir: Path, out: Path, *extra: str, src: str = "src") -> int:
    """Step k against step k-1 (re-baselined: the baseline is the last step's summary.json)."""
    base = out / f"run{k - 1}"
    return main(["check", "--baseline", str(base / "summary.json"), "--baseline-tgt", str(steps[f"step{k - 1}"]),
                 "--src", str(steps[src]), "--tgt", str(steps[f"step{k}"]), "--ref", str(steps["ref"]),
                 "--max-drop", "chrf=1.0", "--max-drop", "bleu=off", "--max-drop", "similarity=off", "--max-drop", "flag_rate=off",
                 "--max-cumulative-drop", "chrf=2.0", "--history", str(db), "--label", f"step{k}", "--cache-dir", str(cache_dir),
                 "-o", str(out / f"run{k}"), *extra])


def test_five_rebaselined_steps_fail_on_the_cumulative_rule(steps: dict[str, Path], cache_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "mt-history.db"
    # The first gated run is step 0 against its own summary.json.
    assert main(["score", "--src", str(steps["src"]), "--tgt", str(steps["step0"]), "--ref", str(steps["ref"]),
                 "--cache-dir", str(cache_dir), "-o", str(tmp_path / "run-1"), "-q"]) == 0
    steps = {**steps, "step-1": steps["step0"]}
    codes, outputs = [], []
    for k in range(0, 6):
        monkeypatch.setenv("GITHUB_SHA", hashlib.sha1(f"step {k}".encode()).hexdigest())
        codes.append(_gate(steps, k, db, cache_dir, tmp_path))
        outputs.append(capsys.readouterr())
    # Every step is within its max-drop; steps 4 and 5 are more than 2.0 below the first run.
    assert codes == [0, 0, 0, 0, 1, 1], [o.err for o in outputs]
    for k, (out, err) in enumerate(outputs):
        assert "ok   chrf max drop 1" in out, out
        if k >= 4:
            assert re.search(r"FAIL chrf max cumulative drop 2 +cumulative since run 1 \(step0, [0-9a-f]{12}\): 53.91 -> ", out)
            assert "significant (p=" in out  # run 1's output is in the history: a paired test
            assert err.strip() == "evalkit: error: regression: 1 of 2 rules failed (chrf max cumulative drop 2)"
    runs = load_runs(db)
    assert [r.passed for r in runs] == [True] * 4 + [False] * 2 and runs[-1].commit == hashlib.sha1(b"step 5").hexdigest()
    assert [r.label for r in runs] == [f"step{k}" for k in range(6)] and all(r.has_output for r in runs)
    # chrF as measured by sacrebleu before writing the test (see the module docstring), to 2 decimals.
    assert [round(r.scores["chrf"].score, 2) for r in runs] == [53.91, 53.30, 52.34, 51.96, 51.40, 50.77]
    # Pinning the step-3 run measures from it: step 5 is 1.19 below it, within 2.0.
    assert main(["history", "pin", str(db), "step3"]) == 0
    steps["step6"] = steps["step5"]  # a run with nothing changed
    assert _gate(steps, 6, db, cache_dir, tmp_path) == 0
    assert "cumulative since run 4 (step3, " in capsys.readouterr().out
    # Another test set is exit 2 with one line, and nothing is recorded.
    assert _gate(steps, 6, db, cache_dir, tmp_path, src="other_src") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the source differs from the baseline's" in err
    assert len(load_runs(db)) == 7
    # Exports.
    assert main(["history", str(db), "-o", str(tmp_path / "hist")]) == 0
    data = json.loads((tmp_path / "hist" / "history.json").read_text(encoding="utf-8"))
    assert [r["passed"] for r in data["runs"]] == [True] * 4 + [False] * 2 + [True] and data["reference_run"] == 4
    csv_rows = (tmp_path / "hist" / "history.csv").read_text(encoding="utf-8").splitlines()
    assert csv_rows[0].startswith("run,label,created,commit,passed") and sum(",chrf," in r for r in csv_rows) == 7
    html = (tmp_path / "hist" / "history.html").read_text(encoding="utf-8")
    assert html.count('class="pt ') >= 7 and "Content-Security-Policy" in html
    capsys.readouterr()
    assert main(["history", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == data
    # A history made from another test set's runs refuses this one.
    other = tmp_path / "other.db"
    _record(other, "x", 1.0)
    assert _gate(steps, 6, other, cache_dir, tmp_path) == 2
    assert "another test set than the history's" in capsys.readouterr().err
    assert zlib.decompress(sqlite3.connect(db).execute("SELECT text FROM outputs WHERE run_id = 1").fetchone()[0]) == steps["step0"].read_bytes()
