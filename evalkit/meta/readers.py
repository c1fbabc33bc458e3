"""Readers of human judgements besides Google's MQM TSV (`evalkit.meta.human`), and `read_human`, which picks one.

- segment-score TSV (``system score seg_id``, e.g. ``mqm_newstest2021_zhen.avg_seg_scores.tsv``; tabs and
  spaces mixed; ``None`` = not rated; ``seg_id`` = 1-based line), with the texts given apart: ``src`` (one
  segment a line) and ``system_dir`` (one file per system whose name holds ``.SYSTEM.``);
- the mt-metrics-eval layout: HUMAN is ``.../<testset>/human-scores/<lp>.<name>.seg.score`` (``system<TAB>score``,
  one line per segment per system); texts from ``sources/<lp>.txt`` and ``system-outputs/<lp>/<system>.txt``;
- evalkit verdict JSONL (`evalkit.calibrate.verdicts`): real_problem/fixed = -1, false_alarm = 0, unjudged = not
  rated; a report is a system, a link an item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError, UsageError
from .human import HumanSet, is_mqm_header, lp_of, read_mqm_tsv

__all__ = ["read_human", "read_mtme", "read_segment_scores", "read_verdicts", "text_lines"]


def text_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}", "check the path") from None
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 ({exc.reason} at byte {exc.start})", "save it as UTF-8") from None
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def _score(raw: str, path: Path, line: int) -> float:
    if raw == "None":
        return float("nan")
    try:
        return float(raw)
    except ValueError:
        raise InputError(path, f"score {raw!r} is not a number or None", "fix the score column", line=line) from None


def _system_files(system_dir: Path, systems: Sequence[str], aliases: dict[str, str]) -> dict[str, Path]:
    """Each system's output file: its name (or its alias, e.g. ``Nemo`` -> ``NVIDIA-NeMo``) between dots."""
    files = sorted(p for p in system_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    found: dict[str, Path] = {}
    for system in systems:
        name = aliases.get(system, system)
        hits = [p for p in files if f".{name}." in p.name or p.stem == name]
        if len(hits) > 1:
            raise InputError(system_dir, f"{len(hits)} files match system {system!r}: "
                             f"{', '.join(p.name for p in hits)}", "keep one output file per system")
        if hits:
            found[system] = hits[0]
    return found


def _texts(human: np.ndarray, systems: tuple[str, ...], src: Path | None, system_dir: Path | None,
           refs: Sequence[Path], origin: Path, aliases: dict[str, str]) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...],
                                                       tuple[tuple[str, ...], ...], list[str]]:
    n_items = human.shape[1]
    warnings: list[str] = []
    sources = text_lines(src) if src else [""] * n_items
    if len(sources) < n_items:
        raise InputError(src, f"{len(sources)} lines, but the scores name segment {n_items}",
                         "give the source the scores were made on")
    targets: list[tuple[str, ...]] = []
    files = _system_files(system_dir, systems, aliases) if system_dir else {}
    for k, system in enumerate(systems):
        if system in files:
            lines = text_lines(files[system])
            if len(lines) != len(sources):
                raise InputError(files[system], f"{len(lines)} lines, the source has {len(sources)}",
                                 "give the output of the same test set")
            targets.append(tuple(lines[:n_items]))
        else:
            targets.append(("",) * n_items)
    missing = [s for s in systems if s not in files]
    if system_dir and missing:
        rated = {s: int(np.isfinite(human[systems.index(s)]).sum()) for s in missing}
        warnings.append(f"{origin}: {len(missing)} system(s) have human scores but no output file in {system_dir}, "
                        "so no metric scores them: " + ", ".join(f"{s} ({n} rated)" for s, n in rated.items()))
    streams = [text_lines(r) for r in refs]
    for r, stream in zip(refs, streams):
        if len(stream) != len(sources):
            raise InputError(r, f"{len(stream)} lines, the source has {len(sources)}", "give the reference of that test set")
    ref_rows = tuple(tuple(stream[k] for stream in streams) for k in range(n_items))
    return tuple(sources[:n_items]), tuple(targets), ref_rows, warnings


def read_segment_scores(path: Path, src: Path | None = None, system_dir: Path | None = None,
                        refs: Sequence[Path] = (), aliases: dict[str, str] | None = None) -> HumanSet:
    """A ``system score seg_id`` TSV (header line first) and the texts it scores; ``None`` scores are unrated."""
    lines = text_lines(path)
    if not lines:
        raise InputError(path, "empty file", "give a segment-score TSV")
    scores: dict[str, dict[int, float]] = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split()  # the newstest2021 files mix tabs and spaces
        if len(fields) != 3:
            raise InputError(path, f"{len(fields)} fields, expected 3 (system score seg_id)", "fix the line", line=n)
        system, raw, seg = fields
        if not seg.isdigit() or int(seg) < 1:
            raise InputError(path, f"seg_id {seg!r} is not a line number (1-based)", "fix the seg_id", line=n)
        by_seg = scores.setdefault(system, {})
        if int(seg) in by_seg:
            raise InputError(path, f"system {system} scores segment {seg} twice", "keep one score per segment", line=n)
        by_seg[int(seg)] = _score(raw, path, n)
    systems = tuple(sorted(scores))
    n_items = max(max(s) for s in scores.values())
    human = np.full((len(systems), n_items), np.nan)
    for k, system in enumerate(systems):
        for seg_id, value in scores[system].items():
            human[k, seg_id - 1] = value
    sources, targets, ref_rows, warnings = _texts(human, systems, src, system_dir, refs, path, aliases or {})
    return HumanSet(systems, tuple(str(i) for i in range(1, n_items + 1)), human, sources, targets, ref_rows,
                    str(path), "segment-scores", tuple(warnings), lp=lp_of(src.name) if src else lp_of(path.name))


def read_mtme(path: Path, refs: Sequence[Path] = ()) -> HumanSet:
    """``<testset>/human-scores/<lp>.<name>.seg.score`` of the mt-metrics-eval layout, with its texts."""
    lp = path.name.split(".")[0]
    root = path.parent.parent
    scores: dict[str, list[float]] = {}
    for n, line in enumerate(text_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise InputError(path, f"{len(fields)} fields, expected system<TAB>score", "fix the line", line=n)
        scores.setdefault(fields[0], []).append(_score(fields[1].strip(), path, n))
    lengths = {len(v) for v in scores.values()}
    if len(lengths) != 1:
        raise InputError(path, f"systems have different segment counts {sorted(lengths)}", "give one score per segment")
    systems = tuple(sorted(scores))
    human = np.array([scores[s] for s in systems], dtype=np.float64)
    src = root / "sources" / f"{lp}.txt"
    out_dir = root / "system-outputs" / lp
    sources = text_lines(src) if src.exists() else [""] * human.shape[1]
    targets = []
    for system in systems:
        out = out_dir / f"{system}.txt"
        targets.append(tuple(text_lines(out)) if out.exists() else ("",) * human.shape[1])
    warnings = [f"{path}: no output for {s} in {out_dir}" for s, t in zip(systems, targets) if not any(t)]
    for system, row in zip(systems, targets):
        if len(row) != human.shape[1]:
            raise InputError(out_dir / f"{system}.txt", f"{len(row)} lines for {human.shape[1]} scores", "check the layout")
    streams = [text_lines(r) for r in refs]
    ref_rows = tuple(tuple(s[k] for s in streams) for k in range(human.shape[1]))
    return HumanSet(systems, tuple(str(i) for i in range(1, human.shape[1] + 1)), human, tuple(sources),
                    tuple(targets), ref_rows, str(path), "mt-metrics-eval", tuple(warnings), lp=lp_of(path.name))


def read_verdicts(path: Path) -> HumanSet:
    """Reviewers' verdicts: each judged link's human score is -1 (a real problem) or 0 (a false alarm)."""
    from ..calibrate import load_verdicts

    verdicts = load_verdicts([path])
    cells: dict[tuple[str, str], tuple[float, str, str]] = {}
    for v in verdicts:
        system = v.report or v.document or path.stem
        item = f"{v.document}#{v.src_ids}|{v.tgt_ids}" if v.document else f"{v.src_ids}|{v.tgt_ids}"
        score = float("nan") if v.verdict is None else (-1.0 if v.real else 0.0)
        cells[(system, item)] = (score, v.source, v.target)
    systems = tuple(sorted({s for s, _ in cells}))
    items = tuple(sorted({i for _, i in cells}))
    human = np.full((len(systems), len(items)), np.nan)
    sources = {i: "" for i in items}
    targets = {s: {i: "" for i in items} for s in systems}
    for (system, item), (score, source, target) in cells.items():
        human[systems.index(system), items.index(item)] = score
        sources[item] = sources[item] or source
        targets[system][item] = target
    return HumanSet(systems, items, human, tuple(sources[i] for i in items),
                    tuple(tuple(targets[s][i] for i in items) for s in systems), tuple(() for _ in items),
                    str(path), "verdicts")


def read_human(path: Path, *, src: Path | None = None, system_dir: Path | None = None,
               refs: Sequence[Path] = (), aliases: dict[str, str] | None = None) -> HumanSet:
    """Read HUMAN in whichever supported format it is (see the module docstring)."""
    name = path.name.lower()
    if path.is_dir():
        raise UsageError(f"{path} is a folder", "give the human-scores/<lp>.<name>.seg.score file of the layout")
    if name.endswith(".seg.score"):
        if src or system_dir:
            raise UsageError("--src/--system-dir do not go with the mt-metrics-eval layout", "drop them")
        return read_mtme(path, refs)
    if name.endswith(".jsonl"):
        return read_verdicts(path)
    if name.endswith((".tar.gz", ".tgz")):
        return read_mqm_tsv(path)
    first = text_lines(path)[:1]
    if first and is_mqm_header(first[0].split("\t")):
        if src or system_dir:
            raise UsageError("the MQM TSV holds its texts: --src/--system-dir do not go with it", "drop them")
        return read_mqm_tsv(path)
    if first and len(first[0].split()) == 3:
        if src is None or system_dir is None:
            raise UsageError(f"{path} holds scores only", "give the texts with --src SOURCE and --system-dir FOLDER")
        return read_segment_scores(path, src, system_dir, refs, aliases)
    raise InputError(path, "not a known human-score format", "give Google's MQM TSV (or .tar.gz), a segment-score TSV, "
                     "an mt-metrics-eval .seg.score file or verdicts JSONL", line=1)
