"""The differential check of tests/test_differential.py for evalkit's other scoring engines (issue 20): the
streaming scorer (``evalkit score --stream``), the in-memory ``evalkit score`` path and the Ray engine give
sacrebleu 2.6.0's corpus BLEU, chrF, chrF++ and TER on the same generated inputs (tests/difftext.py,
seeded: one line per text). Expected values: sacrebleu's ``corpus_score`` on the texts as written.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from difftext import seeded_corpus
from test_differential import _sacrebleu_for

from evalkit.pipeline import ScoreOptions, score_parallel
from evalkit.stream import StreamOptions, score_stream

METRICS = ("bleu", "chrf", "chrf++", "ter")


def _write(folder: Path, name: str, texts: list[str]) -> Path:
    path = folder / name
    path.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    return path


def _inputs(folder: Path, seed: int, n: int, n_refs: int) -> tuple[list[str], list[list[str]], list[Path]]:
    hyps, refs = seeded_corpus(seed, n, n_refs)
    srcs, _ = seeded_corpus(seed + 1000, n)
    paths = [_write(folder, "src.txt", srcs), _write(folder, "hyp.txt", hyps)]
    paths += [_write(folder, f"ref{k}.txt", r) for k, r in enumerate(refs)]
    return hyps, refs, paths


def _expected(tgt_lang: str, hyps: list[str], refs: list[list[str]]) -> dict[str, float]:
    lang = "zh" if tgt_lang == "zh" else "en"
    return {m: _sacrebleu_for(m, lang, {}, False).corpus_score(hyps, refs).score for m in METRICS}


@pytest.mark.parametrize("tgt_lang,n_refs,seed", [("zh", 1, 1), ("zh", 2, 2), ("en", 1, 3), ("en", 3, 4)])
def test_stream_corpus_scores_equal_sacrebleu(tmp_path: Path, tgt_lang: str, n_refs: int, seed: int) -> None:
    hyps, refs, paths = _inputs(tmp_path, seed, 60, n_refs)
    options = StreamOptions(chunk=25, embed=False, workers=1, metrics=METRICS)
    summary = score_stream(paths[0], paths[1], paths[2:], tmp_path / "out", "en", tgt_lang, options)
    assert summary.pairs == len(hyps)
    assert {m: summary.corpus[m] for m in METRICS} == _expected(tgt_lang, hyps, refs)


needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed (pip install 'evalkit[ray]')")


@pytest.fixture(scope="module")
def engine_inputs(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> tuple:
    folder = tmp_path_factory.mktemp("diff-engines")
    hyps, refs, paths = _inputs(folder, 7, 60, 2)
    options = ScoreOptions(cache_dir=cache_dir, n_bootstrap=1, src_lang="en")
    local = score_parallel(paths[0], paths[1], paths[2:], options)
    return hyps, refs, paths, options, local


def test_local_run_corpus_scores_equal_sacrebleu(engine_inputs: tuple) -> None:
    hyps, refs, _, _, local = engine_inputs
    expected = _expected(local.tgt_lang, hyps, refs)
    assert {m: local.scores[m].score for m in METRICS} == expected


@pytest.mark.slow  # a Ray cluster and two runs: ~1 min on the shared 2-core machine
@needs_ray
def test_ray_corpus_scores_equal_sacrebleu(engine_inputs: tuple, tmp_path: Path) -> None:
    import ray

    from evalkit.engine import RaySettings, score_parallel_ray

    hyps, refs, paths, options, local = engine_inputs
    expected = _expected(local.tgt_lang, hyps, refs)
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    try:
        # exact: per-row statistics on the driver; poisson: per-shard sums (TER's float rows kept whole)
        for bootstrap in ("exact", "poisson"):
            settings = RaySettings(shard_rows=25, overlap=10, bootstrap=bootstrap)
            run = score_parallel_ray(paths[0], paths[1], paths[2:], options, tmp_path / bootstrap, settings=settings)
            assert run.engine["bootstrap"] == bootstrap
            assert run.report.tgt_lang == local.tgt_lang
            assert {m: run.report.scores[m].score for m in METRICS} == expected, bootstrap
    finally:
        ray.shutdown()
