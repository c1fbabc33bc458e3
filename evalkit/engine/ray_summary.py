"""What the Ray driver computes from all shards: languages, the length model, corpus scores, the report.

Each function is the local pipeline's computation fed with what the shards returned, so the results are
the local run's: `majority_lang` is `evalkit.io.parallel`'s vote, `length_model` is `LengthModel.fit`,
corpus scores come from the same statistics through `MetricRefs.score_from_stats` (sacrebleu's
bootstrap) and `bootstrap_mean`, and `summary_of` is `evalkit.report.summary.summary` with the counts
taken from the shards. No Ray import here.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from ..metrics.checks import LengthModel
from ..metrics.embedding import bootstrap_mean
from ..score.pipeline import ScoreOptions, embedding_signature
from ..io.parallel import LANG_SAMPLE
from ..lang import file_lang
from ..records import Report, Score
from ..stats import sum_stats
from .ray_io import Inputs
from .ray_stages import CheckOut, EmbedOut, merge_shifts, poisson_mean, poisson_score

__all__ = ["build_report", "length_model", "majority_lang", "summary_of"]

def majority_lang(votes: Sequence[str]) -> str:
    """The language of a file from per-line `line_vote` values ("" for a line that does not vote), as the
    local reader: `file_lang` over a spread sample of up to 2000 voting lines."""
    voting = [v for v in votes if v]
    return file_lang(voting[:: max(1, len(voting) // LANG_SAMPLE)])


def length_model(logs: np.ndarray, src_lang: str, tgt_lang: str, k: float) -> LengthModel:
    """`LengthModel.fit` from per-row ln(target chars / source chars), NaN for rows it leaves out
    (the median and the MAD do not depend on the order of rows)."""
    values = logs[~np.isnan(logs)].tolist()
    if len(values) < 8:
        return LengthModel.prior(src_lang, tgt_lang, k)
    median = statistics.median(values)
    return LengthModel.from_stats(median, statistics.median(abs(x - median) for x in values), len(values), "data", k)


def _corpus_scores(
    inputs: Inputs, options: ScoreOptions, tgt_lang: str, checked: list[CheckOut], exact: bool
) -> dict[str, Score]:
    from ..metrics.reference import prepare

    scores: dict[str, Score] = {}
    for metric in options.metrics if inputs.n_refs and checked else ():
        refs = prepare(metric, [[""]] * inputs.n_refs, tgt_lang=tgt_lang)  # the metric's settings, not its references
        if exact:
            stats = np.concatenate([c.stats[metric] for c in checked])
            scores[metric] = refs.score_from_stats(stats, n_bootstrap=options.n_bootstrap, seed=options.seed)
        else:
            total = sum_stats(np.concatenate([c.stats[metric] for c in checked]))  # sacrebleu's order
            resampled = np.sum([c.resampled[metric] for c in checked], axis=0)
            scores[metric] = poisson_score(refs, total, resampled, options.n_bootstrap, options.seed)
    return scores


def build_report(
    inputs: Inputs,
    options: ScoreOptions,
    encoder: Any,
    langs: tuple[str, str],
    lengths: LengthModel,
    embedded: list[EmbedOut],
    checked: list[CheckOut],
    per_row: np.ndarray,
    neighbours: str,
    exact: bool,
) -> Report:
    """The local `Report` of this run without its links: scores, languages, model, warnings, extra.

    ``per_row`` holds cosine and margin in its first two columns; ``neighbours`` and ``exact`` say how
    margins and intervals were computed ("shard" and not exact are marked in signatures and warnings).
    """
    names, nb = inputs.names, options.n_bootstrap
    target = names[1] if inputs.kind == "lines" else names[0]  # the file of the target segments
    scores = _corpus_scores(inputs, options, langs[1], checked, exact)
    emb_sig = embedding_signature(encoder, options.margin_k)
    paired = np.concatenate([e.paired for e in embedded]) if embedded else np.zeros(0, bool)
    for name, col in (("similarity", 0), ("margin", 1)):
        if not paired.any():
            continue
        sig = f"{emb_sig}|bs:{nb}|seed:{options.seed}"
        if name == "margin" and neighbours == "shard":
            sig += f"|pool:shard{inputs.shard_rows}"
        if exact:
            mean, ci = bootstrap_mean(per_row[paired, col], n_samples=nb, seed=options.seed)
        else:
            total = sum(c.sums[name][0] for c in checked)
            mean, ci = poisson_mean(total, int(paired.sum()), np.sum([c.resampled[name] for c in checked], axis=0), nb)
            sig += "|resample:poisson"
        scores[name] = Score(name, mean, sig, ci)
    scores.update(_segment_scores(options, langs, emb_sig, paired, checked, exact))
    warnings = [s.message for s in merge_shifts([p for e in embedded for p in e.shifts], target)]
    if neighbours == "shard":
        warnings.append(f"margins use the {options.margin_k} nearest neighbours within shards of {inputs.shard_rows} "
                        f"rows, not the whole set of {inputs.n} pairs (RaySettings.neighbours)")  # fmt: skip
    if not exact:
        from ..metrics.base import METRICS, SegmentMetric

        warnings.append(f"95% intervals from a Poisson bootstrap of {nb} resamples, not sacrebleu's resampling "
                        f"(RaySettings.bootstrap)")  # fmt: skip
        own = sorted(name for name, m in METRICS.items() if name in scores and isinstance(m, SegmentMetric) and m.own_corpus)
        if own and nb > 0:
            warnings.append(f"{', '.join(own)}: no 95% interval, since a plug-in's own corpus() cannot be resampled "
                            f"from Poisson sums; use RaySettings(bootstrap='exact') for one")  # fmt: skip
    inputs_map = {"source": names[0], "target": target}
    inputs_map.update({f"reference_{k + 1}": r for k, r in enumerate(names[2:] if inputs.kind == "lines" else ())})
    extra: dict[str, object] = {"alignment": "by-line", "length_model": asdict(lengths)}
    ids = [i for e in embedded for i in (e.ids or [])]
    if any(ids):
        extra["segment_ids"] = {"src": ids, "tgt": ids}
    model = {"id": encoder.model_id, "backend": encoder.backend, "signature": emb_sig}
    return Report(inputs_map, langs[0], langs[1], (), scores, options.thresholds.as_dict(), options.thresholds_origin,
                  model, tuple(warnings), extra)  # fmt: skip


def segment_scores(values: dict[str, np.ndarray], paired: np.ndarray, options: ScoreOptions, langs: tuple[str, str],
                   emb_sig: str) -> dict[str, Score]:  # fmt: skip
    """Each segment metric's corpus score from its values on every row (``values``, NaN where none), exact:
    the metric's own `corpus` over the paired rows in row order, as the local run computes it."""
    from ..metrics.base import METRICS, SegmentContext, SegmentMetric

    ctx = SegmentContext((), (), (), langs[0], langs[1], None, None, emb_sig)
    return {name: metric.corpus(column[paired], metric.signature(ctx), n_bootstrap=options.n_bootstrap, seed=options.seed)
            for name, column in values.items() if isinstance(metric := METRICS.get(name), SegmentMetric)}  # fmt: skip


def _segment_scores(options: ScoreOptions, langs: tuple[str, str], emb_sig: str, paired: np.ndarray,
                    checked: list[CheckOut], exact: bool) -> dict[str, Score]:
    """Each segment metric the shards computed (`ray_stages.segment_rows`): exact, `segment_scores`;
    otherwise the Poisson sums of the shards."""
    from ..metrics.base import METRICS, SegmentContext, SegmentMetric

    names = list(checked[0].segment) if checked else []
    if exact:
        return segment_scores({name: np.concatenate([c.segment[name] for c in checked]) for name in names}, paired,
                              options, langs, emb_sig)  # fmt: skip
    out: dict[str, Score] = {}
    ctx = SegmentContext((), (), (), langs[0], langs[1], None, None, emb_sig)
    for name in names:
        metric = METRICS.get(name)
        if not isinstance(metric, SegmentMetric):
            continue
        if metric.own_corpus:
            # Poisson sums give resampled means, not resamples of the plug-in's own corpus(): the point is
            # its corpus() over every row, the interval needs sacrebleu's resampling (build_report warns).
            values = np.concatenate([c.segment[name] for c in checked])[paired]
            out[name] = metric.corpus(values, metric.signature(ctx), n_bootstrap=0, seed=options.seed)
            continue
        total, count = sum(c.sums[name][0] for c in checked), sum(c.sums[name][1] for c in checked)
        sig = f"{metric.signature(ctx)}|bs:{options.n_bootstrap}|seed:{options.seed}|resample:poisson"
        if not count:
            out[name] = Score(name, math.nan, sig)
            continue
        mean, ci = poisson_mean(total, count, np.sum([c.resampled[name] for c in checked], axis=0), options.n_bootstrap)
        out[name] = Score(name, mean, sig, ci)
    return out


def summary_of(report: Report, inputs: Inputs, checked: list[CheckOut]) -> dict[str, Any]:
    """summary.json of the whole run (`evalkit.report.summary.build_summary`): counts and reasons from the
    shards (every link of a by-line alignment is a paired 1-1 link), fingerprints from the index."""
    from ..report.summary import build_summary, reason_counts

    codes = [code for c in checked for row in c.reasons for code in row]
    n = sum(len(c.reasons) for c in checked)
    flagged = sum(1 for c in checked for row in c.reasons if row)
    fp = inputs.fingerprints
    refs = list(fp[2:]) if n else []  # no link holds a reference in an empty run
    return build_summary(
        inputs=report.inputs, src_lang=report.src_lang, tgt_lang=report.tgt_lang,
        counts={"links": n, "paired": n, "flagged": flagged, "unpaired_source": 0, "unpaired_target": 0,
                "merged_or_split": 0, "source_segments": n, "target_segments": n},
        reasons=reason_counts(codes), scores=report.scores, model=report.model, thresholds=report.thresholds,
        thresholds_origin=report.thresholds_origin, warnings=report.warnings,
        fingerprints={"source": fp[0], "target": fp[1], "references": refs, "segments": n, "links": n},
        extra=dict(report.extra),
    )
