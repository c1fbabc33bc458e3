"""Reference translations for a bilingual document: one segment per line, after an optional header.

A header is a block of lines starting with ``#`` at the top of the file (the provenance note of a
reference written for a test set); it is not a segment and is reported as skipped.
"""

from __future__ import annotations

from pathlib import Path

from ..records import Segment
from .document import WHITESPACE
from .encoding import read_text

__all__ = ["read_references"]


def read_references(path: Path, lang: str) -> tuple[Segment, ...]:
    """Non-empty lines after the ``#`` header, each a `Segment` keeping its 1-based line."""
    decoded = read_text(path)
    segments: list[Segment] = []
    in_header = True
    for number, raw in enumerate(decoded.text.split("\n"), start=1):
        text = raw.strip(WHITESPACE)
        if in_header and (text.startswith("#") or not text):
            continue
        in_header = False
        if text:
            segments.append(Segment(text, lang, len(segments), str(path), number))
    return tuple(segments)
