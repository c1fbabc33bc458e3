"""Exact sacrebleu sufficient statistics, fast: a small C kernel, in chunks, on every core.

:func:`extract_stats` returns the same per-segment matrix as sacrebleu 2.6.0's
``metric._extract_corpus_statistics(hyps, refs)`` (BLEU: int64 ``[hyp_len, ref_len, correct x4, total x4]``;
chrF/chrF++: int64 ``[hyp, ref, match]`` per order; TER: float64 ``[edits, mean ref length]``), so every
sentence and corpus score computed from it equals sacrebleu's. It never builds sacrebleu's
all-references cache (5.6 GB for chrF at 100k segments): references are read chunk by chunk.

Two paths, chosen per call:

- the compiled kernel ``evalkit._kernels._fast`` (built by ``pip install`` when a C compiler is present), for
  the configurations ``tests/test_fast_metrics.py`` proves identical: BLEU with the ``13a``, ``zh`` or
  ``none`` tokenizer and n-gram order <= 4; chrF with char order <= 6, word order <= 4, no eps smoothing;
  TER with any options (its tokenizer runs in Python, sacrebleu's own function, twice on references as
  sacrebleu does). Lower-casing is Python's
  ``str.lower``. Chunks run on a thread pool (the kernel releases the GIL).
- otherwise sacrebleu itself, chunk by chunk (no compiler needed; the same numbers by construction).

``EVALKIT_NO_KERNEL=1`` forces the sacrebleu path (used by the tests and ``bench/``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["CHUNK", "extract_stats", "kernel", "kernel_kind", "workers", "zh_ranges"]

CHUNK = 2000  # segments per chunk: bounds the text copied into C at once and balances the threads
_TOKENIZERS = {"Tokenizer13a": 1, "TokenizerZh": 2, "NoneTokenizer": 0}  # sacrebleu class -> kernel mode
_KERNEL: ModuleType | None = None
_LOADED = False


def zh_ranges() -> list[tuple[int, int]]:
    """Inclusive code point ranges that sacrebleu's ``TokenizerZh._is_chinese_char`` accepts.

    Derived from sacrebleu's own ``_UCODE_RANGES`` with Python's string comparison, which that function
    uses: some bounds are two characters long (``'\\u20000'`` is U+2000 followed by ``'0'``), so
    ``('\\u20000', '\\u2a6d6')`` accepts U+2001-U+2A6D (general punctuation such as curly quotes included).
    """
    from sacrebleu.tokenizers.tokenizer_zh import _UCODE_RANGES

    out = []
    for start, end in _UCODE_RANGES:
        lo = ord(start[0]) + (1 if len(start) > 1 else 0)  # a longer start sorts after its first character
        hi = ord(end[0])  # a character equal to end's first is <= end whatever follows
        if lo <= hi:
            out.append((lo, hi))
    return out


def kernel() -> ModuleType | None:
    """The compiled module, or None (not built, or ``EVALKIT_NO_KERNEL`` set)."""
    global _KERNEL, _LOADED
    if os.environ.get("EVALKIT_NO_KERNEL"):
        return None
    if not _LOADED:
        _LOADED = True
        try:
            from .._kernels import _fast  # type: ignore[attr-defined]
        except ImportError:
            return None
        _fast.set_zh_ranges(zh_ranges())
        _KERNEL = _fast
    return _KERNEL


def kernel_kind(metric: Any) -> str | None:
    """``"bleu"``, ``"chrf"`` or ``"ter"`` when the kernel handles this sacrebleu metric object, else None."""
    if kernel() is None:
        return None
    kind = type(metric).__name__
    if kind == "BLEU":
        ok = type(metric.tokenizer).__name__ in _TOKENIZERS and 1 <= metric.max_ngram_order <= 4
        return "bleu" if ok else None
    if kind == "CHRF":
        ok = (
            1 <= metric.char_order <= 6
            and 0 <= metric.word_order <= 4
            and not metric.eps_smoothing
            and isinstance(metric.beta, int)
        )
        return "chrf" if ok else None
    if kind == "TER":
        return "ter"
    return None


def workers() -> int:
    """Threads for the kernel: the CPUs this process may use (``EVALKIT_THREADS`` overrides)."""
    if env := os.environ.get("EVALKIT_THREADS"):
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _lower(hyps: list[str], refs: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    return [h.lower() for h in hyps], [[r.lower() for r in stream] for stream in refs]


def _bleu_chunk(metric: Any, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
    k = kernel()
    assert k is not None
    if metric.lowercase:
        hyps, refs = _lower(hyps, refs)
    order = metric.max_ngram_order
    raw = k.bleu_stats(hyps, refs, _TOKENIZERS[type(metric.tokenizer).__name__], order)
    return np.frombuffer(raw, dtype=np.int64).reshape(len(hyps), 2 + 2 * order)


def _chrf_chunk(metric: Any, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
    k = kernel()
    assert k is not None
    if metric.lowercase:
        hyps, refs = _lower(hyps, refs)
    raw = k.chrf_stats(hyps, refs, metric.char_order, metric.word_order, metric.beta, bool(metric.whitespace))
    return np.frombuffer(raw, dtype=np.int64).reshape(len(hyps), 3 * (metric.char_order + metric.word_order))


def _ter_chunk(metric: Any, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
    k = kernel()
    assert k is not None
    tok = metric.tokenizer
    # TER._preprocess_segment is tokenizer(sent.rstrip()); the tokenizer's lru_cache is skipped (pure function).
    fn = getattr(type(tok).__call__, "__wrapped__", type(tok).__call__)
    t_hyps = [fn(tok, h.rstrip()) for h in hyps]
    # sacrebleu 2.6.0 preprocesses every reference twice: Metric._cache_references calls _preprocess_segment,
    # then TER._extract_reference_info calls it again on the result. Tercom's normalisation is not
    # idempotent ("a's." -> "a 's ." -> "a ' s ."; issue 20), so the kernel gets the twice-tokenized text too.
    t_refs = [[fn(tok, fn(tok, r.rstrip()).rstrip()) for r in stream] for stream in refs]
    raw, redo = k.ter_stats(t_hyps, t_refs)
    out = np.frombuffer(raw, dtype=np.float64).reshape(len(hyps), 2).copy()
    for i in redo:  # a trace sacrebleu cannot follow: let it raise (or answer) as it does
        out[i] = metric._extract_corpus_statistics([hyps[i]], [[stream[i]] for stream in refs])[0]
    return out


_CHUNK_FNS: dict[str, Callable[[Any, list[str], list[list[str]]], np.ndarray]] = {
    "bleu": _bleu_chunk,
    "chrf": _chrf_chunk,
    "ter": _ter_chunk,
}


def _sacrebleu_chunk(metric: Any, hyps: list[str], refs: list[list[str]]) -> np.ndarray:
    # sacrebleu with references passed: it caches only this chunk's references, then drops them.
    return np.array(metric._extract_corpus_statistics(hyps, refs))


def _warn_tokenized(metric: Any, hyps: Sequence[str]) -> None:
    # sacrebleu's Metric._extract_corpus_statistics warning, kept on the fast path.
    if getattr(metric, "_force", True) or sum(h.endswith(" .") for h in hyps) < 100:
        return
    log = logging.getLogger("sacrebleu")
    log.warning("That's 100 lines that end in a tokenized period ('.')")
    log.warning("It looks like you forgot to detokenize your test data, which may hurt your score.")
    log.warning(
        "If you insist your data is detokenized, or don't care, you can suppress this message with the `force` parameter."
    )


def extract_stats(
    metric: Any,
    hyps: Sequence[str],
    refs: Sequence[Sequence[str]],
    *,
    chunk: int = CHUNK,
    threads: int | None = None,
) -> np.ndarray:
    """Per-segment sufficient statistics of ``hyps`` against reference streams ``refs`` (``refs[k][i]``).

    Equal to ``np.array(metric._extract_corpus_statistics(hyps, refs))`` for a sacrebleu BLEU, CHRF or TER
    object; any other metric object goes to sacrebleu in chunks. Shapes are not checked here (see
    :func:`evalkit.metrics.reference.check_streams`). ``threads`` defaults to :func:`workers`.
    """
    n = len(hyps)
    kind = kernel_kind(metric)
    fn = _CHUNK_FNS[kind] if kind else _sacrebleu_chunk
    spans = [(lo, min(n, lo + chunk)) for lo in range(0, n, max(1, chunk))]

    def run(span: tuple[int, int]) -> np.ndarray:
        lo, hi = span
        return fn(metric, list(hyps[lo:hi]), [list(stream[lo:hi]) for stream in refs])

    if kind == "bleu":
        _warn_tokenized(metric, hyps)
    n_threads = min(threads or workers(), len(spans)) if kind else 1
    if n_threads > 1:
        with ThreadPoolExecutor(n_threads) as pool:
            parts = list(pool.map(run, spans))
    else:
        parts = [run(span) for span in spans]
    if not parts:
        return np.array([])  # as sacrebleu for no segments
    return np.concatenate(parts) if len(parts) > 1 else np.array(parts[0])
