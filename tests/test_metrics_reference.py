"""evalkit.metrics.reference: sacrebleu's BLEU/chrF/chrF++/TER with language-aware settings and checked shapes.

Expected numbers are computed at test time by sacrebleu 2.6.0's own API (``sacrebleu.compat`` and the
metric classes) on WMT22 segments (``../shared/data``) and on ``tests/data/metrics/edge_segments.jsonl``.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from conftest import wmt22_system
from sacrebleu.compat import corpus_bleu, corpus_chrf, corpus_ter, sentence_bleu, sentence_chrf, sentence_ter
from sacrebleu.metrics import CHRF

from evalkit.errors import InputError, UsageError
from evalkit.metrics import check_streams, corpus_score, corpus_scores, prepare, sentence_scores, tokenizer_for
from evalkit.metrics.reference import METRICS
from evalkit.metrics.reference import CHRF_PLUS_ZH_NOTE, TER_ZH_NOTE, note_for

EDGE = Path(__file__).parent / "data" / "metrics" / "edge_segments.jsonl"


def _wmt(pair: str, n: int, system: str = "JDExploreAcademy") -> tuple[list[str], list[list[str]]]:
    """The first ``n`` segments of a WMT22 system and reference streams A and B."""
    return wmt22_system(pair, system, n)


def _edge_cases() -> list[dict[str, object]]:
    with EDGE.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize(
    ("lang", "tokenizer"),
    [("zh", "zh"), ("zh-Hans", "zh"), ("ZH_tw", "zh"), ("en", "13a"), ("de", "13a"), ("ja", "13a"), ("und", "13a")],
)
def test_tokenizer_follows_target_language(lang: str, tokenizer: str) -> None:
    # zh for Chinese targets, 13a otherwise (evalkit issue 3; sacrebleu's own default is 13a).
    assert tokenizer_for(lang) == tokenizer


# (metric, sacrebleu.compat call, nrefs, segments): TER is slow (Tercom shifts), so fewer segments.
CORPUS_CASES = [
    pytest.param("bleu", lambda h, r: corpus_bleu(h, r, tokenize="13a"), 1, 200, id="bleu-1ref"),
    pytest.param("bleu", lambda h, r: corpus_bleu(h, r, tokenize="13a"), 2, 200, id="bleu-2refs"),
    pytest.param("chrf", lambda h, r: corpus_chrf(h, r), 1, 200, id="chrf-1ref"),
    pytest.param("chrf", lambda h, r: corpus_chrf(h, r), 2, 200, id="chrf-2refs"),
    pytest.param("chrf++", lambda h, r: corpus_chrf(h, r, word_order=2), 2, 200, id="chrf++-2refs"),
    pytest.param("ter", lambda h, r: corpus_ter(h, r), 2, 25, id="ter-2refs"),
]


@pytest.mark.parametrize(("metric", "sacrebleu_fn", "nrefs", "n"), CORPUS_CASES)
def test_corpus_score_equals_sacrebleu(metric: str, sacrebleu_fn, nrefs: int, n: int) -> None:
    hyps, refs = _wmt("zh-en", n)
    refs = refs[:nrefs]
    score = corpus_score(metric, hyps, refs, tgt_lang="en", n_bootstrap=0)
    assert score.score == sacrebleu_fn(hyps, refs).score
    assert score.ci95 is None
    assert score.signature.startswith(f"nrefs:{nrefs}|") and score.signature.endswith("|version:2.6.0")


# Signatures in sacrebleu 2.6.0's format (sacrebleu/metrics/{bleu,chrf,ter}.py), settings from the target language.
SIGNATURES = [
    ("bleu", "en", "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"),
    ("bleu", "zh", "nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp|version:2.6.0"),
    ("chrf", "zh", "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"),
    ("chrf++", "en", "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0"),
    ("chrf++", "zh", "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"),
    ("ter", "en", "nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:2.6.0"),
    ("ter", "zh", "nrefs:1|case:lc|tok:tercom|norm:yes|punct:yes|asian:yes|version:2.6.0"),
]


@pytest.mark.parametrize(("metric", "lang", "signature"), SIGNATURES)
def test_signature_follows_target_language(metric: str, lang: str, signature: str) -> None:
    hyps, refs = ["他们签署了协议。", "中俄两国元首举行会谈。"], [["他们签了协议。", "两国元首举行会谈。"]]
    assert prepare(metric, refs, tgt_lang=lang).signature() == signature
    assert prepare(metric, refs, tgt_lang=lang).score(hyps, n_bootstrap=0).signature == signature


def test_bootstrap_signature_holds_resamples_and_seed() -> None:
    # As `sacrebleu --confidence` prints it: bs and seed after nrefs.
    score = corpus_score("bleu", ["a b c d"], [["a b c e"]], tgt_lang="en", n_bootstrap=50, seed=7)
    assert score.signature == "nrefs:1|bs:50|seed:7|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"


def test_chrf_plus_on_chinese_uses_word_order_zero_and_says_why() -> None:
    hyps, refs = _wmt("en-zh", 100)
    plus = corpus_score("chrf++", hyps, refs, tgt_lang="zh", n_bootstrap=0)
    plain = corpus_score("chrf", hyps, refs, tgt_lang="zh", n_bootstrap=0)
    assert plus.score == plain.score and plus.extra["word_order"] == 0
    assert note_for("chrf++", "zh") == CHRF_PLUS_ZH_NOTE
    assert prepare("chrf++", refs, tgt_lang="zh").note == CHRF_PLUS_ZH_NOTE
    assert note_for("chrf++", "en") is None and note_for("chrf++", "zh", chrf_word_order=2) is None
    assert note_for("ter", "zh") == TER_ZH_NOTE
    forced = corpus_score("chrf++", hyps, refs, tgt_lang="zh", n_bootstrap=0, chrf_word_order=2)
    assert "|nw:2|" in forced.signature
    assert forced.score == corpus_chrf(hyps, refs, word_order=2).score


def test_overrides_reach_sacrebleu() -> None:
    hyps, refs = _wmt("zh-en", 100)
    low = corpus_score("bleu", hyps, refs[:1], tgt_lang="en", n_bootstrap=0, lowercase=True, tokenize="intl")
    assert low.score == corpus_bleu(hyps, refs[:1], lowercase=True, tokenize="intl").score
    assert "case:lc" in low.signature and "tok:intl" in low.signature


def test_corpus_bleu_pools_statistics_instead_of_averaging_sentences() -> None:
    hyps, refs = _wmt("zh-en", 200)
    corpus = corpus_score("bleu", hyps, refs[:1], tgt_lang="en", n_bootstrap=0).score
    sentences = sentence_scores(hyps, refs[:1], tgt_lang="en", metrics=("bleu",))["bleu"]
    assert corpus == corpus_bleu(hyps, refs[:1]).score
    assert abs(corpus - statistics.mean(sentences)) > 1.0  # the average of sentence BLEU is another number


def test_transposed_references_are_rejected() -> None:
    hyps, refs = _wmt("zh-en", 50)
    transposed = [[r] for r in refs[0]]  # one list per segment: the shape sacrebleu misreads
    # sacrebleu itself takes it silently and scores only the first segment against 50 "references".
    assert corpus_bleu(hyps, transposed).score != corpus_bleu(hyps, refs[:1]).score
    with pytest.raises(InputError, match=r"reference stream 1 has 1 segments but there are 50 hypotheses.*transposed"):
        corpus_score("bleu", hyps, transposed, tgt_lang="en")
    with pytest.raises(InputError, match=r"50 hypotheses for reference streams of 1 segments.*transposed"):
        prepare("bleu", transposed, tgt_lang="en").stats(hyps)


@pytest.mark.parametrize(
    ("hyps", "refs", "message"),
    [
        (["a", "b", "c"], [["a", "b", "c"], ["a", "b"]], "reference stream 2 has 2 segments but there are 3 hyp"),
        (["a", "b"], ["a", "b"], "flat list of 2 strings, not a list of streams"),
        (["a"], [], "no reference streams"),
        ([], [[]], "no hypotheses to score"),
        ("a b", [["a b"]], "hypotheses must be a list of strings, got str"),
        (["a", None], [["a", "b"]], "hypothesis 2 is NoneType"),
        (["a", "b"], [["a", None]], "reference stream 1, segment 2 is NoneType"),
    ],
)
def test_bad_shapes_name_the_counts(hyps, refs, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_streams(hyps, refs)


def test_unknown_metric_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown metric 'meteor'"):
        corpus_score("meteor", ["a"], [["a"]], tgt_lang="en")


def _sacrebleu_sentence(metric: str, hyp: str, refs: list[str], lang: str) -> float:
    zh = lang == "zh"
    if metric == "bleu":
        return sentence_bleu(hyp, refs, tokenize=tokenizer_for(lang)).score
    if metric == "chrf":
        return sentence_chrf(hyp, refs).score
    if metric == "chrf++":
        return sentence_chrf(hyp, refs, word_order=0 if zh else 2).score
    return sentence_ter(hyp, refs, normalized=zh, asian_support=zh).score


@pytest.mark.parametrize("metric", METRICS)
def test_sentence_scores_equal_sacrebleu_on_edge_cases(metric: str) -> None:
    for case in _edge_cases():
        hyp, refs, lang = case["hyp"], case["refs"], case["lang"]
        (got,) = sentence_scores([hyp], [[r] for r in refs], tgt_lang=lang, metrics=(metric,))[metric]
        assert got == pytest.approx(_sacrebleu_sentence(metric, hyp, refs, lang), abs=1e-9), case["case"]


@pytest.mark.parametrize(
    ("pair", "metrics", "n"),
    [("zh-en", ("bleu", "chrf", "chrf++"), 150), ("en-zh", ("bleu", "chrf"), 150), ("zh-en", ("ter",), 15)],
)
def test_sentence_scores_equal_sacrebleu_on_wmt22(pair: str, metrics: tuple[str, ...], n: int) -> None:
    tgt = pair.split("-")[1]
    hyps, refs = _wmt(pair, n, "Online-W")
    got = sentence_scores(hyps, refs, tgt_lang=tgt, metrics=metrics)
    for metric in metrics:
        expected = [_sacrebleu_sentence(metric, h, [a, b], tgt) for h, a, b in zip(hyps, *refs)]
        assert len(got[metric]) == n
        assert got[metric] == pytest.approx(expected, abs=1e-9)


def test_sentence_bleu_signature_uses_effective_order() -> None:
    prepared = prepare("bleu", [["a b c"]], tgt_lang="en")
    assert prepared.signature(sentence=True) == "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0"


def test_corpus_scores_gives_every_metric_with_an_interval() -> None:
    hyps, refs = _wmt("zh-en", 30)
    scores = corpus_scores(hyps, refs, tgt_lang="en", n_bootstrap=200, seed=3)
    assert list(scores) == list(METRICS)
    for metric, score in scores.items():
        assert score.ci95 is not None and score.ci95[0] <= score.ci95[1], metric
        assert score.extra["bs_ci"] == pytest.approx((score.ci95[1] - score.ci95[0]) / 2)
        assert "|bs:200|seed:3|" in score.signature
    assert scores["chrf++"].score == CHRF(word_order=2).corpus_score(hyps, refs).score
