"""An evalkit metric plug-in: the Jaccard overlap of the characters of the MT output and of a reference.

``charjaccard(t, r) = |chars(t) ∩ chars(r)| / |chars(t) ∪ chars(r)|`` (whitespace ignored), the best over the
segment's references, 0..1. Option ``lowercase=yes|no`` (default no). It shows the whole contract evalkit
asks of a plug-in; evalkit supplies intervals, paired tests, caching, columns and check rules.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CharJaccard"]


class CharJaccard:
    name = "charjaccard"
    label = "charJaccard"
    higher_is_better = True
    needs_reference = True
    range = (0.0, 1.0)
    description = "character-set Jaccard overlap with the best reference, 0..1 (example plug-in)"
    batch_size = 1000

    def __init__(self, lowercase: str = "no") -> None:
        if lowercase not in ("yes", "no"):
            raise TypeError(f"lowercase must be yes or no, got {lowercase!r}")
        self.lowercase = lowercase == "yes"

    @property
    def signature(self) -> str:
        return f"charjaccard|lc:{'yes' if self.lowercase else 'no'}|version:0.1.0"

    def _chars(self, text: str) -> set[str]:
        return {c for c in (text.lower() if self.lowercase else text) if not c.isspace()}

    def score(self, sources: Sequence[str], targets: Sequence[str],
              references: Sequence[Sequence[str]] | None) -> list[float]:
        assert references is not None  # needs_reference: evalkit never calls it without
        out = []
        for i, target in enumerate(targets):
            t = self._chars(target)
            best = 0.0
            for stream in references:
                r = self._chars(stream[i])
                union = t | r
                best = max(best, len(t & r) / len(union) if union else 1.0)
            out.append(best)
        return out
