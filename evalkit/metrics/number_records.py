"""The records of number matching (`evalkit.metrics.numbers`): a number found in text, and what matching found."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

__all__ = ["Number", "NumberDiff"]


@dataclass(frozen=True)
class Number:
    """A number found in text: candidate ``values`` (the first is the usual reading), the 0-based
    character span ``start``-``end`` of its surface form ``text``, and whether it is ``soft``."""

    values: tuple[float, ...]
    start: int
    end: int
    text: str
    soft: bool = False

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"Number.values must not be empty (text {self.text!r})")

    @property
    def value(self) -> float:
        return self.values[0]

    @cached_property
    def keys(self) -> frozenset[str]:
        """The candidate values to 9 significant digits, so that 3.27亿 and "327 million" compare equal."""
        return frozenset(f"{v:.9g}" for v in self.values)

    def matches(self, other: Number) -> bool:
        """True when a candidate value of one equals one of the other (to 9 significant digits)."""
        return not self.keys.isdisjoint(other.keys)


@dataclass(frozen=True)
class NumberDiff:
    """The outcome of matching: pairs matched one to one, and each side's numbers left over."""

    matched: tuple[tuple[Number, Number], ...]
    src_only: tuple[Number, ...]
    tgt_only: tuple[Number, ...]

    def _counted(self, side: int, only: tuple[Number, ...]) -> tuple[Number, ...]:
        """Leftovers that count: not the value 1 (一个/"a"/"one" come and go in good translations)
        and not a repeat of a number matched on the same side (2019年 ... 2019年 -> 2019 ... "that year")."""
        seen = {pair[side].text for pair in self.matched}
        return tuple(n for n in only if n.value != 1 and n.text not in seen)

    @property
    def src_counted(self) -> tuple[Number, ...]:
        return self._counted(0, self.src_only)

    @property
    def tgt_counted(self) -> tuple[Number, ...]:
        return self._counted(1, self.tgt_only)

    @property
    def mismatch(self) -> bool:
        """A strong number left over on either side, or soft ones on both sides (a changed count)."""
        src, tgt = self.src_counted, self.tgt_counted
        return any(not n.soft for n in src + tgt) or (bool(src) and bool(tgt))
