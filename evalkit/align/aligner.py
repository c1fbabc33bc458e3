"""Pair source segments with target segments: monotonic links 1-1, 1-0, 0-1, 1-2, 2-1, 2-2, ...

Two passes, as Bertalign (Liu & Zhu 2022, "Bertalign: Improved word embedding-based sentence
alignment for Chinese-English parallel corpora of literary texts"):

1. **Anchors.** 1-1 links found by DP over single segments in a wide diagonal band, each pair
   scored by its ratio margin (Artetxe & Schwenk 2019): cosine over the mean cosine of both
   texts' 4 nearest neighbours. With USE v3, raw cosines of true and wrong pairs overlap; margins
   do not.
2. **Links.** DP in a narrow band around the anchors over every link kind with ``a + b <= max_link``
   (Bertalign's ``max_align``), scored as in `scoring`, with the joined text of a run of segments
   embedded as one text (Vecalign, Thompson & Koehn 2019, embeds such "overlaps" too).

Joined texts cost most of the time, so the link DP runs first on stand-ins (unit sums of the
segment vectors) and only links whose best complete path comes within ``prune`` of the best
path are embedded exactly. All texts go to the encoder in two calls, each distinct text once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ..embed.base import Encoder
from ..errors import ConfigError
from ..records import Alignment, Link, Segment
from .anchors import PairStats, anchors, around, diagonal_band, pair_stats
from .dp import Band, best_path, max_marginals
from .grid import run_sums, transpose
from .orphans import peel_orphans
from .scoring import Side, kind_scores, length_model

__all__ = ["AlignParams", "align"]


@dataclass(frozen=True)
class AlignParams:
    """Tunable settings of `align`. Defaults were tuned on the Bible en-zh file and MAC dev (bench/bench_align.py)."""

    max_link: int = 7  # a paired a-b link needs a + b <= max_link (Bertalign: 5; MAC gold has 1-5, 1-6, 2-4 links)
    skip: float = -0.1  # score of leaving one segment unpaired (Bertalign: -0.1)
    margin_weight: float = 0.5  # weight of the neighbour cosine subtracted from a link's cosine (Bertalign: 1)
    length_exponent: float = 0.5  # exponent on the length prior log2(1 + min/max), 0 = no prior (Bertalign: 1)
    quote_penalty: float = 0.1  # cost of each inner member of a run that ends with a quote (scoring.py; 0 = off)
    long_link_bonus: float = 0.03  # added to a link of 4 or more segments: the DP's sum pays each link once (scoring.py)
    knn: int = 4  # neighbours in the ratio margin (Artetxe & Schwenk 2019: k = 4)
    anchor_top_k: int = 3  # anchors come from each source segment's k best targets (Bertalign: 3)
    anchor_window: int = 250  # half-width of the anchor band, in segments (Bertalign: 250) ...
    anchor_window_share: float = 0.06  # ... or this share of the longer side if wider (Bertalign: 0.06)
    band: int = 5  # the link band reaches this many target segments past the anchors (Bertalign: 5)
    prune: float = 0.3  # embed a joined text only if a path through it scores within this of the best
    confidence_slope: float = 10.0  # confidence = logistic(slope * (margin - 1)); 0.5 at margin 1
    peel: bool = True  # split off merged members that add nothing to their link's match (orphans.py) ...
    orphan_margin: float = 1.5  # ... when the rest of the link has at least this ratio margin (confidence 0.993)
    orphan_length_gain: float = 1.0  # ... and fits the document's length model this many deviations better ...
    tight_spread: float = 0.12  # ... or, in a document whose anchors' length ratios spread less (unit by unit,
    # no long-link bonus there), has its own margin below 1

    def __post_init__(self) -> None:
        checks = {
            "max_link": (self.max_link >= 2, "an integer >= 2"),
            "skip": (self.skip <= 0, "a number <= 0"),
            "margin_weight": (self.margin_weight >= 0, "a number >= 0"),
            "length_exponent": (self.length_exponent >= 0, "a number >= 0"),
            "quote_penalty": (self.quote_penalty >= 0, "a number >= 0"),
            "long_link_bonus": (self.long_link_bonus >= 0, "a number >= 0"),
            "knn": (self.knn >= 1, "an integer >= 1"),
            "anchor_top_k": (self.anchor_top_k >= 1, "an integer >= 1"),
            "anchor_window": (self.anchor_window >= 1, "an integer >= 1"),
            "anchor_window_share": (0 <= self.anchor_window_share <= 1, "a share between 0 and 1"),
            "band": (self.band >= 0, "an integer >= 0"),
            "prune": (self.prune >= 0, "a number >= 0"),
            "confidence_slope": (self.confidence_slope > 0, "a number > 0"),
            "orphan_margin": (self.orphan_margin >= 0, "a number >= 0"),
            "orphan_length_gain": (self.orphan_length_gain >= 0, "a number >= 0"),
            "tight_spread": (self.tight_spread >= 0, "a number >= 0"),
        }
        for name, (ok, expected) in checks.items():
            if not ok:
                raise ConfigError(f"AlignParams.{name} = {getattr(self, name)!r}", f"use {expected}")

    @property
    def kinds(self) -> list[tuple[int, int]]:
        """Paired link kinds ``(a, b)``, 1-1 first."""
        sizes = range(1, self.max_link)
        return [(a, b) for a in sizes for b in sizes if a + b <= self.max_link]

    def signature(self) -> str:
        """Settings as ``key:value|...``, recorded in `Alignment.method`."""
        return "|".join(f"{k}:{v}" for k, v in asdict(self).items())


def align(
    src: Sequence[Segment], tgt: Sequence[Segment], encoder: Encoder, *, params: AlignParams | None = None
) -> Alignment:
    """Align ``src`` with ``tgt``: every segment lands in exactly one link, in document order.

    A segment without a counterpart comes out as a 1-0 / 0-1 link: the DP pairs it only where
    joining it to a neighbour's link scores better than leaving it unpaired (``skip``), which
    can happen when its content is close to that neighbour's.
    ``Link.confidence`` (0-1) is the link's ratio margin through a logistic, 0.5 at margin 1
    (no closer than the texts' nearest neighbours); for a 1-0 / 0-1 link, one minus that of the
    segment's best single counterpart. ``Alignment.method`` records the model and settings.
    """
    params = params or AlignParams()
    src, tgt = tuple(src), tuple(tgt)
    method = f"dp|model:{encoder.model_id}|{params.signature()}"
    if not src or not tgt:
        lonely = [Link((i,), (), 1.0) for i in range(len(src))] + [Link((), (j,), 1.0) for j in range(len(tgt))]
        return Alignment(src, tgt, tuple(lonely), method=method)
    s_side, t_side = Side(src), Side(tgt)
    _embed_runs(encoder, [(s_side, 1, np.ones(len(src) + 1, bool)), (t_side, 1, np.ones(len(tgt) + 1, bool))])
    kinds = params.kinds
    skip_src = np.where(s_side.usable, params.skip, 0.0)
    skip_tgt = np.where(t_side.usable, params.skip, 0.0)
    char_ratio = s_side.cum_chars[-1] / max(t_side.cum_chars[-1], 1.0)

    def scores(band: Band, bonus: float) -> list[np.ndarray]:
        args = (char_ratio, params.margin_weight, params.length_exponent, params.quote_penalty, bonus)
        return [kind_scores(kind, s_side, t_side, band.lo, band.hi, *args) for kind in kinds]

    with _one_blas_thread():
        wide = diagonal_band(len(src), len(tgt), params.anchor_window, params.anchor_window_share)
        x, x_ok, y, y_ok = s_side.runs[1], s_side.runs_ok[1], t_side.runs[1], t_side.runs_ok[1]
        stats = pair_stats(x, x_ok, y, y_ok, wide, params.knn, params.anchor_top_k)
        cells = anchors(stats)
        band = around(cells, len(src), len(tgt), params.band)
        # Translated unit by unit (the seed's bullets) or freely (literature): the anchors' length ratios say.
        unit_by_unit = length_model([(i - 1, j - 1) for i, j in cells], s_side, t_side)[1] < params.tight_spread
        bonus = 0.0 if unit_by_unit else params.long_link_bonus
        # Stand-ins for joined texts first; then exact embeddings of the joined texts that can matter.
        for side in (s_side, t_side):
            for size in range(2, params.max_link):
                side.set_run(size, run_sums(side.runs[1], size), np.ones(len(side) + 1, bool))
        rough = scores(band, bonus)
        marginals, best = max_marginals(band, kinds, rough, skip_src, skip_tgt)
        wanted = [m >= best - params.prune for m in marginals]
    _embed_runs(encoder, _runs_to_embed(kinds, wanted, band, s_side, t_side))
    with _one_blas_thread():
        final = [np.where(want, exact, -np.inf) for want, exact in zip(wanted, scores(band, bonus))]
        final[kinds.index((1, 1))] = rough[kinds.index((1, 1))]  # single vectors are exact already
        path = best_path(band, kinds, final, skip_src, skip_tgt)
    if params.peel:
        gain = params.orphan_length_gain
        path = peel_orphans(
            path, s_side, t_side, encoder, knn=params.knn, min_margin=params.orphan_margin, min_length_gain=gain,
            unit_by_unit=unit_by_unit,
        )
    with _one_blas_thread():
        links = _with_confidence(path, s_side, t_side, wide, stats, params)
    return Alignment(src, tgt, tuple(links), method=method)


def _one_blas_thread() -> threadpool_limits:
    """BLAS on one thread for the many small matrix products here.

    They gain nothing from a second thread, and OpenBLAS threads that wait on a busy CPU can make
    them 10x slower. Encoder calls stay outside (they set their own limits).
    """
    return threadpool_limits(limits=1, user_api="blas")


def _embed_runs(encoder: Encoder, wanted: list[tuple[Side, int, np.ndarray]]) -> None:
    """Embed, in one encoder call, the joined runs of ``size`` segments ending at the wanted rows."""
    jobs = []
    for side, size, rows in wanted:
        ends = np.flatnonzero(rows & side.runs_usable(size))
        jobs.append((side, size, ends, [side.run_text(int(e), size) for e in ends]))
    texts = list(dict.fromkeys(t for *_, batch in jobs for t in batch))
    # With nothing to embed, keep the width of the vectors already there (1 if none: all blank).
    dim = next((side.runs[1].shape[1] for side, *_ in jobs if 1 in side.runs), 1)
    vectors = encoder.encode(texts) if texts else np.zeros((0, dim), np.float32)
    where = {t: k for k, t in enumerate(texts)}
    dim = vectors.shape[1]
    for side, size, ends, batch in jobs:
        out = np.zeros((len(side) + 1, dim), dtype=np.float32)
        ok = np.zeros(len(side) + 1, dtype=bool)
        if len(ends):
            out[ends] = vectors[[where[t] for t in batch]]
            ok[ends] = True
        side.set_run(size, out, ok)


def _runs_to_embed(
    kinds: list[tuple[int, int]], wanted: list[np.ndarray], band: Band, src: Side, tgt: Side
) -> list[tuple[Side, int, np.ndarray]]:
    """Which joined runs (side, size, DP rows where they end) the wanted links need."""
    need_src = {a: np.zeros(len(src) + 1, bool) for a, _ in kinds if a > 1}
    need_tgt = {b: np.zeros(len(tgt) + 1, bool) for _, b in kinds if b > 1}
    for (a, b), want in zip(kinds, wanted):
        rows, offsets = np.nonzero(want)
        if a > 1:
            need_src[a][rows] = True
        if b > 1:
            need_tgt[b][band.lo[rows] + offsets] = True
    return [(src, a, rows) for a, rows in need_src.items()] + [(tgt, b, cols) for b, cols in need_tgt.items()]


def _with_confidence(
    path: list[tuple[int, int, int, int]], src: Side, tgt: Side, wide: Band, stats: PairStats, params: AlignParams
) -> list[Link]:
    """Turn DP steps into `Link`s with confidences (see `align`)."""
    slope = params.confidence_slope
    t_lo, t_hi = transpose(wide.lo, wide.hi, len(tgt))
    links = []
    for i0, a, j0, b in path:
        if a and b:
            x, y = src.runs[a][i0 + a], tgt.runs[b][j0 + b]
            if a == b == 1:  # single segments: their neighbourhoods are known
                x_near, y_near = stats.near_src[i0 + 1], stats.near_tgt[j0 + 1]
            else:  # joined texts: the same windows of counterparts as their last segments'
                lo, hi = max(int(wide.lo[i0 + a]), 1), int(wide.hi[i0 + a])
                x_near = _top_mean_vec(x, tgt.runs[1][lo : hi + 1], tgt.runs_ok[1][lo : hi + 1], params.knn)
                lo, hi = max(int(t_lo[j0 + b]), 1), int(t_hi[j0 + b])
                y_near = _top_mean_vec(y, src.runs[1][lo : hi + 1], src.runs_ok[1][lo : hi + 1], params.knn)
            value = float(x @ y) / max((x_near + y_near) / 2, 1e-6)
            conf = _logistic(slope * (value - 1))
        else:
            best = stats.best_src[i0 + 1] if a else stats.best_tgt[j0 + 1]
            conf = 1.0 - _logistic(slope * (best - 1)) if np.isfinite(best) else 1.0
        links.append(Link(tuple(range(i0, i0 + a)), tuple(range(j0, j0 + b)), round(conf, 4)))
    return links


def _top_mean_vec(vec: np.ndarray, others: np.ndarray, ok: np.ndarray, k: int) -> float:
    cos = others[ok] @ vec
    if not len(cos):
        return 0.0
    return float(np.sort(cos)[-k:].mean())


def _logistic(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))
