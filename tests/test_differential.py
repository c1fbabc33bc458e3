"""Differential tests against sacrebleu 2.6.0 (issue 20): evalkit's statistics matrices, sentence scores and
corpus scores of BLEU, chrF, chrF++ and TER, under every option each metric exposes, with one to three
references, on hypothesis-generated text of every script mix (tests/difftext.py).

The expected values are sacrebleu's own, computed on the same inputs at test time: the statistics of
``metric._extract_corpus_statistics``, ``metric.sentence_score`` per segment and ``metric.corpus_score``.
``make test`` runs a bounded number of examples (``EXAMPLES``); ``make test-slow`` the long run.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest
from difftext import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sacrebleu.metrics import BLEU, CHRF, TER

from evalkit.metrics import fast, prepare
from evalkit.stats import score_rows

EXAMPLES = 40  # per metric in `make test` (about 10 s in all on one core)
SLOW_EXAMPLES = 1500  # per metric in `make test-slow`

# Every option of each metric's constructor (sacrebleu 2.6.0), as strategies of keyword arguments.
BLEU_OPTIONS = st.fixed_dictionaries(
    {
        "tokenize": st.sampled_from(["13a", "zh", "none", "intl", "char"]),
        "lowercase": st.booleans(),
        "effective_order": st.booleans(),
        "max_ngram_order": st.integers(1, 6),
        "smooth": st.sampled_from(
            [("exp", None), ("none", None), ("floor", None), ("floor", 0.01), ("floor", 0.5), ("add-k", None),
             ("add-k", 0.01), ("add-k", 0.5), ("add-k", 2), ("add-k", 2.5)]  # fmt: skip
        ),
    }
)
CHRF_OPTIONS = st.fixed_dictionaries(
    {
        "char_order": st.integers(1, 8),
        "word_order": st.integers(0, 5),  # 0 chrF, 2 chrF++
        "beta": st.integers(0, 4),
        "lowercase": st.booleans(),
        "whitespace": st.booleans(),
        "eps_smoothing": st.booleans(),
    }
)
TER_OPTIONS = st.fixed_dictionaries(
    {"normalized": st.booleans(), "no_punct": st.booleans(), "asian_support": st.booleans(), "case_sensitive": st.booleans()}
)


def _metric(kind: str, options: dict[str, Any]) -> Any:
    if kind == "bleu":
        method, value = options["smooth"]
        kw = {k: v for k, v in options.items() if k != "smooth"}
        return BLEU(smooth_method=method, smooth_value=value, **kw)
    return CHRF(**options) if kind == "chrf" else TER(**options)


def _compare(kind: str, options: dict[str, Any], hyps: list[str], refs: list[list[str]]) -> None:
    """evalkit's matrix, sentence scores and corpus score against sacrebleu's, exactly."""
    metric = _metric(kind, options)
    expected = np.array(metric._extract_corpus_statistics(hyps, refs))
    got = fast.extract_stats(metric, hyps, refs)
    assert got.dtype == expected.dtype and got.shape == expected.shape, (got.dtype, expected.dtype)
    bad = np.flatnonzero((got != expected).any(axis=1))
    assert not len(bad), f"{options} row {bad[0]}: {hyps[bad[0]]!r} / {[r[bad[0]] for r in refs]!r}: {got[bad[0]]} != {expected[bad[0]]}"
    sentence = [metric.sentence_score(h, [r[i] for r in refs]).score for i, h in enumerate(hyps)]
    assert score_rows(metric, got).tolist() == sentence, options
    # evalkit's corpus score (MetricRefs.score_from_stats): sacrebleu's aggregation of the matrix
    assert metric._aggregate_and_compute(got.tolist()).score == metric.corpus_score(hyps, refs).score, options


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_OPTIONS = {"bleu": BLEU_OPTIONS, "chrf": CHRF_OPTIONS, "ter": TER_OPTIONS}


@pytest.fixture(autouse=True)
def _quiet_sacrebleu() -> Any:
    # sentence_score without effective order warns once per call; the warnings are not under test here
    logger = logging.getLogger("sacrebleu")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("kind", ["bleu", "chrf", "ter"])
def test_every_option_equals_sacrebleu(kind: str) -> None:
    @settings(max_examples=EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
    @given(options=_OPTIONS[kind], data=corpus(long=kind != "ter"))
    def run(options: dict[str, Any], data: tuple[list[str], list[list[str]]]) -> None:
        _compare(kind, options, *data)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["bleu", "chrf", "ter"])
def test_every_option_equals_sacrebleu_long_run(kind: str) -> None:
    @settings(max_examples=SLOW_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
    @given(options=_OPTIONS[kind], data=corpus(max_segments=10))
    def run(options: dict[str, Any], data: tuple[list[str], list[list[str]]]) -> None:
        _compare(kind, options, *data)

    run()


# evalkit's own API (prepare: the options evalkit score uses, chosen by target language) against sacrebleu
_PREPARE = st.sampled_from(
    [("bleu", "en", {}), ("bleu", "zh", {}), ("bleu", "en", {"lowercase": True}), ("bleu", "en", {"tokenize": "intl"}),
     ("chrf", "en", {}), ("chrf", "en", {"lowercase": True}), ("chrf++", "en", {}), ("chrf++", "zh", {}),
     ("ter", "en", {}), ("ter", "zh", {}), ("ter", "en", {"ter_asian": True}), ("ter", "en", {"lowercase": False})]  # fmt: skip
)


def _sacrebleu_for(name: str, lang: str, kw: dict[str, Any], sentence: bool) -> Any:
    zh = lang == "zh"
    if name == "bleu":
        return BLEU(tokenize=kw.get("tokenize", "zh" if zh else "13a"), lowercase=kw.get("lowercase", False),
                    effective_order=sentence)  # fmt: skip
    if name in {"chrf", "chrf++"}:
        return CHRF(word_order=2 if name == "chrf++" and not zh else 0, lowercase=kw.get("lowercase", False))
    asian = kw.get("ter_asian", zh)
    return TER(normalized=asian, asian_support=asian, case_sensitive=not kw.get("lowercase", True))


@settings(max_examples=EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
@given(case=_PREPARE, data=corpus(long=False))
def test_evalkit_api_equals_sacrebleu(case: tuple[str, str, dict[str, Any]], data: tuple[list[str], list[list[str]]]) -> None:
    name, lang, kw = case
    hyps, refs = data
    prepared = prepare(name, refs, tgt_lang=lang, **kw)
    corpus_metric, sentence_metric = _sacrebleu_for(name, lang, kw, False), _sacrebleu_for(name, lang, kw, True)
    score = prepared.score(hyps, n_bootstrap=1)
    assert score.score == corpus_metric.corpus_score(hyps, refs).score
    assert score.signature == corpus_metric.get_signature().format()  # num_refs set by corpus_score
    expected = [sentence_metric.sentence_score(h, [r[i] for r in refs]).score for i, h in enumerate(hyps)]
    assert prepared.sentence(hyps) == expected
