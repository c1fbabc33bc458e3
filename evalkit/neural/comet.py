"""The ``comet`` and ``cometkiwi`` metric plug-ins (first party): unbabel-comet checkpoints without unbabel-comet.

    evalkit score --src s.zh --tgt h.en --ref r.en -o out/ --metric comet
    evalkit score --src s.zh --tgt h.en -o out/ --metric cometkiwi:model=/models/wmt22-cometkiwi-da,device=cpu

Options (strings, from ``--metric NAME:key=value,...``): ``model`` (hub id or folder; default
Unbabel/wmt22-comet-da, Unbabel/wmt22-cometkiwi-da), ``batch_size`` (16), ``device`` (auto, cpu, cuda,
cuda:N). The model folder is found (and its checkpoint hashed) when the metric is built, so a missing model
fails before any scoring; torch loads the weights at the first `score` call.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any, ClassVar

from .. import __version__
from ..errors import ModelError
from .loading import checkpoint_hash, need_extra, parse_int, pick_device, resolve_model

__all__ = ["Comet", "CometKiwi"]

_NEEDED = ("hparams.yaml", "checkpoints/model.ckpt")


class _CometBase:
    name: ClassVar[str]
    label: ClassVar[str]
    default_model: ClassVar[str]
    kind: ClassVar[str]
    higher_is_better = True
    needs_reference: ClassVar[bool]
    description: ClassVar[str]
    # what the wrong-kind error suggests
    kind_hint: ClassVar[str] = ("comet takes regression_metric checkpoints (wmt22-comet-da), cometkiwi unified_metric ones "
                                "(wmt22-cometkiwi-da), xcomet xcomet_metric ones (XCOMET-XL)")  # fmt: skip

    def __init__(self, model: str = "", batch_size: str = "16", device: str = "auto") -> None:
        need_extra(self.name)
        self.model_id = model or self.default_model
        self.batch_size = parse_int(self.name, "batch_size", batch_size)
        self.requested_device = device
        self.folder = resolve_model(self.name, self.model_id, _NEEDED)
        self.hparams = self._hparams()
        self.ckpt_hash = checkpoint_hash(self.folder / "checkpoints" / "model.ckpt")
        self._model: Any = None
        self.last_flags: dict[int, tuple[str, str, float, float]] = {}

    def _hparams(self) -> dict[str, Any]:
        import yaml

        try:
            hp = yaml.safe_load((self.folder / "hparams.yaml").read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ModelError(f"--metric {self.name}: {self.folder}/hparams.yaml unreadable ({exc})", "download the model again") from None
        if not isinstance(hp, dict) or hp.get("class_identifier") != self.kind:
            found = hp.get("class_identifier") if isinstance(hp, dict) else None
            raise ModelError(f"--metric {self.name}: {self.model_id} is a {found!r} checkpoint, not {self.kind!r}",
                             self.kind_hint)
        return hp

    @property
    def signature(self) -> str:
        return f"{self.name}|model:{self.model_id}|ckpt:{self.ckpt_hash}|evalkit:{__version__}"

    @property
    def device(self) -> str:
        return self._model.device.type if self._model is not None else self.requested_device

    def _model_class(self) -> Any:
        from .comet_model import CometModel

        return CometModel

    def load(self) -> Any:
        if self._model is None:
            device = pick_device(self.name, self.requested_device)
            try:
                self._model = self._model_class()(self.folder, self.hparams, device)
            except (OSError, ValueError, KeyError, RuntimeError) as exc:
                raise ModelError(f"--metric {self.name}: cannot load {self.model_id}: {str(exc).splitlines()[0][:200]}",
                                 f"the encoder {self.hparams.get('pretrained_model')} (config and tokenizer) must be a folder "
                                 "or in the Hugging Face cache") from None  # fmt: skip
        return self._model

    def score(self, sources: Sequence[str], targets: Sequence[str], references: Sequence[Sequence[str]] | None) -> list[float]:
        model = self.load()
        if self.needs_reference:
            assert references is not None  # evalkit passes references to a needs_reference metric
            # several references: the best of the per-reference scores (as sacrebleu keeps the best chrF)
            runs = [model.score(sources, targets, stream, self.batch_size) for stream in references]
        else:
            runs = [model.score(sources, targets, None, self.batch_size)]
        import numpy as np

        scores = np.fmax.reduce([r.scores for r in runs]) if len(runs) > 1 else runs[0].scores
        too_long = sorted({i for r in runs for i in r.too_long})
        self.last_flags = self._too_long_flags(too_long, runs[0].max_tokens)
        scores[too_long] = np.nan
        return [float(x) for x in scores]

    def _too_long_flags(self, positions: Sequence[int], max_tokens: int) -> dict[int, tuple[str, str, float, float]]:
        return {i: ("too_long", f"too_long: an input of {self.name} has more than {max_tokens} tokens (not truncated, "
                                f"not scored)", float(max_tokens + 1), float(max_tokens)) for i in positions}  # fmt: skip


class Comet(_CometBase):
    """Reference-based COMET (regression_metric, e.g. Unbabel/wmt22-comet-da), about 0..1."""

    name = "comet"
    label = "COMET"
    default_model = "Unbabel/wmt22-comet-da"
    kind = "regression_metric"
    needs_reference = True
    description = "COMET (reference-based regression, wmt22-comet-da), about 0..1"


class CometKiwi(_CometBase):
    """Quality estimation without a reference (unified_metric, e.g. Unbabel/wmt22-cometkiwi-da), about 0..1."""

    name = "cometkiwi"
    label = "CometKiwi"
    default_model = "Unbabel/wmt22-cometkiwi-da"
    kind = "unified_metric"
    needs_reference = False
    description = "CometKiwi (quality estimation, no reference, wmt22-cometkiwi-da), about 0..1"


def available() -> bool:
    """True when the neural extra is installed (torch and transformers importable)."""
    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
