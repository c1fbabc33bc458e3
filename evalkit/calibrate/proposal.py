"""Proposed thresholds from judged links: the search described in `evalkit.calibrate`, and its report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..config import Thresholds
from ..errors import UsageError
from ..flag import calibrated
from ..records import Flag
from .verdicts import Verdict

__all__ = ["THRESHOLD_CODES", "Calibration", "CodeCalibration", "Figures", "format_calibration", "propose"]

THRESHOLD_CODES = calibrated()  # {code: threshold name} of the rules marked `calibrate` in `evalkit.flag.RULES`


@dataclass(frozen=True)
class Figures:
    """Counts over judged links: ``flagged`` under some thresholds, ``caught`` real problems among
    them, ``false_alarms``; precision = caught/flagged, recall = caught/real (0-1, None if 0/0)."""

    judged: int
    real: int
    flagged: int
    caught: int
    false_alarms: int

    @property
    def precision(self) -> float | None:
        return self.caught / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.real if self.real else None


@dataclass(frozen=True)
class CodeCalibration:
    """One threshold-driven code: its threshold before/after and the figures over its judged flags."""

    code: str
    threshold: str
    current: float
    proposed: float
    before: Figures
    after: Figures
    note: str = ""


@dataclass(frozen=True)
class Calibration:
    """Proposed thresholds with before/after figures per code and over all judged links.

    ``counts``: verdicts per value, ``unjudged`` and ``duplicates`` (same link judged twice: last wins).
    """

    target_recall: float
    current: Thresholds
    proposed: Thresholds
    codes: tuple[CodeCalibration, ...]
    before: Figures
    after: Figures
    counts: dict[str, int] = field(default_factory=dict)


def _fires(flag: Flag, th: dict[str, float]) -> bool:
    name = THRESHOLD_CODES.get(flag.code)
    return name is None or flag.value is None or flag.value < th[name]


def _figures(judged: list[Verdict], th: dict[str, float], code: str | None = None) -> Figures:
    if code is not None:  # over the links with a valued flag of this code, that flag alone
        rows = [(v.real, any(_fires(f, th) for f in v.flags if f.code == code)) for v in judged
                if any(f.code == code and f.value is not None for f in v.flags)]  # fmt: skip
    else:
        rows = [(v.real, any(_fires(f, th) for f in v.flags)) for v in judged]
    return Figures(len(rows), sum(r for r, _ in rows), sum(f for _, f in rows), sum(r and f for r, f in rows),
                   sum(f and not r for r, f in rows))  # fmt: skip


def _cut(lo: float, hi: float) -> float:
    """The roundest number in (lo, hi]: a threshold between two observed values."""
    mid = (lo + hi) / 2
    for digits in range(7):
        r = round(mid, digits)
        if lo < r <= hi:
            return r
    return hi


def _candidates(judged: list[Verdict], code: str, current: float) -> list[float]:
    values = sorted({f.value for v in judged for f in v.flags if f.code == code and f.value is not None and f.value < current})
    return ([values[0]] if values else []) + [_cut(a, b) for a, b in zip(values, values[1:])] + [current]


def propose(verdicts: Iterable[Verdict], current: Thresholds, recall: float = 0.9) -> Calibration:
    """Thresholds that cut false alarms while recall of real problems stays >= ``recall`` (0-1)."""
    if not 0 < recall <= 1:
        raise UsageError(f"--recall {recall} is outside (0, 1]", "give e.g. --recall 0.9")
    latest: dict[tuple[str, str, str, str], Verdict] = {}
    counts: Counter[str] = Counter()
    for v in verdicts:
        key = (v.report, v.document, v.src_ids, v.tgt_ids)
        counts["duplicates"] += key in latest
        latest[key] = v
    judged = [v for v in latest.values() if v.verdict]
    counts.update(v.verdict or "unjudged" for v in latest.values())
    th = current.as_dict()
    best = dict(th)
    notes: dict[str, str] = {}
    for code, name in THRESHOLD_CODES.items():
        fig = _figures(judged, th, code)
        if not fig.judged:
            continue
        if not fig.real:
            notes[code] = "no real problem judged among these flags: kept"
            continue
        feasible = []
        for t in _candidates(judged, code, th[name]):
            f = _figures(judged, {**th, name: t}, code)
            if f.recall is not None and f.recall >= recall:
                feasible.append((f.false_alarms, -t, t))
        if feasible:
            best[name] = min(feasible)[2]
        else:
            notes[code] = f"recall is already below {recall:g} at the current threshold: kept"
    before = _figures(judged, th)
    goal = min(recall, before.recall if before.recall is not None else 1.0)
    while (now := _figures(judged, best).recall or 1.0) < goal:
        # Raise back the code whose smallest recall-raising step adds the fewest false alarms.
        steps = []
        for code, name in THRESHOLD_CODES.items():
            for t in (t for t in _candidates(judged, code, th[name]) if t > best[name]):
                f = _figures(judged, {**best, name: t})
                if (f.recall or 0.0) > now:
                    steps.append((f.false_alarms, -(f.recall or 0.0), code, t))
                    break
        if not steps:
            break
        _, _, code, t = min(steps)
        best[THRESHOLD_CODES[code]] = t
        notes[code] = f"raised back so that recall over all flags stays >= {goal:.2f}"
    proposed = current.updated({k: best[k] for k in THRESHOLD_CODES.values()}, "calibration")
    codes = tuple(
        CodeCalibration(code, name, th[name], best[name], _figures(judged, th, code), _figures(judged, best, code), notes.get(code, ""))
        for code, name in THRESHOLD_CODES.items()
        if _figures(judged, th, code).judged
    )
    return Calibration(recall, current, proposed, codes, before, _figures(judged, best), dict(counts))


def _pr(f: Figures) -> str:
    p, r = f.precision, f.recall
    return f"P {'-' if p is None else f'{p:.2f}'} R {'-' if r is None else f'{r:.2f}'} FA {f.false_alarms}"


def format_calibration(c: Calibration) -> str:
    """A short plain-text table: per code and overall, precision (P), recall (R), false alarms (FA)."""
    n = c.counts
    lines = [
        f"calibration on {c.before.judged} judged links (real problem {n.get('real_problem', 0)}, fixed "
        f"{n.get('fixed', 0)}, false alarm {n.get('false_alarm', 0)}; {n.get('unjudged', 0)} not judged), "
        f"target recall {c.target_recall:g}",
    ]
    for k in c.codes:
        change = f"{k.threshold} {k.current:g} -> {k.proposed:g}" if k.proposed != k.current else f"{k.threshold} {k.current:g} (kept)"
        lines.append(f"  {k.code:<15} {change:<28} {k.before.judged:>4} judged  {_pr(k.before)}  ->  {_pr(k.after)}"
                     + (f"  ({k.note})" if k.note else ""))  # fmt: skip
    lines.append(f"  {'all flags':<15} {'':<28} {c.before.judged:>4} judged  {_pr(c.before)}  ->  {_pr(c.after)}")
    return "\n".join(lines)
