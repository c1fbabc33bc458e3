"""Goal 3: ``evalkit compare`` vs ``sacrebleu REF_A REF_B -i SYS... -m bleu chrf ter --paired-bs``, end to end.

WMT22 zh-en: 12 systems, references A and B, 1000-resample paired bootstrap (both tools' default), same
machine, same run. evalkit also computes embeddings (similarity, margin, flags): once with an empty
embedding cache (cold) and once more with it filled (warm), plus once with ``--no-embed``. ``--quick`` cuts
every file to its first 300 lines. When the ``compare`` command is not available yet, the library calls it
makes (statistics, intervals, paired tests) are timed instead and the row says so.

    python bench/bench_compare.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATA, PY, ROOT, TMP, Row, median_run, print_table  # noqa: E402

EVALKIT = [PY, "-c", "import sys; from evalkit.cli import main; sys.exit(main(sys.argv[1:]))"]


def _files(quick: bool) -> tuple[Path, list[Path], list[Path]]:
    pair = "zh-en"
    src = DATA / "sources" / f"generaltest2022.{pair}.src.zh"
    refs = [DATA / "references" / f"generaltest2022.{pair}.ref.{r}.en" for r in "AB"]
    systems = sorted((DATA / "system-outputs" / pair).glob(f"generaltest2022.{pair}.hyp.*"))
    if not quick:
        return src, refs, systems
    folder = TMP / "compare-quick"
    folder.mkdir(parents=True, exist_ok=True)
    cut = []
    for path in [src, *refs, *systems]:
        out = folder / path.name
        with path.open(encoding="utf-8", newline="\n") as f:
            out.write_text("".join(line for _, line in zip(range(300), f)), encoding="utf-8")
        cut.append(out)
    return cut[0], cut[1:3], cut[3:]


def _has_compare() -> bool:
    proc = subprocess.run([*EVALKIT, "compare", "--help"], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode == 0


def run(quick: bool, runs: int) -> list[Row]:
    src, refs, systems = _files(quick)
    n_seg = sum(1 for _ in src.open(encoding="utf-8"))
    peer_argv = ["sacrebleu", *map(str, refs), "-i", *map(str, systems), "-m", "bleu", "chrf", "ter", "--paired-bs", "-f", "text"]
    peer_argv[0] = str(Path(PY).parent / "sacrebleu")
    peer = median_run("command", 1 if not quick else runs, argv=peer_argv, timeout=3600)
    rows = []
    what = f"{len(systems)} systems x {n_seg} segments, 2 refs, BLEU+chrF+TER, paired bs 1000"
    if _has_compare():
        out = TMP / "compare-out"
        cache = TMP / "compare-cache"
        base = [*EVALKIT, "compare", *map(str, systems), "--src", str(src), "--ref", str(refs[0]), "--ref", str(refs[1]),
                "-o", str(out), "--metrics", "bleu,chrf,ter", "-q", "--baseline", systems[0].name.split(".")[3]]
        variants = [("no embeddings", [*base, "--no-embed"], None), ("embeddings, cold cache", [*base, "--cache-dir", str(cache)], "cold"),
                    ("embeddings, warm cache", [*base, "--cache-dir", str(cache)], "warm")]
        for label, argv, cache_state in variants:
            if cache_state == "cold":
                shutil.rmtree(cache, ignore_errors=True)
            r = median_run("command", 1 if cache_state == "cold" else runs, argv=argv, timeout=3600)
            ratio = peer["wall_s"] / r["wall_s"]
            rows.append(Row(f"{what}; evalkit compare, {label}", f"{r['wall_s']:.1f} s, {r['peak_mb']:,.0f} MB",
                            f"{peer['wall_s']:.1f} s, {peer['peak_mb']:,.0f} MB", f"{ratio:.1f}x wall",
                            "≥3x: " + ("met" if ratio >= 3 else "NOT met"), f"runs {r['runs']}/{peer['runs']}"))
    else:
        cache = TMP / "compare-lib-cache"
        shutil.rmtree(cache, ignore_errors=True)
        files = dict(src=str(src), refs=list(map(str, refs)), systems=list(map(str, systems)))
        for label, embed, n in (("no embeddings", False, runs), ("embeddings, cold cache", True, 1), ("embeddings, warm cache", True, runs)):
            r = median_run("ek_compare_lib", n, embed=embed, cache_dir=str(cache), **files)
            ratio = peer["wall_s"] / r["wall_s"]
            rows.append(Row(f"{what}; evalkit library (compare command not registered yet), {label}",
                            f"{r['wall_s']:.1f} s, {r['peak_mb']:,.0f} MB", f"{peer['wall_s']:.1f} s, {peer['peak_mb']:,.0f} MB",
                            f"{ratio:.1f}x wall", "≥3x: " + ("met" if ratio >= 3 else "NOT met"),
                            f"no report writing; runs {r['runs']}/{peer['runs']}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="first 300 lines of every file")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    print_table("Goal 3: evalkit compare vs sacrebleu --paired-bs (WMT22 zh-en)", run(a.quick, a.runs))


if __name__ == "__main__":
    main()
