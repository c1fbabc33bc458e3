"""Fingerprints: what makes two runs comparable (same source, same references, same segments).

SHA-256 of the texts with all whitespace removed, so that re-wrapping or re-segmenting a file changes
nothing while any other character does. The one implementation used by summary.json, the leaderboard,
``evalkit check``, ``--stream`` (chunk by chunk) and the Ray index (line by line).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .records import Report

__all__ = ["fingerprint", "fingerprint_update", "report_fingerprints"]

_WHITESPACE = re.compile(r"\s+")


def fingerprint(texts: Sequence[str]) -> str:
    """SHA-256 (hex) of the texts in order with all whitespace removed.

    Insensitive to whitespace and to how segments are split or merged, sensitive to every other character.
    """
    digest = hashlib.sha256()
    fingerprint_update(digest, texts)
    return digest.hexdigest()


def fingerprint_update(digest: Any, texts: Iterable[str]) -> None:
    """Feed ``texts`` to a ``hashlib.sha256()`` as `fingerprint` does: a stream's fingerprint, chunk by chunk."""
    for text in texts:
        digest.update(_WHITESPACE.sub("", text).encode("utf-8", "surrogatepass"))


def report_fingerprints(report: Report) -> dict[str, Any]:
    """What makes two runs comparable: source and reference fingerprints and the segment count.

    Keys: ``source`` and ``target`` (`fingerprint` of the link texts), ``references`` (one per stream),
    ``segments`` (source segments), ``links``.
    """
    links = report.links
    with_refs = [link for link in links if link.references]
    n_refs = max((len(link.references) for link in with_refs), default=0)
    return {
        "source": fingerprint([link.source for link in links if link.link.src]),
        "target": fingerprint([link.target for link in links if link.link.tgt]),
        "references": [fingerprint([link.references[k] for link in with_refs]) for k in range(n_refs)],
        "segments": sum(len(link.link.src) for link in links),
        "links": len(links),
    }
