"""COMET estimators in plain torch + transformers, read from an unbabel-comet checkpoint (no unbabel-comet).

The computation follows unbabel-comet 2.x (Rei et al. 2020, 2022; comet/models/base.py,
regression/regression_metric.py, multitask/unified_metric.py, modules/layerwise_attention.py,
modules/feedforward.py, encoders/xlmr.py), written anew here:

- encoder: XLM-R (``XLMRobertaModel``, no pooling layer), every hidden state (embeddings + each layer);
- layerwise mix: ``gamma * sum_k w_k * h_k`` with ``w = softmax`` or ``sparsemax`` (``layer_transformation``)
  of the scalar parameters, each layer optionally normalised per sentence over its unmasked tokens
  (``layer_norm``);
- ``regression_metric`` (wmt22-comet-da): sentence embeddings by masked average pooling of the mix for
  source s, hypothesis h and reference r, features ``[h, r, h*r, |h-r|, h*s, |h-s|]`` -> feed-forward;
- ``unified_metric`` (wmt22-cometkiwi-da, QE): one sequence ``<s> mt </s></s> src </s>``, the mix's first
  token -> feed-forward.

Inputs longer than the encoder reads (``max_position_embeddings - 2`` tokens, 512 for XLM-R) are never
truncated: `CometModel.score` returns NaN for them and lists them in ``too_long`` (COMET issues #105, #209).
Batches are formed by length (longest first) and scores are put back in input order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["CometModel", "Scored", "sparsemax"]


def sparsemax(z: torch.Tensor) -> torch.Tensor:
    """Sparsemax of a 1-D tensor (Martins & Astudillo 2016): the Euclidean projection onto the simplex."""
    ordered, _ = torch.sort(z, descending=True)
    k = torch.arange(1, len(z) + 1, dtype=z.dtype, device=z.device)
    cumulative = torch.cumsum(ordered, 0) - 1
    support = (k * ordered - cumulative) > 0
    size = support.sum()
    tau = cumulative[size - 1] / size.to(z.dtype)
    return torch.clamp(z - tau, min=0)


class LayerMix(nn.Module):
    """unbabel-comet's LayerwiseAttention at inference (no dropout): ``gamma * sum_k w_k * h_k``."""

    def __init__(self, num_layers: int, transformation: str, layer_norm: bool) -> None:
        super().__init__()
        self.scalar_parameters = nn.ParameterList([nn.Parameter(torch.zeros(1)) for _ in range(num_layers)])
        self.gamma = nn.Parameter(torch.ones(1))
        # unbabel-comet uses sparsemax for "sparsemax" only; anything else ("softmax", and "sparsemax_patch" of
        # the checkpoints fixed after COMET issue #244) is softmax
        self.transformation = "sparsemax" if transformation == "sparsemax" else "softmax"
        self.layer_norm = layer_norm

    def forward(self, layers: Sequence[torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        weights = torch.cat(list(self.scalar_parameters))
        normed = torch.softmax(weights, dim=0) if self.transformation == "softmax" else sparsemax(weights)
        total: torch.Tensor | int = 0
        for k, layer in enumerate(layers):
            total = total + normed[k : k + 1] * (_masked_norm(layer, mask) if self.layer_norm else layer)
        return self.gamma * total


def _masked_norm(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Normalise each sentence's (tokens x dim) block by the mean and variance over its unmasked tokens."""
    m = mask.float().unsqueeze(-1)
    count = mask.float().sum(1) * x.size(-1)
    mean = ((x * m).view(x.size(0), -1).sum(1) / count).view(-1, 1, 1)
    var = (((x * m - mean) * m) ** 2).view(x.size(0), -1).sum(1) / count
    return (x - mean) / torch.sqrt(var + 1e-12).view(-1, 1, 1)


class Estimator(nn.Module):
    """The feed-forward head: Linear -> activation (-> dropout, a no-op here) ... -> Linear(, 1) [-> final]."""

    def __init__(self, state: dict[str, torch.Tensor], prefix: str, activation: str, final: str | None) -> None:
        super().__init__()
        positions = sorted({int(k[len(prefix):].split(".")[0]) for k in state if k.startswith(prefix)})
        self.linears = nn.ModuleList()
        for pos in positions:
            weight = state[f"{prefix}{pos}.weight"]
            linear = nn.Linear(weight.shape[1], weight.shape[0])
            linear.load_state_dict({"weight": weight, "bias": state[f"{prefix}{pos}.bias"]})
            self.linears.append(linear)
        self.activation = getattr(nn, activation.title())()
        self.final = getattr(nn, final.title())() if final else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, linear in enumerate(self.linears):
            x = linear(x)
            if i < len(self.linears) - 1:
                x = self.activation(x)
        return self.final(x) if self.final is not None else x


class _Tokenizer:
    """The encoder's tokenizer.json read by `tokenizers` itself, as transformers 4 (what unbabel-comet runs on)
    uses it; transformers 5 rebuilds XLM-R's tokenizer from the vocabulary and fuses unknown characters
    differently. Without a tokenizer.json (a sentencepiece-only folder), transformers' fast tokenizer."""

    def __init__(self, pretrained: str, fast: Any) -> None:
        from transformers.utils import cached_file

        path = cached_file(pretrained, "tokenizer.json", _raise_exceptions_for_missing_entries=False)
        self.raw: Any = None
        self.hf: Any = None
        if path:
            from tokenizers import Tokenizer

            self.raw = Tokenizer.from_file(str(path))
            self.raw.no_truncation()
            self.raw.no_padding()
            self.pad_token_id = int(self.raw.token_to_id("<pad>"))
            self.sep_token_id = int(self.raw.token_to_id("</s>"))
        else:
            self.hf = fast.from_pretrained(pretrained)
            self.hf.model_max_length = 1 << 30  # lengths are checked by CometModel (too_long), never truncated
            self.pad_token_id, self.sep_token_id = int(self.hf.pad_token_id), int(self.hf.sep_token_id)

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        if self.raw is not None:
            return [list(e.ids) for e in self.raw.encode_batch(list(texts), add_special_tokens=True)]
        return [list(x) for x in self.hf(list(texts), add_special_tokens=True, truncation=False)["input_ids"]]

    def offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Each token's (start, end) character offsets in its text ((0, 0) for ``<s>`` and ``</s>``)."""
        if self.raw is not None:
            return [[(int(a), int(b)) for a, b in e.offsets] for e in self.raw.encode_batch(list(texts), add_special_tokens=True)]
        out = self.hf(list(texts), add_special_tokens=True, truncation=False, return_offsets_mapping=True)
        return [[(int(a), int(b)) for a, b in row] for row in out["offset_mapping"]]


@dataclass(frozen=True)
class Scored:
    """Scores in input order (NaN where not scored) and the positions whose input was too long."""

    scores: np.ndarray
    too_long: tuple[int, ...]
    max_tokens: int  # tokens of one segment the encoder reads


class CometModel:
    """A loaded unbabel-comet checkpoint (``regression_metric`` or ``unified_metric``; ``xcomet_metric``
    through `evalkit.neural.xcomet_model`) on one device; an XLM-R or XLM-R XL encoder."""

    KINDS: tuple[str, ...] = ("regression_metric", "unified_metric")

    def __init__(self, folder: Path, hparams: dict[str, Any], device: str) -> None:
        from transformers import XLMRobertaTokenizerFast  # type: ignore[attr-defined]  # exported lazily by transformers 5, its stubs miss it

        ckpt = torch.load(folder / "checkpoints" / "model.ckpt", map_location="cpu", weights_only=True)
        state: dict[str, torch.Tensor] = ckpt["state_dict"] if "state_dict" in ckpt else ckpt
        # unbabel-comet takes the class from hparams.yaml and every other setting from the checkpoint's own
        # hyper_parameters (load_from_checkpoint without reload_hparams)
        hparams = {**hparams, **(ckpt.get("hyper_parameters") or {}), "class_identifier": hparams.get("class_identifier")}
        self.hparams = hparams
        self.kind = str(hparams.get("class_identifier"))
        if self.kind not in self.KINDS:
            raise ValueError(self.kind)
        encoder_model = str(hparams.get("encoder_model", "XLM-RoBERTa"))
        config_class: Any
        model_class: Any
        if encoder_model == "XLM-RoBERTa":
            from transformers import XLMRobertaConfig, XLMRobertaModel

            config_class, model_class = XLMRobertaConfig, XLMRobertaModel
        elif encoder_model == "XLM-RoBERTa-XL":  # XCOMET-XL/XXL, wmt23-cometkiwi-da-xl: pre-layer-norm XL
            from transformers import XLMRobertaXLConfig, XLMRobertaXLModel

            config_class, model_class = XLMRobertaXLConfig, XLMRobertaXLModel
        else:
            raise ValueError(f"encoder {encoder_model}")
        pretrained = str(hparams["pretrained_model"])
        self.tokenizer = _Tokenizer(pretrained, XLMRobertaTokenizerFast)
        config = config_class.from_pretrained(pretrained)
        self.encoder = model_class(config, add_pooling_layer=False)
        enc = {k[len("encoder.model."):]: v for k, v in state.items() if k.startswith("encoder.model.")}
        enc = {k: v for k, v in enc.items() if not k.startswith("pooler.")}
        missing, unexpected = self.encoder.load_state_dict(enc, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise ValueError(f"encoder weights do not fit its config: missing {missing[:3]}, unexpected {list(unexpected)[:3]}")
        # unbabel-comet's encoder reads max_positions - 2 = max_position_embeddings - 4 tokens of each segment
        # (510 for XLM-R: it truncates beyond), and a concatenated (unified) input of max_positions (512)
        self.max_tokens = int(config.max_position_embeddings) - 4
        self.max_joined = int(config.max_position_embeddings) - 2
        self.pool = str(hparams.get("pool", "avg"))
        self.mix: LayerMix | None = None
        # unified and XCOMET checkpoints name the sentence layer sent_layer (unbabel-comet passes it on as layer)
        self.layer = hparams.get("sent_layer", hparams.get("layer", "mix"))
        if self.layer == "mix":
            self.mix = LayerMix(config.num_hidden_layers + 1, str(hparams.get("layer_transformation", "softmax")),
                                bool(hparams.get("layer_norm", False)))  # fmt: skip
            self.mix.load_state_dict({k[len("layerwise_attention."):]: v for k, v in state.items()
                                      if k.startswith("layerwise_attention.") and "dropout" not in k})  # fmt: skip
        self.estimator = Estimator(state, "estimator.ff.", str(hparams.get("activations", "Tanh")),
                                   hparams.get("final_activation"))  # fmt: skip
        self.device = torch.device(device)
        for module in (self.encoder, self.mix, self.estimator, *self._heads(state)):
            if module is not None:
                module.to(self.device).eval()

    def _heads(self, state: dict[str, torch.Tensor]) -> tuple[nn.Module, ...]:
        """Further heads a subclass reads from the checkpoint's state (XCOMET's word tagger); none here."""
        return ()

    def _embed_layers(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True, return_dict=True)
        layers = out.hidden_states
        if self.mix is not None:
            return self.mix(layers, mask)
        return layers[int(self.layer)]

    def _sentence(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mixed = self._embed_layers(ids, mask)
        if self.pool == "cls":
            return mixed[:, 0, :]
        if self.pool != "avg":
            raise ValueError(f"pool {self.pool!r}")
        pad = ids.eq(self.tokenizer.pad_token_id).unsqueeze(-1)
        summed = mixed.float().masked_fill(pad, 0.0).type_as(mixed).sum(1)
        return summed / mask.unsqueeze(-1).expand(mixed.size()).float().sum(1)

    def _pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        return ids.to(self.device), mask.to(self.device)

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        return self.tokenizer.ids(texts)

    def score(self, sources: Sequence[str], targets: Sequence[str], references: Sequence[str] | None,
              batch_size: int) -> Scored:  # fmt: skip
        """One score per segment (NaN for a too-long one), in input order."""
        n = len(targets)
        if self.kind == "regression_metric":
            if references is None:
                raise ValueError("regression_metric needs references")
            sides = [self._ids(sources), self._ids(targets), self._ids(references)]
        else:
            mt_ids, src_ids = self._ids(targets), self._ids(sources)
            sides = [[self._unified(mt, src) for mt, src in zip(mt_ids, src_ids)]]
        lengths = [max(len(side[i]) for side in sides) for i in range(n)]
        if self.kind == "regression_metric":
            fits = [lengths[i] <= self.max_tokens for i in range(n)]
        else:  # each side within the segment limit, and the joined sequence within the encoder's
            fits = [lengths[i] <= self.max_joined and len(src_ids[i]) <= self.max_tokens and len(mt_ids[i]) <= self.max_tokens
                    for i in range(n)]  # fmt: skip
        too_long = tuple(i for i in range(n) if not fits[i])
        out = np.full(n, np.nan)
        order = sorted((i for i in range(n) if fits[i]), key=lambda i: -lengths[i])
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                values = self._forward([[side[i] for i in batch] for side in sides])
                out[batch] = values.detach().to("cpu", torch.float64).numpy().reshape(-1)
        return Scored(out, too_long, self.max_tokens)

    def _unified(self, mt: list[int], src: list[int]) -> list[int]:
        """``<s> mt </s></s> src </s>``: the source's own ``<s>`` replaced by ``</s>``."""
        return mt + [self.tokenizer.sep_token_id] + src[1:]

    def _forward(self, sides: list[list[list[int]]]) -> torch.Tensor:
        if self.kind == "regression_metric":
            s, h, r = (self._sentence(*self._pad(seqs)) for seqs in sides)
            features = torch.cat((h, r, h * r, torch.abs(h - r), h * s, torch.abs(h - s)), dim=1)
            return self.estimator(features).view(-1)
        ids, mask = self._pad(sides[0])
        return self.estimator(self._embed_layers(ids, mask)[:, 0, :]).view(-1)
