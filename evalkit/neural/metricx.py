"""The ``metricx`` and ``metricx-qe`` metric plug-ins (first party): MetricX-23/24 checkpoints without the metricx package.

    evalkit score --src s.zh --tgt h.en --ref r.en -o out/ --metric metricx
    evalkit score --src s.zh --tgt h.en -o out/ --metric metricx-qe:model=/models/metricx-24-hybrid-xl-v2p6,device=cpu

A score is MetricX's predicted error, 0 (best) to 25: **lower is better**. Options (strings, from
``--metric NAME:key=value,...``):

- ``model``: hub id or folder of a MetricX checkpoint (``config.json`` and weights); default
  google/metricx-24-hybrid-large-v2p6 (MetricX-24 models are hybrid: the same one serves both plug-ins; a
  MetricX-23 QE model is a separate checkpoint, ``metricx-23-qe-*``);
- ``tokenizer``: the mT5 tokenizer (MetricX's checkpoints carry none; its README passes google/mt5-xl, and
  every mT5 size has the same vocabulary); default: the model folder when it holds one, else google/mt5-xl;
- ``version``: ``23`` or ``24``, the input format; default: the version the model's name says
  (``metricx-23...``/``metricx-24...`` in the id, folder or config), else 24;
- ``batch_size`` (16), ``device`` (auto, cpu, cuda, cuda:N), ``max_input_length`` (tokens; default 1536 for
  MetricX-24 and 1024 for MetricX-23, the values of MetricX's README, which its models were trained with).

Inputs, as MetricX's predict.py builds them: MetricX-24 ``source: S candidate: H reference: R`` (QE: without
`` reference: R``), MetricX-23 ``candidate: H reference: R`` (QE: ``candidate: H source: S``). An input over
``max_input_length`` tokens is not truncated (MetricX truncates it) but gets no score and a ``too_long`` flag.
With several references a segment's score is the best (lowest) of its per-reference scores. The model folder
is found and its weights hashed when the metric is built, so a missing model fails before any scoring.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from .. import __version__
from ..errors import ModelError, UsageError
from .loading import INSTALL, checkpoint_hash, need_extra, parse_int, pick_device, resolve_model

__all__ = ["MetricX", "MetricXQE"]

_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json", "pytorch_model.bin.index.json")
_MODEL_FILES = ("*.json", "*.safetensors", "*.bin", "*.model")
_TOKENIZER_FILES = ("*.json", "*.model")
_DEFAULT_TOKENIZER = "google/mt5-xl"
MAX_INPUT_LENGTH = {"23": 1024, "24": 1536}  # MetricX README: the models' training lengths, its --max_input_length


def _inputs(version: str, sources: Sequence[str], targets: Sequence[str], references: Sequence[str] | None) -> list[str]:
    """MetricX's input strings (metricx23/predict.py and metricx24/predict.py, ``_make_input``)."""
    if version == "23":
        if references is None:
            return [f"candidate: {h} source: {s}" for s, h in zip(sources, targets)]
        return [f"candidate: {h} reference: {r}" for h, r in zip(targets, references)]
    if references is None:
        return [f"source: {s} candidate: {h}" for s, h in zip(sources, targets)]
    return [f"source: {s} candidate: {h} reference: {r}" for s, h, r in zip(sources, targets, references)]


class _MetricXBase:
    name: ClassVar[str]
    needs_reference: ClassVar[bool]
    default_model = "google/metricx-24-hybrid-large-v2p6"
    higher_is_better = False
    range = (0.0, 25.0)

    def __init__(self, model: str = "", tokenizer: str = "", version: str = "", batch_size: str = "16",
                 device: str = "auto", max_input_length: str = "") -> None:  # fmt: skip
        need_extra(self.name)
        self.model_id = model or self.default_model
        self.batch_size = parse_int(self.name, "batch_size", batch_size)
        self.requested_device = device
        what = "a MetricX checkpoint (config.json and model.safetensors or pytorch_model.bin)"
        self.folder = resolve_model(self.name, self.model_id, ("config.json",), patterns=_MODEL_FILES, what=what)
        weights = [self.folder / f for f in _WEIGHTS if (self.folder / f).is_file()]
        if not weights:
            raise ModelError(f"--metric {self.name}: {self.folder} has no weights ({' or '.join(_WEIGHTS[:2])})",
                             f"give the folder of {what}")  # fmt: skip
        self.config = self._config()
        self.version = self._version(version)
        self._check_kind()
        self.max_tokens = parse_int(self.name, "max_input_length", max_input_length or MAX_INPUT_LENGTH[self.version], lowest=2)
        self.tokenizer_id = tokenizer or (str(self.folder) if self._has_tokenizer(self.folder) else _DEFAULT_TOKENIZER)
        self.tokenizer_folder = resolve_model(self.name, self.tokenizer_id, (), patterns=_TOKENIZER_FILES,
                                              what="an mT5 tokenizer (tokenizer.json or spiece.model)")  # fmt: skip
        if not self._has_tokenizer(self.tokenizer_folder):
            raise ModelError(f"--metric {self.name}: {self.tokenizer_folder} has no tokenizer.json or spiece.model",
                             f"give tokenizer={_DEFAULT_TOKENIZER} or an mT5 tokenizer folder")  # fmt: skip
        if not (self.tokenizer_folder / "tokenizer.json").is_file() and importlib.util.find_spec("sentencepiece") is None:
            raise ModelError(f"--metric {self.name} needs sentencepiece for {self.tokenizer_id} (spiece.model), which is not installed",
                             INSTALL)  # fmt: skip
        self.ckpt_hash = self._hash(weights[0])
        self.label = f"MetricX-{self.version}" + ("" if self.needs_reference else "-QE")
        kind = "reference-based" if self.needs_reference else "no reference"
        self.description = f"{self.label} ({kind}), predicted error 0-25, lower is better"
        self._model: Any = None
        self.last_flags: dict[int, tuple[str, str, float, float]] = {}

    @staticmethod
    def _has_tokenizer(folder: Path) -> bool:
        return (folder / "tokenizer.json").is_file() or (folder / "spiece.model").is_file()

    def _config(self) -> dict[str, Any]:
        try:
            config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"--metric {self.name}: {self.folder}/config.json unreadable ({exc})",
                             "download the model again") from None  # fmt: skip
        if not isinstance(config, dict) or config.get("model_type") not in ("mt5", "t5"):
            found = config.get("model_type") if isinstance(config, dict) else None
            raise ModelError(f"--metric {self.name}: {self.model_id} is a {found!r} model, not mT5",
                             "give a MetricX checkpoint (google/metricx-24-hybrid-*, google/metricx-23-*)")  # fmt: skip
        return config

    def _names(self) -> str:
        return f"{self.model_id} {self.folder} {self.config.get('_name_or_path', '')}".lower()

    def _version(self, given: str) -> str:
        if given:
            if given not in MAX_INPUT_LENGTH:
                raise UsageError(f"--metric {self.name}: version={given!r} is not 23 or 24", "write version=23 or version=24")
            return given
        said = set(re.findall(r"metricx[-_]?(23|24)", self._names()))
        if len(said) > 1:
            raise UsageError(f"--metric {self.name}: the name of {self.model_id} says both MetricX-23 and -24",
                             "give version=23 or version=24")  # fmt: skip
        return said.pop() if said else "24"

    def _check_kind(self) -> None:
        """MetricX-23 has separate reference-based and QE models: refuse the pairing its name says is wrong."""
        names = self._names()
        if self.version != "23" or "metricx-23" not in names:
            return
        qe_model = "metricx-23-qe" in names
        if qe_model and self.needs_reference:
            raise UsageError(f"--metric {self.name}: {self.model_id} is a MetricX-23 QE model", "use --metric metricx-qe with it")
        if not qe_model and not self.needs_reference:
            raise UsageError(f"--metric {self.name}: {self.model_id} is a reference-based MetricX-23 model",
                             "use --metric metricx, or a metricx-23-qe-* model")  # fmt: skip

    def _hash(self, weights: Path) -> str:
        """The weights' hash: the file's, or for a sharded checkpoint a hash of its shards' hashes in order."""
        if not weights.name.endswith(".index.json"):
            return checkpoint_hash(weights)
        try:
            shards = sorted(set(json.loads(weights.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise ModelError(f"--metric {self.name}: {weights} unreadable ({exc})", "download the model again") from None
        missing = [s for s in shards if not (self.folder / s).is_file()]
        if missing:
            raise ModelError(f"--metric {self.name}: {self.folder} lacks {', '.join(missing[:3])}", "download the model again")
        joined = "|".join(checkpoint_hash(self.folder / s) for s in shards)
        return hashlib.sha256(joined.encode()).hexdigest()[:16]

    @property
    def signature(self) -> str:
        return (f"{self.name}|model:{self.model_id}|ckpt:{self.ckpt_hash}|v:{self.version}|tok:{self.tokenizer_id}"
                f"|evalkit:{__version__}")  # fmt: skip

    @property
    def device(self) -> str:
        return self._model.device.type if self._model is not None else self.requested_device

    def load(self) -> Any:
        if self._model is None:
            from .metricx_model import MetricXModel

            device = pick_device(self.name, self.requested_device)
            try:
                # MetricX-23's predict.py loads float32, MetricX-24's the checkpoint's own dtype (torch_dtype="auto")
                dtype = "float32" if self.version == "23" else "auto"
                self._model = MetricXModel(self.folder, self.tokenizer_folder, device, dtype, self.max_tokens)
            except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
                raise ModelError(f"--metric {self.name}: cannot load {self.model_id}: {str(exc).strip().splitlines()[0][:200]}",
                                 f"the model folder needs config.json and its weights, the tokenizer ({self.tokenizer_id}) "
                                 "tokenizer.json or spiece.model") from None  # fmt: skip
        return self._model

    def score(self, sources: Sequence[str], targets: Sequence[str], references: Sequence[Sequence[str]] | None) -> list[float]:
        import numpy as np

        model = self.load()
        if self.needs_reference:
            assert references is not None  # evalkit passes references to a needs_reference metric
            runs = [model.predict(_inputs(self.version, sources, targets, stream), self.batch_size) for stream in references]
        else:
            runs = [model.predict(_inputs(self.version, sources, targets, None), self.batch_size)]
        # several references: the best of the per-reference scores, and for MetricX the best is the lowest error
        scores = np.fmin.reduce([r.scores for r in runs]) if len(runs) > 1 else runs[0].scores
        too_long = sorted({i for r in runs for i in r.too_long})
        longest = {i: max(r.lengths[i] for r in runs) for i in too_long}
        self.last_flags = {i: ("too_long", f"too_long: an input of {self.name} has {n} tokens, more than the {self.max_tokens} "
                                           f"MetricX-{self.version} reads (not truncated, not scored)", float(n), float(self.max_tokens))
                           for i, n in longest.items()}  # fmt: skip
        scores[too_long] = np.nan
        return [float(x) for x in scores]


class MetricX(_MetricXBase):
    """Reference-based MetricX (google/metricx-24-hybrid-*, google/metricx-23-*): predicted error 0-25, lower is better."""

    name = "metricx"
    needs_reference = True


class MetricXQE(_MetricXBase):
    """MetricX without a reference (MetricX-24 hybrid, or google/metricx-23-qe-*): predicted error 0-25, lower is better."""

    name = "metricx-qe"
    needs_reference = False
