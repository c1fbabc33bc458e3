"""The ``xcomet`` metric plug-in (first party): XCOMET checkpoints (e.g. Unbabel/XCOMET-XL) without unbabel-comet.

    evalkit score --src s.zh --tgt h.en --ref r.en -o out/ --metric xcomet:model=/models/XCOMET-XL
    evalkit score --src s.zh --tgt h.en -o out/ --metric xcomet:model=/models/XCOMET-XL,qe=yes

A segment score (about 0..1, higher is better) and the error spans XCOMET finds in each target: start and
end character offsets, text, severity (minor, major, critical) and confidence, as unbabel-comet's
``metadata.error_spans``. They go to pairs.csv (column ``xcomet_spans``, JSON) and are highlighted in
report.html. `evalkit.neural.xcomet_model` has the computation.

Options (strings, from ``--metric xcomet:key=value,...``): ``model`` (hub id or folder; default
Unbabel/XCOMET-XL), ``batch_size`` (16), ``device`` (auto, cpu, cuda, cuda:N), ``qe`` (no: with references
and segments without one get no score; yes: XCOMET's reference-free mode, references not read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from .comet import _CometBase
from .loading import parse_bool

__all__ = ["XComet"]


class XComet(_CometBase):
    """XCOMET (xcomet_metric, e.g. Unbabel/XCOMET-XL): a score about 0..1 and error spans in the target."""

    name = "xcomet"
    label = "XCOMET"
    default_model = "Unbabel/XCOMET-XL"
    kind = "xcomet_metric"
    needs_reference = True
    description = "XCOMET (regression + error spans, XCOMET-XL), about 0..1"

    def __init__(self, model: str = "", batch_size: str = "16", device: str = "auto", qe: str = "no") -> None:
        self.qe = parse_bool("xcomet", "qe", qe)
        self.needs_reference = not self.qe  # type: ignore[misc]  # per instance: the mode chosen by the option
        super().__init__(model, batch_size, device)
        self.last_spans: dict[int, list[tuple[int, int, str, str, float]]] = {}

    @property
    def signature(self) -> str:
        return f"{self.name}|model:{self.model_id}|ckpt:{self.ckpt_hash}|mode:{'qe' if self.qe else 'ref'}|evalkit:{__version__}"

    def _model_class(self) -> Any:
        from .xcomet_model import XCometModel

        return XCometModel

    def score(self, sources: Sequence[str], targets: Sequence[str], references: Sequence[Sequence[str]] | None) -> list[float]:
        """One score per segment (NaN for a too-long input); ``last_spans`` holds each scored segment's spans.
        Several references: the best of the per-reference scores, with the spans of that reference's run."""
        import numpy as np

        model = self.load()
        streams: list[Sequence[str] | None] = list(references) if references is not None and not self.qe else [None]
        runs = [model.predict(sources, targets, stream, self.batch_size) for stream in streams]
        table = np.vstack([r.scores for r in runs])
        best = np.argmax(np.where(np.isnan(table), -np.inf, table), axis=0)
        scores = table[best, np.arange(len(targets))]
        too_long = sorted({i for r in runs for i in r.too_long})
        scores[too_long] = np.nan
        self.last_flags = self._too_long_flags(too_long, runs[0].max_tokens)
        self.last_spans = {i: list(runs[int(best[i])].spans[i]) for i in range(len(targets)) if np.isfinite(scores[i])}
        return [float(x) for x in scores]
