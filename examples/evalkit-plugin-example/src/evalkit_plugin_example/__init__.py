"""An evalkit metric plug-in: the Jaccard overlap of the characters of the MT output and of a reference.

``charjaccard(t, r) = |chars(t) ∩ chars(r)| / |chars(t) ∪ chars(r)|`` (whitespace ignored), the best over the
segment's references, 0..1. Options: ``lowercase=yes|no`` (default no); ``max_chars=N``: a target of more
than N characters is not scored (NaN) and gets a ``too_long`` flag, as a neural metric does where it would
truncate its input (the optional ``last_flags``). It shows the whole contract evalkit asks of a plug-in;
evalkit supplies intervals, paired tests, caching, columns and check rules.
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

    def __init__(self, lowercase: str = "no", max_chars: str = "") -> None:
        if lowercase not in ("yes", "no"):
            raise TypeError(f"lowercase must be yes or no, got {lowercase!r}")
        if max_chars and not max_chars.isdigit():
            raise TypeError(f"max_chars must be a whole number, got {max_chars!r}")
        self.lowercase = lowercase == "yes"
        self.max_chars = int(max_chars) if max_chars else None
        # optional: flags of the last `score` call, {position in the call: (code, detail, value, threshold)}
        self.last_flags: dict[int, tuple[str, str, float, float]] = {}

    @property
    def signature(self) -> str:
        limit = f"|max:{self.max_chars}" if self.max_chars is not None else ""
        return f"charjaccard|lc:{'yes' if self.lowercase else 'no'}{limit}|version:0.1.0"

    def _chars(self, text: str) -> set[str]:
        return {c for c in (text.lower() if self.lowercase else text) if not c.isspace()}

    def score(self, sources: Sequence[str], targets: Sequence[str],
              references: Sequence[Sequence[str]] | None) -> list[float]:
        assert references is not None  # needs_reference: evalkit never calls it without
        out = []
        self.last_flags = {}
        for i, target in enumerate(targets):
            if self.max_chars is not None and len(target) > self.max_chars:
                self.last_flags[i] = ("too_long", f"too_long: charjaccard reads at most {self.max_chars} characters, "
                                      f"the target has {len(target)}", float(len(target)), float(self.max_chars))
                out.append(float("nan"))
                continue
            t = self._chars(target)
            best = 0.0
            for stream in references:
                r = self._chars(stream[i])
                union = t | r
                best = max(best, len(t & r) / len(union) if union else 1.0)
            out.append(best)
        return out
