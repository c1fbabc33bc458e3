"""Reading a comparison's inputs: system files and their names, the metrics to compute, line counts and
the one target language every system is tokenised with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..metrics.base import metric_names, segment_metrics
from .records import CompareOptions

__all__ = ["check_baseline", "check_line_count", "parse_systems", "plan_metrics", "system_name", "target_language"]


def system_name(path: Path) -> str:
    """A system's name from its file: WMT's ``generaltest2022.zh-en.hyp.Online-W.en`` gives ``Online-W``
    (the part after ``hyp.`` without the final language suffix); any other file keeps its file name."""
    name = path.name
    head, sep, tail = name.partition("hyp.")
    if sep and (not head or head.endswith(".")) and "." in tail and tail.rsplit(".", 1)[0]:
        return tail.rsplit(".", 1)[0]
    return name


def parse_systems(specs: Sequence[str]) -> list[tuple[str, Path]]:
    """``(name, path)`` for each spec: a file, ``NAME=PATH``, or a folder whose every (non-hidden) file is a system."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        path = Path(spec)
        name: str | None = None
        if not path.exists() and "=" in spec:
            name, _, rest = spec.partition("=")
            path = Path(rest)
            if not name.strip():
                raise UsageError(f"system {spec!r} has an empty name", "write NAME=PATH")
        if path.is_dir():
            if name is not None:
                raise UsageError(f"system {spec!r}: NAME=PATH needs a file, {path} is a folder", "name files one by one")
            files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not files:
                raise InputError(path, "the folder holds no system output file", "give files or a folder of outputs")
            out += [(system_name(p), p) for p in files]
        elif path.is_file():
            out.append((name.strip() if name else system_name(path), path))
        else:
            raise InputError(path, "no such file or folder", "give a system output file, NAME=PATH, or a folder")
    seen: dict[str, Path] = {}
    for name, path in out:
        if name in seen:
            raise UsageError(
                f"two systems are named {name!r} ({seen[name]} and {path})", f"name one explicitly: OTHER={path}"
            )
        seen[name] = path
    if len(out) < 2:
        raise UsageError(f"a comparison needs at least two systems, got {len(out)}", "give two or more outputs")
    return out


def check_baseline(options: CompareOptions, names: Sequence[str]) -> None:
    """A usage error when ``options.baseline`` names none of the systems."""
    if options.baseline is not None and options.baseline not in names:
        raise UsageError(f"--baseline {options.baseline!r} is not among the systems", f"use one of: {', '.join(names)}")


def plan_metrics(options: CompareOptions, has_refs: bool) -> tuple[tuple[str, ...], str]:
    """(the metrics computed, in leaderboard order; the main metric), or a usage error when there are none."""
    metrics = tuple(m for m in metric_names("statistics") if m in options.metrics) if has_refs else ()
    if options.embeddings:
        # similarity, margin, the segment metrics (computed by the `evalkit score` pipeline), then flag_rate
        segment = [m.name for m in segment_metrics(None, has_refs=has_refs, has_embeddings=True)]
        metrics += (*metric_names("embedding"), *segment, *metric_names("flags"))
    if not metrics:
        raise UsageError("nothing to compare: no reference and embeddings off", "give --ref, or drop --no-embed")
    main = options.main or ("chrf" if "chrf" in metrics else metrics[0])
    if main not in metrics:
        raise UsageError(f"main metric {main!r} is not computed here", f"use one of: {', '.join(metrics)}")
    return metrics, main


def check_line_count(path: Path | str, lines: int, src: Path | str, src_lines: int) -> None:
    """An input error unless a reference or system file has as many lines as the source (never truncated)."""
    if lines != src_lines:
        raise InputError(
            path, f"has {lines} lines but the source {src} has {src_lines}; line-aligned files must match",
            "find the missing or extra line and fix it",
        )


def target_language(reference: str | None, systems: Sequence[str]) -> str:
    """The one target language every system is tokenised with: the first reference file's (None without
    references or for an empty file), else the one most system files are in (``systems``: the language of
    each non-empty system file, in order; a tie goes to the first), else "und"."""
    from collections import Counter

    if reference is not None:
        return reference
    return Counter(systems).most_common(1)[0][0] if systems else "und"


def _read_all(src: Path, refs: Sequence[Path], systems: Sequence[tuple[str, Path]]) -> dict[str, Any]:
    """Every system as a `Parallel` with the shared source and references, all labelled with one target
    language (`target_language`), so every system is tokenised alike."""
    from ..io import Parallel, read_lines

    source = read_lines(src, side="src")
    streams = [read_lines(ref, side="ref") for ref in refs]
    lang = streams[0][0].lang if streams and streams[0] else None
    outputs = {name: read_lines(path, lang=lang, side="tgt") for name, path in systems}
    if lang is None:
        lang = target_language(None, [t[0].lang for t in outputs.values() if t])
        outputs = {name: tuple(replace(seg, lang=lang) for seg in segs) for name, segs in outputs.items()}
    for path, segs in [*zip(refs, streams), *((p, outputs[n]) for n, p in systems)]:
        check_line_count(path, len(segs), src, len(source))
    src_lang = source[0].lang if source else "und"
    return {name: Parallel(source, outputs[name], tuple(streams), src_lang, lang) for name, _ in systems}
