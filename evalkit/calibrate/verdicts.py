"""Reviewers' verdicts on flagged links, read from the report page's JSONL export or from returned XLIFF/TMX
files (the rules are in `evalkit.calibrate`)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from ..errors import InputError, UsageError
from ..flag import REASONS
from ..io.units import TMX_SUFFIXES, UNIT_SUFFIXES
from ..records import Flag

__all__ = ["Verdict", "load_verdict_map", "load_verdicts"]

VerdictValue = Literal["real_problem", "false_alarm", "fixed"]
VERDICTS: tuple[str, ...] = ("real_problem", "false_alarm", "fixed")
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
    from ..io.tmx import read_tmx_units
    from ..io.xliff import read_xliff_units
    from ..report.xliff_out import EK_NS, target_hash

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
        elif suffix in UNIT_SUFFIXES:  # TMX, XLIFF and its dialects (.sdlxliff, ...)
            out += _xml(path, tmx=suffix in TMX_SUFFIXES)
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
