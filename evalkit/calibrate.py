"""Calibrate flag thresholds from reviewers' verdicts: fewer false alarms, real problems still caught.

Verdicts come from the report page's JSONL export (one object per line: ``src_ids``, ``tgt_ids``,
``verdict``, ``flags`` or ``reasons``, ``source``, ``target``, ``comment``, ``report``) or from
XLIFF/TMX files written by `evalkit.report.xliff_out` and returned by reviewers. In XLIFF:

- ``subState="evalkit:real-problem"`` / ``"evalkit:false-alarm"`` / ``"evalkit:fixed"`` is that verdict;
- else a target that differs from the one evalkit wrote (``ek:targetHash``) is ``fixed``;
- else ``state="reviewed"`` or ``"final"`` (target unchanged) is ``false_alarm``;
- else (still ``evalkit:needs-review``) the unit is not judged.

In TMX the ``x-evalkit-state`` prop holds ``real-problem``, ``false-alarm`` or ``fixed``.
``fixed`` counts as a real problem: the flag pointed at something worth changing.

`propose` moves the three thresholds that rules compare a value against (low_margin -> margin,
low_similarity -> similarity, low_chrf -> chrf). Judged links are the only ground truth, so a
threshold is only ever lowered (raising it would flag links nobody judged). For each code it
searches the cut points between the observed values (equivalent to trying each observed value,
without landing on one) for the one with the fewest false alarms whose recall of real problems
among that code's judged flags stays >= ``recall``; ties keep the higher threshold. If the
link-level recall then falls below ``recall`` (a real problem caught only by two lowered codes),
thresholds are raised back a step at a time until it does not.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Literal

from .config import Thresholds
from .errors import ConfigError, InputError, UsageError
from .flag import REASONS
from .records import Flag

__all__ = [
    "Calibration",
    "CodeCalibration",
    "Figures",
    "THRESHOLD_CODES",
    "Verdict",
    "config_path_for",
    "format_calibration",
    "load_verdict_map",
    "load_verdicts",
    "propose",
    "write_thresholds",
]

VerdictValue = Literal["real_problem", "false_alarm", "fixed"]
VERDICTS: tuple[str, ...] = ("real_problem", "false_alarm", "fixed")
THRESHOLD_CODES = {"low_margin": "margin", "low_similarity": "similarity", "low_chrf": "chrf"}
_DETAIL = re.compile(r"^(\w+):\s*(-?\d+(?:\.\d+)?)\s*<\s*(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Verdict:
    """A reviewer's verdict on one flagged link; ``verdict`` None: seen but not judged.

    ``src_ids``/``tgt_ids`` are space-separated segment indices as in pairs.csv ("3 4");
    ``origin`` is ``file:line`` where the verdict was read; ``document`` names the document of a
    report over several (ids restart in each), else "".
    """

    src_ids: str
    tgt_ids: str
    verdict: VerdictValue | None
    flags: tuple[Flag, ...] = ()
    source: str = ""
    target: str = ""
    comment: str = ""
    report: str = ""
    origin: str = ""
    document: str = ""

    @property
    def real(self) -> bool:
        """A real problem (``real_problem`` or ``fixed``)."""
        return self.verdict in ("real_problem", "fixed")


def _verdict_value(raw: object, path: Path, line: int | None) -> VerdictValue | None:
    if raw is None or raw == "":
        return None
    value = str(raw).strip().lower().replace("-", "_").replace(" ", "_").removeprefix("evalkit:")
    if value not in VERDICTS:
        raise InputError(path, f"verdict {raw!r} is not one of {', '.join(VERDICTS)}", "fix the verdict", line=line)
    return value  # type: ignore[return-value]


def _ids(raw: object) -> str:
    if isinstance(raw, list | tuple):
        return " ".join(str(x) for x in raw)
    return " ".join(str(raw if raw is not None else "").split())


def _flag_from_detail(detail: str, code: str | None = None) -> Flag:
    m = _DETAIL.match(detail)
    code = code or (detail.split(":", 1)[0].strip() if ":" in detail else detail.strip())
    if m and m.group(1) == code:
        return Flag(code, detail, float(m.group(2)), float(m.group(3)))  # type: ignore[arg-type]
    return Flag(code, detail)  # type: ignore[arg-type]


def _float(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _jsonl(path: Path) -> list[Verdict]:
    out: list[Verdict] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read the verdicts: {exc}", "give the JSONL exported by the report page") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON: {exc.msg} at column {exc.colno}", "one JSON object per line", line=n) from None
        if not isinstance(obj, dict) or "src_ids" not in obj or "tgt_ids" not in obj:
            raise InputError(path, "expected an object with src_ids, tgt_ids and verdict", "export verdicts from the report page", line=n)
        flags: list[Flag] = []
        for f in obj.get("flags") or []:
            if not isinstance(f, dict) or "code" not in f:
                raise InputError(path, f"a flag must be an object with a code, got {f!r:.60}", "fix the flags list", line=n)
            try:
                value = None if f.get("value") is None else float(f["value"])
                threshold = None if f.get("threshold") is None else float(f["threshold"])
            except (TypeError, ValueError):
                raise InputError(path, f"flag {f['code']}: value/threshold is not a number", "fix the flag", line=n) from None
            flags.append(Flag(str(f["code"]), str(f.get("detail") or f["code"]), value, threshold))  # type: ignore[arg-type]
        if not flags:
            reasons = obj.get("reasons") or []
            codes = reasons.split(";") if isinstance(reasons, str) else list(reasons)
            flags = [Flag(str(c).strip(), str(c).strip()) for c in codes if str(c).strip()]  # type: ignore[arg-type]
        out.append(Verdict(
            _ids(obj["src_ids"]), _ids(obj["tgt_ids"]), _verdict_value(obj.get("verdict"), path, n), tuple(flags),
            str(obj.get("source") or ""), str(obj.get("target") or ""), str(obj.get("comment") or ""),
            str(obj.get("report") or ""), f"{path}:{n}", str(obj.get("document") or ""),
        ))  # fmt: skip
    return out


def _xml(path: Path, tmx: bool) -> list[Verdict]:
    from .io.tmx import read_tmx_units
    from .io.xliff import read_xliff_units
    from .report.xliff_out import EK_NS, target_hash

    units = read_tmx_units(path) if tmx else read_xliff_units(path)
    out: list[Verdict] = []
    for unit in units.units:
        if tmx:
            src, tgt = unit.props.get("x-evalkit-src-ids"), unit.props.get("x-evalkit-tgt-ids")
        else:
            src, tgt = unit.attrs.get(f"{{{EK_NS}}}srcIds"), unit.attrs.get(f"{{{EK_NS}}}tgtIds")
        flags = []
        for note in unit.notes:  # TMX: every note naming a reason; XLIFF: the evalkit notes
            flag = _flag_from_detail(note.text, note.attrs.get(f"{{{EK_NS}}}code"))
            if flag.code in REASONS and (tmx or note.category == "evalkit"):
                value, threshold = _float(note.attrs.get(f"{{{EK_NS}}}value")), _float(note.attrs.get(f"{{{EK_NS}}}threshold"))
                flags.append(replace(flag, value=flag.value if value is None else value,
                                     threshold=flag.threshold if threshold is None else threshold))  # fmt: skip
        if src is None or tgt is None:
            m = re.fullmatch(r"s([\d_]*)-t([\d_]*)", unit.id)
            if not m:
                continue  # not a unit evalkit wrote
            src, tgt = m.group(1).replace("_", " "), m.group(2).replace("_", " ")
        if tmx:
            verdict = _verdict_value(unit.state, path, unit.line) if unit.state != "needs-review" else None
        else:
            sub = (unit.sub_state or "").lower()
            written = unit.attrs.get(f"{{{EK_NS}}}targetHash")
            if sub in ("evalkit:real-problem", "evalkit:false-alarm", "evalkit:fixed"):
                verdict = _verdict_value(sub, path, unit.line)
            elif written and target_hash(unit.target or "") != written:
                verdict = "fixed"
            elif unit.state in ("reviewed", "final"):
                verdict = "false_alarm"
            else:
                verdict = None
        out.append(Verdict(src, tgt, verdict, tuple(flags), unit.source, unit.target or "", "", str(path), f"{path}:{unit.line}"))
    return out


def load_verdicts(paths: Iterable[str | Path]) -> list[Verdict]:
    """Verdicts from JSONL exports (.jsonl/.json/.ndjson) and returned XLIFF (.xlf/.xliff) or TMX files."""
    out: list[Verdict] = []
    for raw in paths:
        path = Path(raw)
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".json", ".ndjson"):
            out += _jsonl(path)
        elif suffix in (".xlf", ".xliff", ".tmx"):
            out += _xml(path, tmx=suffix == ".tmx")
        else:
            raise UsageError(f"{path}: unknown verdicts format {suffix!r}", "give .jsonl, .xlf/.xliff or .tmx files")
    return out


def load_verdict_map(paths: Iterable[str | Path]) -> dict[tuple[str, str], str]:
    """(src_ids, tgt_ids) -> verdict of every judged link (the last one read wins), for the report."""
    verdicts = load_verdicts(paths)
    for v in verdicts:
        if v.document:  # its ids count within one of several documents: they would mark the wrong links
            raise UsageError(f"{v.origin}: the verdict is on {v.document}, from a report over several documents",
                             "show verdicts in one-document reports only (evalkit calibrate reads them all)")  # fmt: skip
    return {(v.src_ids, v.tgt_ids): v.verdict for v in verdicts if v.verdict}


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


def config_path_for(start: Path) -> Path:
    """The file `write_thresholds` should update: the config `evalkit.config.find_config` reads, else
    ``evalkit.toml`` in ``start``."""
    from .config import find_config

    found = find_config(start)
    return found[0] if found else start / "evalkit.toml"


def _toml_value(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def write_thresholds(thresholds: Thresholds, config_path: Path, keys: Iterable[str] | None = None) -> None:
    """Write ``keys`` (default: every threshold) into ``[tool.evalkit.thresholds]`` of a pyproject.toml,
    or ``[thresholds]`` of any other file (evalkit.toml, created if missing), keeping the rest of the
    file as it is (other keys, comments, line endings). Written atomically after re-reading it."""
    from .report.files import atomic_write

    path = Path(config_path)
    pyproject = path.name == "pyproject.toml"
    table = ("tool", "evalkit", "thresholds") if pyproject else ("thresholds",)
    names = [f.name for f in fields(Thresholds)]
    wanted = list(keys) if keys is not None else names
    bad = [k for k in wanted if k not in names]
    if bad:
        raise UsageError(f"unknown threshold {bad[0]!r}", f"use one of: {', '.join(names)}")
    values = {k: getattr(thresholds, k) for k in wanted}
    if not path.exists() and pyproject:
        raise ConfigError(f"{path}: no such file", "give an existing pyproject.toml, or an evalkit.toml to create")
    try:
        text = path.read_bytes().decode("utf-8-sig") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})", "save it as UTF-8") from None
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    lines = text.splitlines()
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(table) + r"\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        data = tomllib.loads(text) if text else {}
        for part in table[:-1]:
            data = data.get(part, {})
        if "thresholds" in data:
            raise ConfigError(f"{path}: thresholds are set inline, not as a [{'.'.join(table)}] table",
                              "move them into that table, or edit the file by hand")  # fmt: skip
        while lines and not lines[-1].strip():
            lines.pop()
        lines += ([""] if lines else []) + [f"[{'.'.join(table)}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].lstrip().startswith("[")), len(lines))
        last = start
        for j in range(start + 1, end):
            m = re.match(r"^(\s*)([A-Za-z0-9_-]+)(\s*=\s*)([^#]*?)(\s*#.*)?$", lines[j])
            if lines[j].strip():
                last = j
            if m and m.group(2) in values:
                lines[j] = f"{m.group(1)}{m.group(2)}{m.group(3)}{_toml_value(values.pop(m.group(2)))}{m.group(5) or ''}"
        lines[last + 1 : last + 1] = [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    new = newline.join(lines) + newline
    try:
        check = tomllib.loads(new)
        for part in table:
            check = check[part]
        for k in wanted:
            if check[k] != getattr(thresholds, k):
                raise KeyError(k)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: could not update the thresholds safely ({exc})", "edit the file by hand") from None
    atomic_write(path, new)
