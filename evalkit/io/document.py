"""Read a bilingual document: a source text and its translation in one file.

Layouts: *blocked* (all of one language, then all of the other), *interleaved* (zh, en, zh, en ...)
or *mixed*. Segments: a bullet (``•``, ``-``, ``*``, ``1.``, ``1)`` ...) or a ``#`` heading starts a
new segment; otherwise each non-empty line is one, unless the file is hard-wrapped paragraphs
separated by blank lines (then one paragraph is one segment). The language of each segment comes
from its script (`evalkit.lang.detect_lang`), never from its position; no segment is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from evalkit.errors import InputError
from evalkit.io.encoding import read_text
from evalkit.lang import SCRIPT_LANG, detect_lang, file_lang, line_vote, script_of
from evalkit.records import Segment

__all__ = ["Document", "Layout", "WHITESPACE", "read_document"]

Layout = Literal["blocked", "interleaved", "mixed"]

# str.strip() stops at U+FEFF/U+200B; trim those with every Unicode space (U+3000, NBSP ...).
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "\u200b\u2060\ufeff"
_MARKER = re.compile(
    r"(?P<head>\#{1,6})(?=\s|$)"  # Markdown heading: one segment, never continued
    r"|[•●○◦▪▫■□◆◇►▶▸‣∙·・]"  # symbol bullets need no space after them
    r"|[-*+–—](?=\s|$)"  # ASCII bullets do: "-5%" and "*emphasis*" are text
    r"|(?:[(（]\d{1,3}[)）]|\d{1,3}[.)、．）])(?=\s|$|[^\d.])"  # "1." "1)" "(1)" "1、", not "1.5", "1.2.3"
)
# A line ending in one of these ends a sentence, so the next line is not its hard-wrapped tail.
_TERMINAL = frozenset(".!?:;。！？：；…\"”’)）」』》»")
_WRAP_MIN_WIDTH = 0.6  # a wrapped line fills at least 60% of the widest line in its block


@dataclass(frozen=True)
class Document:
    """A bilingual document split into source and target segments (each side indexed 0..n-1)."""

    path: str
    encoding: str
    layout: Layout
    src: tuple[Segment, ...]
    tgt: tuple[Segment, ...]
    src_lang: str
    tgt_lang: str

    def __post_init__(self) -> None:
        if self.layout not in ("blocked", "interleaved", "mixed"):
            raise ValueError(f"Document.layout must be blocked/interleaved/mixed, got {self.layout!r}")
        if self.src_lang == self.tgt_lang:
            raise ValueError(f"Document.src_lang and tgt_lang must differ, both are {self.src_lang!r}")
        for name, segs in (("src", self.src), ("tgt", self.tgt)):
            if [s.index for s in segs] != list(range(len(segs))):
                raise ValueError(f"Document.{name} indices must be 0..{len(segs) - 1} in order")


@dataclass
class _Line:
    number: int  # 1-based
    indent: int  # columns of leading whitespace
    kind: str  # "bullet", "heading" or "plain"
    body: str  # text without marker, trimmed
    lang: str


@dataclass
class _Seg:
    text: str
    line: int
    lang: str
    kind: str
    indent: int
    block: int


def read_document(path: str | Path, src_lang: str | None = None) -> Document:
    """Read a bilingual document. ``src_lang`` names the source language; by default it is the
    language of the first segment, and the target language is the other one present.

    Raises `InputError` for unreadable files and for documents with fewer than two languages.
    """
    decoded = read_text(path)
    latin = src_lang if src_lang and src_lang not in set(SCRIPT_LANG.values()) - {"en"} else "en"
    blocks = _blocks(decoded.text, latin)
    segs = _segments(blocks, paragraphs=_is_wrapped(blocks), latin=latin)
    counts = Counter(s.lang for s in segs if s.lang != "und")
    src, tgt = _languages(path, counts, segs, src_lang)
    main = [i for i, s in enumerate(segs) if s.lang in (src, tgt)]
    layout = _layout([segs[i].lang for i in main])
    sides = _sides(segs, main, src, tgt, layout)
    if layout != "interleaved":
        sides = _absorb_strays(sides)
        layout = _layout(sides)
        if len(set(sides)) < 2:  # every segment of one language was a stray inside the other's block
            _only_strays(path, segs, sides[0], src if sides[0] == tgt else tgt)
    out: dict[str, list[Segment]] = {src: [], tgt: []}
    for seg, side in zip(segs, sides):
        lang = side if seg.lang == "und" else seg.lang  # a third script keeps its own language
        out[side].append(Segment(seg.text, lang, len(out[side]), file=str(path), line=seg.line))
    given = src if src_lang else None
    src_named, tgt_named = (_named(out[side], side, latin) if side != given else side for side in (src, tgt))
    if src_named == tgt_named:  # langid named the other side's language: keep what the scripts said
        src_named, tgt_named = src, tgt
    return Document(str(path), decoded.encoding, layout, _relabel(out[src], src, src_named),
                    _relabel(out[tgt], tgt, tgt_named), src_named, tgt_named)  # fmt: skip


def _named(segments: list[Segment], side: str, latin: str) -> str:
    """The language of a side read as ``latin`` (Latin letters, language not given): the one langid names
    for most of its segments (`evalkit.lang.file_lang`), so a Chinese-German document has a German side."""
    if side != latin:
        return side
    named = file_lang(line_vote(s.text) for s in segments if s.lang == side)
    return named if named != "und" else side


def _relabel(segments: list[Segment], side: str, named: str) -> tuple[Segment, ...]:
    """``segments`` with the side's language ``side`` renamed ``named`` (a third script's segments keep theirs)."""
    if named == side:
        return tuple(segments)
    return tuple(replace(s, lang=named) if s.lang == side else s for s in segments)


def _blocks(text: str, latin: str) -> list[list[_Line]]:
    """Non-blank lines grouped into blocks separated by blank lines."""
    blocks: list[list[_Line]] = [[]]
    for number, raw in enumerate(text.split("\n"), 1):
        stripped = raw.lstrip(WHITESPACE)
        if not stripped.rstrip(WHITESPACE):
            if blocks[-1]:
                blocks.append([])
            continue
        indent = len(raw) - len(stripped)
        m = _MARKER.match(stripped)
        kind = "plain" if m is None else "heading" if m.group("head") else "bullet"
        body = (stripped[m.end() :] if m else stripped).strip(WHITESPACE)
        blocks[-1].append(_Line(number, indent, kind, body, detect_lang(body, latin)))
    return [b for b in blocks if b]


def _width(text: str) -> int:
    """Display columns: wide (CJK) characters count 2."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_wrapped(blocks: list[list[_Line]]) -> bool:
    """True when some block holds two unmarked lines of one language where the first looks cut
    by a hard wrap: it does not end a sentence and fills most of the block's width."""
    for block in blocks:
        widest = max(_width(line.body) for line in block)
        for a, b in zip(block, block[1:]):
            if (
                a.kind == b.kind == "plain"
                and a.lang == b.lang != "und"
                and a.body[-1] not in _TERMINAL
                and _width(a.body) >= _WRAP_MIN_WIDTH * widest
            ):
                return True
    return False


def _is_cjk(ch: str) -> bool:
    return script_of(ch) in ("Han", "Kana") or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


def _join(head: str, tail: str) -> str:
    """Join a hard-wrapped line to its segment: no space around Han/Kana, one space otherwise."""
    if not head or not tail:
        return head or tail
    return head + ("" if _is_cjk(head[-1]) or _is_cjk(tail[0]) else " ") + tail


def _segments(blocks: list[list[_Line]], *, paragraphs: bool, latin: str) -> list[_Seg]:
    """Lines to segments, in document order."""
    segs: list[_Seg] = []
    for b, block in enumerate(blocks):
        for line in block:
            last = segs[-1] if segs and segs[-1].block == b else None
            if last is not None and _continues(line, last, paragraphs):
                last.text = _join(last.text, line.body)
                last.lang = detect_lang(last.text, latin)
            else:
                segs.append(_Seg(line.body, line.number, line.lang, line.kind, line.indent, b))
    return segs


def _continues(line: _Line, last: _Seg, paragraphs: bool) -> bool:
    """An unmarked line continues the segment before it in its block when their languages agree
    and either the file is paragraphs or the line is indented under a bullet."""
    if line.kind != "plain" or last.kind == "heading":
        return False
    if line.lang != last.lang and "und" not in (line.lang, last.lang):
        return False
    return paragraphs or (last.kind == "bullet" and line.indent > last.indent)


def _languages(path: str | Path, counts: Counter[str], segs: list[_Seg], src_lang: str | None) -> tuple[str, str]:
    """Source and target language: the two most frequent scripts' languages."""
    found = ", ".join(f"{lang} ({n})" for lang, n in counts.most_common()) or "none"
    if src_lang is not None and src_lang not in counts:
        raise InputError(
            path, f"src_lang={src_lang!r} but no segment is in that language (found: {found})",
            "pass the source language as detected from its script, e.g. src_lang='zh'",
        )  # fmt: skip
    if len(counts) < 2:
        only = next(iter(counts), None)
        what = (
            f"the document has only {only} segments ({counts[only]})"
            if only
            else "no segment has letters to tell its language" if segs else "the document has no text"
        )
        raise InputError(
            path, what + ", so there is no translation to pair with",
            "put source and translation in one file (one block after the other, or alternating lines), "
            "or give them as two line-aligned files with read_parallel(src, tgt)",
        )  # fmt: skip
    first_seen = {s.lang: i for i, s in reversed(list(enumerate(segs)))}
    top = sorted(counts, key=lambda lang: (-counts[lang], first_seen[lang]))
    if src_lang is None:
        src_lang = min(top[:2], key=lambda lang: first_seen[lang])
    tgt_lang = next(lang for lang in top if lang != src_lang)
    return src_lang, tgt_lang


def _only_strays(path: str | Path, segs: list[_Seg], kept: str, lost: str) -> None:
    """Raise: the ``lost`` language appears only as lines inside ``kept`` blocks, so nothing pairs."""
    lines = [s.line for s in segs if s.lang == lost]
    raise InputError(
        path, f"the document is {kept}; its {len(lines)} {lost} segment(s) (line {', '.join(map(str, lines[:5]))}) "
        f"sit inside {kept} text, so there is no translation to pair with",
        "put source and translation in one file (one block after the other, or alternating lines), "
        "or give them as two line-aligned files (`evalkit score --src S --tgt T`)", line=lines[0],
    )  # fmt: skip


def _layout(langs: list[str]) -> Layout:
    """Blocked: one run per language. Interleaved: at least 80% of segments sit in runs of one or
    two (a merged or split translation makes a run of two). Anything else is mixed."""
    runs = [1]
    for a, b in zip(langs, langs[1:]):
        if a == b:
            runs[-1] += 1
        else:
            runs.append(1)
    if len(runs) <= 2:
        return "blocked"
    return "interleaved" if sum(n for n in runs if n <= 2) >= 0.8 * len(langs) else "mixed"


def _absorb_strays(sides: list[str], block: int = 3) -> list[str]:
    """A lone segment of the other language inside a block (at least ``block`` segments of one
    language on both sides) belongs to that block: it is an untranslated or pasted segment, not
    a translation of its neighbours. It keeps its own language, so the checks flag it."""
    out = list(sides)
    for i in range(block, len(sides) - block):
        before, after = sides[i - block : i], sides[i + 1 : i + 1 + block]
        if sides[i] != sides[i - 1] and len(set(before + after)) == 1:
            out[i] = sides[i - 1]
    return out


def _sides(segs: list[_Seg], main: list[int], src: str, tgt: str, layout: Layout) -> list[str]:
    """The side (by language) of every segment. A segment without letters or in a third script
    joins the block it sits in: the side of the segment before it (or after it, at the start);
    in an interleaved document it takes its turn: the side opposite the one before it."""
    sides = [s.lang if s.lang in (src, tgt) else "" for s in segs]
    other = {src: tgt, tgt: src}
    for i, side in enumerate(sides):
        if side:
            continue
        before = next((sides[j] for j in range(i - 1, -1, -1) if sides[j]), None)
        if before is None:
            sides[i] = segs[main[0]].lang
        else:
            sides[i] = other[before] if layout == "interleaved" else before
    return sides
