"""Parallel data from lists of strings in memory (the Python API's input), read as the line-file reader reads
files: each text trimmed of surrounding whitespace, empty texts kept as empty segments, languages detected
by `evalkit.lang.file_lang` (script, then langid) unless given, references in the target's language.

References are *streams*, as sacrebleu takes them: ``references[k][i]`` is reference k of segment i, one
stream per reference translation, each as long as the targets. Any other shape is a `UsageError` that says
the shape given and the shape wanted (never silently reshaped: sacrebleu scores only the first segments of
a transposed list).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import UsageError
from ..records import Segment
from .document import WHITESPACE
from .parallel import Parallel, majority_lang

__all__ = ["parallel_from_texts", "reference_streams", "segments_from_texts", "text_list"]

_STREAMS = "pass references=[stream_1, stream_2, ...], each a list with one string per segment"


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def text_list(name: str, texts: Any) -> list[str]:
    """``texts`` as a list of strings, or a `UsageError` naming ``name`` and the first item that is not a string.

    A list, tuple or pandas Series of strings is accepted; a single string is refused (it is not a list of
    segments, and iterating it would score one character a segment)."""
    if isinstance(texts, str | bytes) or not _is_sequence(texts):
        raise UsageError(f"{name} is {_kind(texts)}, not a list of strings", f"pass {name} as a list with one string per segment")
    out = list(texts)
    for i, text in enumerate(out):
        if not isinstance(text, str):
            raise UsageError(f"{name}[{i}] is {_kind(text)}, not a string", "use '' for an empty segment; never None or NaN")
    return out


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) or (hasattr(value, "__len__") and hasattr(value, "__iter__") and hasattr(value, "dtype"))


def reference_streams(references: Any, n: int, name: str = "references") -> list[list[str]]:
    """Check that ``references`` is a list of streams of ``n`` strings each and return it as lists.

    The messages say the shape given (``k`` lists of ``m`` items, or a flat list of strings) and the shape
    wanted; a transposed list (one list per segment) is named as such."""
    if references is None:
        return []
    if isinstance(references, str | bytes) or not _is_sequence(references):
        raise UsageError(f"{name} is {_kind(references)}, not a list of reference streams", _STREAMS)
    refs = list(references)
    if refs and all(isinstance(r, str) for r in refs):
        raise UsageError(f"{name} is a flat list of {len(refs)} strings; wanted a list of streams, each of {n} strings",
                         f"wrap one reference stream as {name}=[refs]")  # fmt: skip
    streams = [text_list(f"{name}[{k}]", stream) for k, stream in enumerate(refs)]
    lengths = [len(s) for s in streams]
    if any(length != n for length in lengths):
        given = f"{len(streams)} stream(s) of {', '.join(map(str, sorted(set(lengths))))} segments"
        wanted = f"wanted streams of {n} segments (one per target)"
        transposed = len(streams) == n and len(set(lengths)) == 1 and n > 1
        fix = (f"it looks transposed (one list per segment): pass [list(s) for s in zip(*{name})]" if transposed else _STREAMS)
        raise UsageError(f"{name}: {given}; {wanted}", fix)
    return streams


def segments_from_texts(texts: Sequence[str], lang: str | None) -> tuple[Segment, ...]:
    """Segments as the line reader makes them: trimmed, ``line`` = 1-based position, ``lang`` detected
    (`majority_lang`: script, then langid) when not given."""
    trimmed = [t.strip(WHITESPACE) for t in texts]
    lang = lang or majority_lang(trimmed)
    return tuple(Segment(t, lang, i, line=i + 1) for i, t in enumerate(trimmed))


def parallel_from_texts(
    sources: Any, targets: Any, references: Any = None, *, src_lang: str | None = None, tgt_lang: str | None = None
) -> Parallel:
    """Sources, targets (as many) and reference streams as a `Parallel`, as `read_parallel` reads line files."""
    src = text_list("sources", sources)
    tgt = text_list("targets", targets)
    if len(tgt) != len(src):
        raise UsageError(f"targets has {len(tgt)} segments but sources has {len(src)}; they are paired by position",
                         "give one target per source (use '' for a missing translation)")  # fmt: skip
    streams = reference_streams(references, len(tgt))
    src_segs = segments_from_texts(src, src_lang)
    tgt_segs = segments_from_texts(tgt, tgt_lang)
    lang = tgt_segs[0].lang if tgt_segs else tgt_lang or "und"
    refs = tuple(segments_from_texts(s, lang if lang != "und" else None) for s in streams)
    return Parallel(src_segs, tgt_segs, refs, src_segs[0].lang if src_segs else src_lang or "und", lang)
