"""Reference-based metrics through sacrebleu 2.6.0: BLEU, chrF, chrF++ and TER, corpus and sentence level.

The only module of evalkit that imports sacrebleu. Every number comes from sacrebleu's metric classes
and carries sacrebleu's signature (``nrefs:1|case:mixed|eff:no|tok:zh|smooth:exp|version:2.6.0``).
Corpus scores are computed from pooled sufficient statistics (never an average of sentence scores).

References are *streams*: ``refs[k][i]`` is reference k for segment i, one stream per reference
translation, each as long as the hypotheses. The transposed shape (one list per segment) makes
sacrebleu silently score only the first segments, so shapes are checked here and mismatches raise
:class:`~evalkit.errors.InputError` naming the counts. With several references, chrF keeps per segment the
reference with the best F-score and a tie goes to the earlier stream, so the order of streams can move
chrF in the second decimal (WMT22's official chrF with both references used stream B, then A); BLEU does
not depend on the order.

Settings follow the target language (all overridable):

- BLEU tokenizer ``zh`` for a Chinese target, ``13a`` otherwise (:func:`tokenizer_for`).
- chrF++ on a Chinese target uses word order 0 (so it equals chrF, signature ``nw:0``): chrF++ takes word
  n-grams from whitespace splitting, and unsegmented Chinese has no spaces, so a whole sentence would
  be one "word" that almost never matches (:data:`CHRF_PLUS_ZH_NOTE`).
- TER on a Chinese target uses ``normalized`` + ``asian_support`` (signature ``norm:yes|asian:yes``),
  which splits CJK into characters; Tercom splits on whitespace only, which for Chinese would again make
  a sentence one word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU, CHRF, TER

from ..errors import InputError, UsageError
from ..records import Score
from ..stats import DEFAULT_SEED, bootstrap, score_rows

__all__ = [
    "CHRF_PLUS_ZH_NOTE",
    "METRICS",
    "TER_ZH_NOTE",
    "MetricRefs",
    "check_streams",
    "corpus_score",
    "corpus_scores",
    "make_metric",
    "note_for",
    "prepare",
    "sentence_scores",
    "tokenizer_for",
]

# The sacrebleu metrics `make_metric` builds; the registry (`evalkit.metrics.base.METRICS`) declares them.
METRICS = ("bleu", "chrf", "chrf++", "ter")
_UNSEGMENTED = frozenset({"zh"})  # targets written without spaces between words
CHRF_PLUS_ZH_NOTE = (
    "chrF++ computed with word order 0 (nw:0, equal to chrF) for a Chinese target: its word n-grams "
    "come from whitespace splitting, which makes one 'word' of an unsegmented Chinese sentence"
)
TER_ZH_NOTE = "TER with normalized + asian_support for a Chinese target: CJK split into characters"


def _base_lang(lang: str) -> str:
    return lang.lower().replace("_", "-").split("-")[0]


def tokenizer_for(lang: str) -> str:
    """The BLEU tokenizer for a target language: ``"zh"`` for Chinese (``zh``, ``zh-Hans``, ...), else ``"13a"``.

    Japanese and Korean also get ``13a``: sacrebleu's ``ja-mecab``/``ko-mecab`` need MeCab, which evalkit does
    not install; pass ``tokenize=`` to choose another.
    """
    return "zh" if _base_lang(lang) == "zh" else "13a"


def note_for(
    metric: str, tgt_lang: str, *, chrf_word_order: int | None = None, ter_asian: bool | None = None
) -> str | None:
    """Why a metric's settings differ from its usual default for this target language, or None."""
    unsegmented = _base_lang(tgt_lang) in _UNSEGMENTED
    if metric == "chrf++" and unsegmented and chrf_word_order is None:
        return CHRF_PLUS_ZH_NOTE
    if metric == "ter" and unsegmented and ter_asian is None:
        return TER_ZH_NOTE
    return None


def make_metric(
    metric: str,
    *,
    tgt_lang: str,
    tokenize: str | None = None,
    lowercase: bool | None = None,
    chrf_word_order: int | None = None,
    ter_asian: bool | None = None,
    sentence: bool = False,
    references: Sequence[Sequence[str]] | None = None,
) -> Any:
    """A sacrebleu metric object for ``"bleu"``, ``"chrf"``, ``"chrf++"`` or ``"ter"`` and the target language.

    ``lowercase=None`` keeps sacrebleu's default per metric (BLEU/chrF case-sensitive, TER not).
    ``sentence=True`` gives BLEU ``effective_order=True`` (sacrebleu's sentence_bleu). ``references``
    (streams, already checked) fills sacrebleu's reference cache.
    """
    unsegmented = _base_lang(tgt_lang) in _UNSEGMENTED
    if metric == "bleu":
        return BLEU(
            tokenize=tokenize or tokenizer_for(tgt_lang),
            lowercase=bool(lowercase),
            effective_order=sentence,
            references=references,
        )
    if metric in {"chrf", "chrf++"}:
        if chrf_word_order is None:
            chrf_word_order = 2 if metric == "chrf++" and not unsegmented else 0
        return CHRF(word_order=chrf_word_order, lowercase=bool(lowercase), references=references)
    if metric == "ter":
        asian = unsegmented if ter_asian is None else ter_asian
        case_sensitive = False if lowercase is None else not lowercase
        return TER(normalized=asian, asian_support=asian, case_sensitive=case_sensitive, references=references)
    raise UsageError(f"unknown metric {metric!r}", f"use one of {', '.join(METRICS)}")


_STREAMS = "pass refs as a list of streams: refs[k][i] is reference k of segment i"


def _type(value: object) -> str:
    return type(value).__name__


def _check_hyps(hyps: Sequence[str]) -> list[str]:
    if isinstance(hyps, str) or not isinstance(hyps, Sequence):
        what = f"hypotheses must be a list of strings, got {_type(hyps)}"
        raise InputError(None, what, "pass one string per segment")
    if not hyps:
        raise InputError(None, "no hypotheses to score", "pass at least one segment")
    for i, hyp in enumerate(hyps):
        if not isinstance(hyp, str):
            raise InputError(None, f"hypothesis {i + 1} is {_type(hyp)}, not a string", "pass one string per segment")
    return list(hyps)


def _check_refs(refs: Sequence[Sequence[str]], n: int | None) -> list[list[str]]:
    """Reference streams as lists, each ``n`` long (``n=None``: as long as the first stream)."""
    if isinstance(refs, str) or not isinstance(refs, Sequence) or not refs:
        raise InputError(None, "no reference streams", _STREAMS)
    if all(isinstance(r, str) for r in refs):
        what = f"references are a flat list of {len(refs)} strings, not a list of streams"
        raise InputError(None, what, "wrap one reference stream as [refs]")
    for k, stream in enumerate(refs, start=1):
        if isinstance(stream, str) or not isinstance(stream, Sequence):
            raise InputError(None, f"reference stream {k} is {_type(stream)}, not a list of strings", _STREAMS)
        expected = f"there are {n} hypotheses"
        if n is None:
            n, expected = len(stream), f"stream 1 has {len(stream)}"
        if len(stream) != n:
            what = f"reference stream {k} has {len(stream)} segments but {expected}"
            raise InputError(None, what, _shape_fix(len(refs), n))
        for i, ref in enumerate(stream, start=1):
            if not isinstance(ref, str):
                what = f"reference stream {k}, segment {i} is {_type(ref)}, not a string"
                raise InputError(None, what, "use '' for an empty reference")
    return [list(stream) for stream in refs]


def _shape_fix(n_streams: int, n_segments: int) -> str:
    if n_streams == n_segments:
        return (
            f"refs looks transposed ({n_streams} lists for {n_segments} segments): "
            "pass streams, e.g. [list(s) for s in zip(*refs)]"
        )
    return "give every reference stream one line per hypothesis"


def check_streams(hyps: Sequence[str], refs: Sequence[Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    """Check hypotheses and reference streams (``refs[k][i]``) and return them as lists.

    Raises InputError naming the counts when a stream's length differs from the hypotheses', and says
    so when ``refs`` looks transposed (one list per segment instead of one per reference). A transposed
    square input (as many references as segments) cannot be told apart and is taken as streams.
    """
    checked = _check_hyps(hyps)
    return checked, _check_refs(refs, len(checked))


@dataclass(frozen=True, eq=False)
class MetricRefs:
    """One metric with its reference streams prepared once (sacrebleu's reference cache), to score many systems.

    Build it with :func:`prepare`.

    ``metric`` is the sacrebleu object for corpus scores, ``sentence_metric`` the one for sentence scores
    (BLEU with effective order). ``note`` says why a setting differs from the metric's usual default.
    """

    name: str
    metric: Any
    sentence_metric: Any
    n_segments: int
    n_refs: int
    note: str | None = None
    refs: tuple[list[str], ...] | None = None  # the streams, when statistics come from evalkit.metrics.fast

    def stats(self, hyps: Sequence[str]) -> np.ndarray:
        """Per-segment sufficient statistics, (segments, k): int64 counts (float64 for TER)."""
        checked = _check_hyps(hyps)
        if len(checked) != self.n_segments:
            what = f"{len(checked)} hypotheses for reference streams of {self.n_segments} segments"
            raise InputError(None, what, _shape_fix(self.n_refs, len(checked)))
        # --- fast-path hook (issue 6): the same matrix as sacrebleu's, from evalkit.metrics.fast (C kernel,
        # chunked, threaded; sacrebleu in chunks when the kernel is absent or the settings are not covered).
        if self.refs is not None:
            from .fast import extract_stats

            return extract_stats(self.metric, checked, self.refs)
        # --- end of hook
        return np.array(self.metric._extract_corpus_statistics(checked, None))

    def signature(self, n_bootstrap: int = 0, seed: int | None = DEFAULT_SEED, *, sentence: bool = False) -> str:
        """sacrebleu's signature; with ``n_bootstrap`` > 1 it holds ``bs:N|seed:S`` as ``sacrebleu --confidence``."""
        sig = (self.sentence_metric if sentence else self.metric).get_signature()
        if n_bootstrap > 1:
            sig.update("bs", n_bootstrap)
            sig.update("seed", str(seed).lower())
        return sig.format()

    def score(self, hyps: Sequence[str], *, n_bootstrap: int = 1000, seed: int | None = DEFAULT_SEED) -> Score:
        """Corpus score from pooled statistics, with a 95% bootstrap interval when ``n_bootstrap`` > 1."""
        return self.score_from_stats(self.stats(hyps), n_bootstrap=n_bootstrap, seed=seed)

    def score_from_stats(
        self, stats: np.ndarray, *, n_bootstrap: int = 1000, seed: int | None = DEFAULT_SEED
    ) -> Score:
        """Corpus score from a statistics matrix as :meth:`stats` returns it (extract once, score many ways)."""
        result = self.metric._aggregate_and_compute(stats.tolist())
        extra = _extra(result)
        ci95 = None
        if n_bootstrap > 1:
            bs = bootstrap(stats, self.metric, n_bootstrap, seed)
            ci95 = (bs.low, bs.high)
            extra.update(bs_mean=bs.mean, bs_ci=bs.half_width)
        return Score(result.name, float(result.score), self.signature(n_bootstrap, seed), ci95, extra)

    def sentence(self, hyps: Sequence[str]) -> list[float]:
        """One score per segment, as sacrebleu's sentence_bleu / sentence_chrf / sentence_ter."""
        return self.sentence_from_stats(self.stats(hyps))

    def sentence_from_stats(self, stats: np.ndarray) -> list[float]:
        """One score per row of a statistics matrix as :meth:`stats` returns it."""
        return [float(x) for x in score_rows(self.sentence_metric, stats)]


def _extra(result: Any) -> dict[str, float]:
    # The raw numbers behind the headline score (BLEU's brevity penalty and lengths, chrF's orders, TER's edits).
    if hasattr(result, "bp"):
        names = {"bp": "bp", "ratio": "ratio", "hyp_len": "sys_len", "ref_len": "ref_len"}
        return {key: float(getattr(result, attr)) for key, attr in names.items()}
    if hasattr(result, "word_order"):
        return {key: float(getattr(result, key)) for key in ("char_order", "word_order", "beta")}
    if hasattr(result, "num_edits"):
        return {"num_edits": float(result.num_edits), "ref_length": float(result.ref_length)}
    return {}


def prepare(
    metric: str,
    refs: Sequence[Sequence[str]],
    *,
    tgt_lang: str,
    tokenize: str | None = None,
    lowercase: bool | None = None,
    chrf_word_order: int | None = None,
    ter_asian: bool | None = None,
) -> MetricRefs:
    """Check the reference streams and cache them for ``metric`` (see :func:`make_metric` for the options)."""
    streams = _check_refs(refs, None)
    options: dict[str, Any] = dict(
        tgt_lang=tgt_lang, tokenize=tokenize, lowercase=lowercase, chrf_word_order=chrf_word_order, ter_asian=ter_asian
    )
    # --- fast-path hook (issue 6): no sacrebleu reference cache (5.6 GB for chrF at 100k segments);
    # MetricRefs.stats reads the streams chunk by chunk through evalkit.metrics.fast.
    corpus = make_metric(metric, **options)
    corpus.num_refs = len(streams)  # as sacrebleu's _cache_references sets it (no None references here)
    # --- end of hook
    sentence = make_metric(metric, sentence=True, **options)
    sentence.num_refs = corpus.num_refs  # the signature needs it; sacrebleu sets it when caching references
    note = note_for(metric, tgt_lang, chrf_word_order=chrf_word_order, ter_asian=ter_asian)
    return MetricRefs(metric, corpus, sentence, len(streams[0]), len(streams), note, tuple(streams))


def corpus_score(
    metric: str,
    hyps: Sequence[str],
    refs: Sequence[Sequence[str]],
    *,
    tgt_lang: str,
    n_bootstrap: int = 1000,
    seed: int | None = DEFAULT_SEED,
    **overrides: Any,
) -> Score:
    """One corpus score (BLEU/chrF/chrF++ 0-100, TER >= 0) with its signature and 95% bootstrap interval.

    ``n_bootstrap`` <= 1 skips the interval (``ci95=None``, plain sacrebleu signature).
    """
    hyps, refs = check_streams(hyps, refs)
    return prepare(metric, refs, tgt_lang=tgt_lang, **overrides).score(hyps, n_bootstrap=n_bootstrap, seed=seed)


def corpus_scores(
    hyps: Sequence[str],
    refs: Sequence[Sequence[str]],
    *,
    tgt_lang: str,
    metrics: Sequence[str] = METRICS,
    n_bootstrap: int = 1000,
    seed: int | None = DEFAULT_SEED,
    **overrides: Any,
) -> dict[str, Score]:
    """Corpus scores for several metrics keyed by name (``"bleu"``, ``"chrf"``, ...), each with its 95% interval."""
    hyps, refs = check_streams(hyps, refs)
    return {
        m: prepare(m, refs, tgt_lang=tgt_lang, **overrides).score(hyps, n_bootstrap=n_bootstrap, seed=seed)
        for m in metrics
    }


def sentence_scores(
    hyps: Sequence[str],
    refs: Sequence[Sequence[str]],
    *,
    tgt_lang: str,
    metrics: Sequence[str] = ("bleu", "chrf"),
    **overrides: Any,
) -> dict[str, list[float]]:
    """One value per segment and metric: sentence BLEU (effective order) and chrF 0-100, TER >= 0 as sacrebleu gives.

    Computed from the same statistics as corpus scores, scored row by row; equal to sacrebleu's
    ``sentence_bleu``/``sentence_chrf``/``sentence_ter`` per segment.
    """
    hyps, refs = check_streams(hyps, refs)
    return {m: prepare(m, refs, tgt_lang=tgt_lang, **overrides).sentence(hyps) for m in metrics}
