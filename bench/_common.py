"""Shared pieces of the benchmarks: WMT22 data, the 100k set, isolated timed runs, medians, tables.

Each measured call runs in a fresh Python process (``bench/_worker.py``) so its peak memory (``ru_maxrss``)
is its own; wall time and CPU time (user + system, all threads) are measured inside that process around
the call only (imports excluded). Ratios are peer / evalkit of medians over ``runs`` runs.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EVALKIT_BENCH_DATA") or ROOT.parent / "shared" / "data" / "wmt22-general-zh-en")
PY = sys.executable
TMP = Path(os.environ.get("EVALKIT_BENCH_TMP", "/tmp/evalkit-bench"))

__all__ = ["DATA", "PY", "ROOT", "TMP", "Row", "lines", "machine", "median_run", "print_table", "run_task", "iter_synthetic", "synthetic", "wmt"]


def lines(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n") for line in f]


def wmt(pair: str) -> tuple[list[str], dict[str, list[str]], list[list[str]]]:
    """(source, {system: hypotheses}, [reference A, reference B]) of WMT22 ``pair`` ("zh-en" or "en-zh")."""
    if not DATA.exists():
        raise SystemExit(f"{DATA} absent: the benchmarks need ../shared/data")
    src_lang, tgt = pair.split("-")
    src = lines(DATA / "sources" / f"generaltest2022.{pair}.src.{src_lang}")
    systems = {
        p.name.split(".")[3]: lines(p) for p in sorted((DATA / "system-outputs" / pair).glob(f"generaltest2022.{pair}.hyp.*"))
    }
    refs = [lines(DATA / "references" / f"generaltest2022.{pair}.ref.{r}.{tgt}") for r in "AB"]
    return src, systems, refs


def _perturb(text: str, rng: random.Random, chars: bool) -> str:
    # Swap two neighbouring words (characters for Chinese): a new string with the same vocabulary.
    units = list(text) if chars else text.split(" ")
    if len(units) > 2:
        i = rng.randrange(len(units) - 1)
        units[i], units[i + 1] = units[i + 1], units[i]
    return ("" if chars else " ").join(units)


def iter_synthetic(pair: str, n: int) -> Iterator[tuple[str, str, str, str]]:
    """``n`` (source, hypothesis, reference A, reference B) from WMT22 ``pair``, one at a time (bounded memory):
    every system's output in turn, then copies with two neighbouring words (Chinese: characters) swapped in
    each text, seeded, so no pair repeats."""
    src, systems, refs = wmt(pair)
    base = [(s, h, refs[0][i], refs[1][i]) for hyps in systems.values() for i, (s, h) in enumerate(zip(src, hyps))]
    chars = pair.endswith("zh")
    for k in range(n):
        s, h, a, b = base[k % len(base)]
        if k // len(base):
            rng = random.Random(k)
            s, h, a, b = (_perturb(t, rng, chars and t is not s) for t in (s, h, a, b))
        yield s, h, a, b


def synthetic(pair: str, n: int) -> tuple[list[str], list[str], list[list[str]]]:
    """:func:`iter_synthetic` as lists: (sources, hypotheses, [references A, references B])."""
    out_s, out_h, out_a, out_b = (list(col) for col in zip(*iter_synthetic(pair, n))) if n else ([], [], [], [])
    return out_s, out_h, [out_a, out_b]


def neural_rate(metric: object, src: list[str], tgt: list[str], refs: list[str] | None, segments: int,
                repeat: int) -> tuple[int, float, list[float]]:  # fmt: skip
    """Segments a neural metric plug-in (``score(sources, targets, references)``) scores, and the best of
    ``repeat`` timed calls on them: a first call loads the model and finds the segments that fit its encoder
    (a too_long segment is NaN), then the first ``segments`` of those non-empty ones are timed. Returns
    (segments timed, best seconds, the first call's scores)."""
    import math

    score = metric.score  # type: ignore[attr-defined]
    first = score(src, tgt, [refs] if refs is not None else None)
    keep = [i for i, v in enumerate(first) if not math.isnan(v) and tgt[i]][:segments]
    s, t = [src[i] for i in keep], [tgt[i] for i in keep]
    r = [[refs[i] for i in keep]] if refs is not None else None
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        score(s, t, r)
        best = min(best, time.perf_counter() - start)
    return len(keep), best, list(first)


def machine() -> str:
    """One line: date, CPU model and count, load, Python."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')} | {cpu} | {os.cpu_count()} cores | load {load[0]:.1f} | "
        f"Python {platform.python_version()}"
    )


def run_task(task: str, timeout: float = 3600, **kwargs: object) -> dict:
    """Run ``bench/_worker.py TASK`` in a fresh process; returns its JSON (wall_s, cpu_s, peak_mb, result...)."""
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    proc = subprocess.run(
        [PY, str(ROOT / "bench" / "_worker.py"), task, json.dumps(kwargs)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{task} {kwargs} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_run(task: str, runs: int, **kwargs: object) -> dict:
    """:func:`run_task` ``runs`` times; wall_s/cpu_s are medians, peak_mb the largest, result the last run's."""
    results = [run_task(task, **kwargs) for _ in range(max(1, runs))]
    out = dict(results[-1])
    out["wall_s"] = statistics.median(r["wall_s"] for r in results)
    out["cpu_s"] = statistics.median(r["cpu_s"] for r in results)
    out["peak_mb"] = max(r["peak_mb"] for r in results)
    out["runs"] = len(results)
    return out


@dataclass
class Row:
    """One line of a results table: a measure, evalkit's and the peer's figures, and their ratio."""

    what: str
    evalkit: str
    peer: str
    ratio: str
    goal: str
    note: str = ""


def print_table(title: str, rows: list[Row]) -> str:
    """A Markdown table (printed and returned)."""
    head = f"\n### {title}\n\n| what | evalkit | peer | ratio | goal | note |\n|---|---|---|---|---|---|\n"
    body = "".join(f"| {r.what} | {r.evalkit} | {r.peer} | {r.ratio} | {r.goal} | {r.note} |\n" for r in rows)
    print(head + body, flush=True)
    return head + body
