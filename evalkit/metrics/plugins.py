"""Metric plug-ins: classes registered under the entry-point group ``evalkit.metrics``, adapted onto `SegmentMetric`.

The public contract of a plug-in class (README "Metric plug-ins and neural metrics", docs/extending.md)::

    class MyMetric:
        name = "mymetric"                 # also its entry-point name: `--metric mymetric`
        higher_is_better = True
        needs_reference = False
        def __init__(self, **options: str): ...    # the command line's `--metric mymetric:key=value,...`
        @property
        def signature(self) -> str: ...            # the settings that made the numbers
        def score(self, sources, targets, references) -> list[float]: ...  # one float per segment

``references`` is a list of reference *streams* (``references[k][i]``: segment i's k-th reference), or None
when the metric needs none. Optional: ``corpus(segment_scores) -> float`` (default: the mean), ``label``,
``range``, ``description``, ``batch_size``, ``device``, and two attributes that `score` fills for the
segments of its call, keyed by position in it: ``last_flags`` (``{i: (code, detail, value, threshold)}``)
and ``last_spans`` (``{i: [(start, end, text, severity, confidence), ...]}``: error spans in target i,
character offsets; a plug-in that has the attribute gets a ``NAME_spans`` column in pairs.csv and its
spans highlighted in report.html, `evalkit.records.Span`).

Entry points are read only when a metric name is asked for (`load`) or the list is shown (`available`):
``evalkit --help`` imports no plug-in. `PluginMetric` gives every plug-in what a built-in segment metric has:
bootstrap intervals (of its own ``corpus`` when it defines one), paired tests, pairs.csv/summary.json/HTML
columns, ``check`` rules, ``--stream``, and a score cache (`evalkit.metrics.score_cache`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..records import Flag, Score, Span
from .base import METRICS, SegmentContext, SegmentMetric, metric_names

__all__ = ["GROUP", "PluginMetric", "available", "load", "parse_spec", "registered", "rule_plugins", "specs_of", "unload"]

GROUP = "evalkit.metrics"


# evalkit's own neural metrics (`evalkit.neural`, the [neural] extra): plug-ins like any other, listed here
# rather than as entry points of evalkit's own distribution so that an editable checkout has them too.
FIRST_PARTY = {"comet": "evalkit.neural.comet:Comet", "cometkiwi": "evalkit.neural.comet:CometKiwi",
               "metricx": "evalkit.neural.metricx:MetricX", "metricx-qe": "evalkit.neural.metricx:MetricXQE",
               "xcomet": "evalkit.neural.xcomet:XComet"}


def available() -> dict[str, EntryPoint]:
    """Installed plug-ins by entry-point name (the name on the command line), sorted by name; an installed
    package's entry point wins over a first-party metric of the same name."""
    found = {name: EntryPoint(name, value, GROUP) for name, value in FIRST_PARTY.items()}
    found.update({ep.name: ep for ep in entry_points(group=GROUP)})
    return dict(sorted(found.items()))


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"comet:model=x,batch_size=8"`` -> ``("comet", {"model": "x", "batch_size": "8"})``; a `UsageError` otherwise."""
    name, _, rest = spec.strip().partition(":")
    name = name.strip()
    if not name:
        raise UsageError(f"--metric {spec!r}: no metric name", "write --metric NAME or --metric NAME:key=value,...")
    options: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise UsageError(f"--metric {spec!r}: {item!r} is not key=value", "write --metric NAME:key=value,key=value")
        if key.strip() in options:
            raise UsageError(f"--metric {spec!r}: {key.strip()!r} given twice", "give each option once")
        options[key.strip()] = value.strip()
    return name, options


def _choices() -> str:
    builtin = [n for n in metric_names() if n not in _LOADED]
    return f"built-in: {', '.join(builtin)}; plug-ins: {', '.join(available()) or 'none installed'}"


def _fail(kind: str, name: str) -> Callable[[str], UsageError]:
    return lambda why: UsageError(f"metric plug-in {name!r}: {why}", f"a bug in the plug-in's package ({kind})")


_REQUIRED = ("name", "higher_is_better", "needs_reference", "score")
_LOADED: dict[str, PluginMetric] = {}


def load(spec: str, cache_dir: Path | None = None) -> SegmentMetric:
    """The metric that ``spec`` names, registered in `METRICS` under its name: a plug-in (an instance of the
    entry point's class, built with the spec's options) or, with no options, a built-in segment metric.
    An unknown name is a `UsageError` listing the available ones."""
    name, options = parse_spec(spec)
    eps = available()
    if name not in eps:
        known = METRICS.get(name)
        if isinstance(known, SegmentMetric) and not options and name not in _LOADED:
            return known
        if known is not None and name not in _LOADED:
            raise UsageError(f"--metric {name}: a built-in {known.kind} metric takes no options here" if options
                             else f"--metric {name}: a built-in {known.kind} metric (use --metrics for sacrebleu metrics)",
                             f"--metric takes segment metrics and plug-ins; {_choices()}")
        raise UsageError(f"unknown metric {name!r}", _choices())
    fail = _fail("entry point " + eps[name].value, name)
    try:
        cls = eps[name].load()
    except ImportError as exc:  # the plug-in's package, or one of its dependencies, is missing
        raise UsageError(f"metric plug-in {name!r} cannot be imported: {exc}", f"reinstall the package of {eps[name].value}") from None
    missing = [a for a in _REQUIRED if not hasattr(cls, a)]
    if missing:
        raise fail(f"the class lacks {', '.join(missing)}")
    try:
        plugin = cls(**options)
    except TypeError as exc:  # an option the class does not take
        raise UsageError(f"--metric {spec}: {exc}", f"see the options of the {name!r} plug-in") from None
    if getattr(plugin, "name", name) != name:
        raise fail(f"its name {plugin.name!r} differs from its entry point {name!r}")
    metric = PluginMetric(plugin, spec, cache_dir)
    METRICS[name] = metric
    _LOADED[name] = metric
    return metric


def unload(name: str) -> None:
    """Remove a plug-in `load` registered (the CLI does it when a command ends, so that runs in one process
    do not leak metrics into each other)."""
    if _LOADED.pop(name, None) is not None:
        METRICS.pop(name, None)


@contextmanager
def registered(specs: Sequence[str], cache_dir: Path | None = None) -> Iterator[tuple[SegmentMetric, ...]]:
    """`load` each spec for the duration of the block; the plug-ins are unregistered afterwards."""
    names: list[str] = []
    try:
        metrics = []
        for spec in specs:
            metric = load(spec, cache_dir)
            if metric.name in names:
                raise UsageError(f"--metric {metric.name} given twice", "give each metric once")
            names.append(metric.name)
            metrics.append(metric)
        yield tuple(metrics)
    finally:
        for name in names:
            unload(name)


def specs_of(names: Sequence[str]) -> tuple[str, ...]:
    """The ``--metric`` specs of the loaded plug-ins among ``names``: what another process (a Ray worker)
    needs to load the same plug-ins with the same options."""
    return tuple(_LOADED[name].spec for name in names if name in _LOADED)


def rule_plugins(rules: Sequence[str], given: Sequence[str]) -> list[str]:
    """Installed plug-ins that ``METRIC=VALUE`` rules name and that are neither registered nor in ``given``."""
    names = {rule.partition("=")[0].strip() for rule in rules}
    return [n for n in sorted(names) if n not in METRICS and n not in given and n in available()]


def _streams(refs: Sequence[tuple[str, ...]]) -> list[list[str]]:
    """Per-link references (all with the same count k) as k streams: ``streams[k][i]``."""
    return [list(stream) for stream in zip(*refs)]


class PluginMetric(SegmentMetric):
    """A plug-in instance seen as a `SegmentMetric` (one per ``--metric``), its values cached on disk."""

    def __init__(self, plugin: Any, spec: str, cache_dir: Path | None = None) -> None:
        self.plugin = plugin
        self.spec = spec
        self.cache_dir = cache_dir
        self.name = plugin.name  # type: ignore[misc]
        self.label = str(getattr(plugin, "label", plugin.name))  # type: ignore[misc]
        self.higher_is_better = bool(plugin.higher_is_better)  # type: ignore[misc]
        self.needs_reference = bool(plugin.needs_reference)  # type: ignore[misc]
        self.range = tuple(getattr(plugin, "range", (-math.inf, math.inf)))  # type: ignore[misc]
        self.description = str(getattr(plugin, "description", f"{plugin.name} (plug-in {type(plugin).__module__})"))  # type: ignore[misc]
        self.digits = int(getattr(plugin, "digits", 4))  # type: ignore[misc]
        self.last_flags: dict[int, Flag] = {}  # link position in the last ctx -> flag (e.g. too_long)
        self.gives_spans = hasattr(plugin, "last_spans")  # type: ignore[misc]
        self.last_spans: dict[int, tuple[Span, ...]] = {}  # link position in the last ctx -> its error spans

    @property
    def plugin_signature(self) -> str:
        return str(self.plugin.signature)

    def signature(self, ctx: SegmentContext) -> str:
        return self.plugin_signature

    def _call(self, sources: list[str], targets: list[str], refs: list[list[str]] | None) -> np.ndarray:
        values = self.plugin.score(sources, targets, refs)
        try:
            out = np.asarray(list(values), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise _fail("score()", self.name)(f"score() returned non-numbers ({exc})") from None
        if out.shape != (len(sources),):
            raise _fail("score()", self.name)(f"score() returned {out.shape[0] if out.ndim else 'a scalar'} values "
                                              f"for {len(sources)} segments")  # fmt: skip
        return out

    def flags(self) -> dict[int, Flag]:
        return dict(self.last_flags)

    def _flags(self, positions: Sequence[int]) -> dict[int, Flag]:
        """The plug-in's optional ``last_flags`` ({position in the call: (code, detail, value, threshold)})
        of its last `score` call, keyed by link position."""
        raw = getattr(self.plugin, "last_flags", None) or {}
        return {positions[j]: Flag(code, detail, value, threshold) for j, (code, detail, value, threshold) in raw.items()}

    def _spans(self, targets: list[str]) -> dict[int, tuple[Span, ...]]:
        """The plug-in's ``last_spans`` of its last `score` call as `Span` records, checked against the
        targets of that call (keyed by position in the call)."""
        raw = getattr(self.plugin, "last_spans", None) or {}
        fail = _fail("last_spans", self.name)
        out: dict[int, tuple[Span, ...]] = {}
        for j, spans in raw.items():
            try:
                out[j] = tuple(Span(int(a), int(b), str(text), str(sev), float(conf)) for a, b, text, sev, conf in spans)
            except (TypeError, ValueError) as exc:
                raise fail(f"last_spans[{j}] is not a list of (start, end, text, severity, confidence): {exc}") from None
            if not 0 <= j < len(targets) or any(s.end > len(targets[j]) for s in out[j]):
                raise fail(f"last_spans[{j}] lies outside the targets of the call ({len(targets)} targets)")
        return out

    def segment_spans(self) -> dict[int, tuple[Span, ...]]:
        return self.last_spans

    def segment_values(self, ctx: SegmentContext) -> np.ndarray:
        """The plug-in's scores, looked up in the score cache first; links grouped by their number of
        references (a needs_reference plug-in gets NaN where a link has none). A plug-in with spans has them
        cached beside its scores (a score without its spans in the cache is computed again)."""
        from .score_cache import ScoreCache

        n = len(ctx.sources)
        out = np.full(n, np.nan)
        nrefs = [len(r) if self.needs_reference else 0 for r in ctx.references]
        cache = ScoreCache(self.plugin_signature, self.cache_dir)
        self.last_flags = {}
        self.last_spans = {}
        try:
            for k in sorted(set(nrefs)):
                if self.needs_reference and k == 0:
                    continue
                idx = [i for i in range(n) if nrefs[i] == k]
                items = [(ctx.sources[i], ctx.targets[i], ctx.references[i] if k else ()) for i in idx]
                found = cache.get(items)
                spans: dict[tuple[str, str, tuple[str, ...]], tuple[Span, ...]] = {}
                if self.gives_spans:
                    texts = cache.get_details(items)
                    found = {item: v for item, v in found.items() if item in texts}
                    spans = {item: tuple(Span(*s) for s in json.loads(texts[item])) for item in found}
                todo = [j for j, item in enumerate(items) if item not in found]
                if todo:
                    src = [items[j][0] for j in todo]
                    tgt = [items[j][1] for j in todo]
                    refs = _streams([items[j][2] for j in todo]) if k else None
                    fresh = self._call(src, tgt, refs)
                    self.last_flags.update(self._flags([idx[j] for j in todo]))
                    kept = ~np.isnan(fresh)  # a NaN (e.g. too_long) is not cached: asked again, so its flag comes back
                    cache.put([items[j] for j, keep in zip(todo, kept) if keep], fresh[kept])
                    found.update({items[j]: float(v) for j, v in zip(todo, fresh)})
                    if self.gives_spans:
                        new = self._spans(tgt)
                        done = [(items[j], new.get(m, ())) for m, (j, keep) in enumerate(zip(todo, kept)) if keep]
                        cache.put_details([item for item, _ in done],
                                          [json.dumps([[s.start, s.end, s.text, s.severity, s.confidence] for s in found_spans],
                                                      ensure_ascii=False) for _, found_spans in done])  # fmt: skip
                        spans.update(done)
                out[idx] = [found[item] for item in items]
                self.last_spans.update({i: spans[item] for i, item in zip(idx, items) if item in spans})
        finally:
            cache.close()
        return out

    @property
    def own_corpus(self) -> bool:
        return getattr(self.plugin, "corpus", None) is not None

    def corpus(self, values: np.ndarray, signature: str, *, n_bootstrap: int, seed: int | None) -> Score:
        """The mean with its bootstrap interval, or the plug-in's own ``corpus(segment_scores)`` with the
        percentile interval of it over the same resamples (`evalkit.stats` percentile helper)."""
        own = getattr(self.plugin, "corpus", None)
        if own is None:
            return super().corpus(values, signature, n_bootstrap=n_bootstrap, seed=seed)
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        sig = f"{signature}|bs:{n_bootstrap}|seed:{seed}"
        if not len(finite):
            return Score(self.name, math.nan, sig)
        point = float(own(finite.tolist()))
        if n_bootstrap <= 0:
            return Score(self.name, point, sig)
        from ..stats import bootstrap_indices, percentile_bounds

        draws = bootstrap_indices(len(finite), n_bootstrap, seed)  # the draws of bootstrap_mean
        low, high = percentile_bounds(np.sort([float(own(finite[row].tolist())) for row in draws]))
        return Score(self.name, point, sig, (float(low), float(high)))
