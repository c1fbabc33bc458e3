"""XCOMET inference in plain torch + transformers, read from an unbabel-comet ``xcomet_metric`` checkpoint.

XCOMET (Guerreiro et al. 2024, "xCOMET: Transparent Machine Translation Evaluation through Fine-grained
Error Detection"; unbabel-comet 2.2 comet/models/multitask/xcomet_metric.py and unified_metric.py) is a
unified metric with a second head: every encoder pass gives a sentence score (layer mix, first token,
feed-forward, as CometKiwi) and, from the hidden states of layer ``word_layer``, a tag per subword of the MT
(``hidden2tag``: O, minor, major, critical). Written anew here:

- with a reference, three inputs: ``<s> mt </s></s> src </s>``, ``<s> mt </s></s> ref </s>`` and
  ``<s> mt </s></s> src </s></s> ref </s>``; the tag probabilities of the MT tokens are averaged with the
  weights 0.1667, 0.3333, 0.5 and the sentence scores (each capped at 1) weighted 0.12, 0.33, 0.33;
- without one (``qe``), the first input alone, its capped sentence score weighted 0.12 + 0.33 + 0.33;
- spans: the arg-max tag of each MT token (``<s>`` and ``</s>`` included, as unbabel-comet reads them); a
  run of error tags is one span with the first token's severity, from its first token's start offset to its
  last token's end offset, its confidence the mean probability of the chosen tags; a run still open at the
  last MT token (``</s>``) is not a span (unbabel-comet's decoding closes a span only on an O tag);
- the segment score adds 0.22 x the MQM-like score of the spans: ``(25 - min(25, minor + 5 major +
  10 critical)) / 25``.

The span's text is the target's own characters ``[start:end]`` (unbabel-comet decodes the tokens instead,
which differs in spaces and normalised characters). Inputs longer than the encoder reads are never
truncated: NaN and ``too_long``, as `evalkit.neural.comet_model`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .comet_model import CometModel

__all__ = ["SEVERITY_WEIGHTS", "SpanTuple", "XCometModel", "XScored"]

SpanTuple = tuple[int, int, str, str, float]  # (start, end, text, severity, confidence)

INPUT_WEIGHTS_SPANS = (0.1667, 0.3333, 0.5)  # tag probabilities of [mt:src], [mt:ref], [mt:src:ref]
SCORE_WEIGHTS = (0.12, 0.33, 0.33, 0.22)  # sentence scores of the three inputs, then the MQM-like score
SEVERITY_WEIGHTS = {"minor": 1, "major": 5, "critical": 10}
MQM_CAP = 25


@dataclass(frozen=True)
class XScored:
    """Scores in input order (NaN where not scored), each segment's spans, and the too-long positions."""

    scores: np.ndarray
    spans: tuple[tuple[SpanTuple, ...], ...]
    too_long: tuple[int, ...]
    max_tokens: int


def mqm_score(severities: Sequence[str]) -> float:
    """XCOMET's MQM-like score of a segment's spans, 0..1 (1: no error; 25 penalty points or more: 0)."""
    penalty = min(MQM_CAP, sum(SEVERITY_WEIGHTS.get(s, 0) for s in severities))
    return (MQM_CAP - penalty) / MQM_CAP


class XCometModel(CometModel):
    """A loaded ``xcomet_metric`` checkpoint (e.g. Unbabel/XCOMET-XL) on one device."""

    KINDS = ("xcomet_metric",)

    def _heads(self, state: dict[str, torch.Tensor]) -> tuple[nn.Module, ...]:
        labels = list(self.hparams.get("error_labels") or ["minor", "major", "critical"])
        self.labels = ["O", *labels]  # unbabel-comet's LabelSet: O first, then I-<label> in order
        weight, bias = state["hidden2tag.weight"], state["hidden2tag.bias"]
        if weight.shape[0] != len(self.labels):
            raise ValueError(f"hidden2tag has {weight.shape[0]} outputs for the tags {self.labels}")
        self.hidden2tag = nn.Linear(weight.shape[1], weight.shape[0])
        self.hidden2tag.load_state_dict({"weight": weight, "bias": bias})
        self.word_layer = int(self.hparams.get("word_layer", 24))
        n_states = int(self.encoder.config.num_hidden_layers) + 1
        if not 0 <= self.word_layer < n_states:
            raise ValueError(f"word_layer {self.word_layer} is not one of the encoder's {n_states} hidden states")
        return (self.hidden2tag,)

    def predict(self, sources: Sequence[str], targets: Sequence[str], references: Sequence[str] | None,
                batch_size: int) -> XScored:  # fmt: skip
        """Scores and error spans per segment (NaN and no spans for a too-long one), in input order; with
        ``references`` None, XCOMET's reference-free mode."""
        n = len(targets)
        mt_ids, src_ids = self._ids(targets), self._ids(sources)
        offsets = self.tokenizer.offsets(targets)
        sides = [[self._unified(mt, src) for mt, src in zip(mt_ids, src_ids)]]
        per_side = [mt_ids, src_ids]
        if references is not None:
            ref_ids = self._ids(references)
            sides += [[self._unified(mt, ref) for mt, ref in zip(mt_ids, ref_ids)],
                      [self._unified(self._unified(mt, src), ref) for mt, src, ref in zip(mt_ids, src_ids, ref_ids)]]
            per_side.append(ref_ids)  # fmt: skip
        lengths = [max(len(side[i]) for side in sides) for i in range(n)]
        fits = [lengths[i] <= self.max_joined and all(len(ids[i]) <= self.max_tokens for ids in per_side) for i in range(n)]
        too_long = tuple(i for i in range(n) if not fits[i])
        out = np.full(n, np.nan)
        spans: list[tuple[SpanTuple, ...]] = [()] * n
        order = sorted((i for i in range(n) if fits[i]), key=lambda i: -lengths[i])
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                scores, probs = self._forward_batch([[side[i] for i in batch] for side in sides],
                                                    max(len(mt_ids[i]) for i in batch))  # fmt: skip
                for row, i in enumerate(batch):
                    found = self._decode(probs[row, : len(mt_ids[i])], offsets[i], targets[i])
                    spans[i] = found
                    mqm = torch.tensor(mqm_score([s[3] for s in found]), dtype=torch.float32)
                    out[i] = float((scores[row] + mqm * SCORE_WEIGHTS[3]).to(torch.float64))
        return XScored(out, tuple(spans), too_long, self.max_tokens)

    def _forward_batch(self, sides: list[list[list[int]]], mt_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The weighted regression part of the score (float32, on the CPU) and the weighted tag
        probabilities of the first ``mt_len`` positions, (batch, mt_len, tags)."""
        regression: torch.Tensor | float = 0.0
        probs: torch.Tensor | float = 0.0
        for k, seqs in enumerate(sides):
            ids, mask = self._pad(seqs)
            out = self.encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True, return_dict=True)
            layers = out.hidden_states
            mixed = self.mix(layers, mask) if self.mix is not None else layers[int(self.layer)]
            score = self.estimator(mixed[:, 0, :]).view(-1)
            score = torch.where(score > 1.0, 1.0, score)  # each input's score capped at 1 (not below)
            logits = self.hidden2tag(layers[self.word_layer])
            tag_probs = torch.softmax(logits, dim=2)[:, :mt_len, :]
            if len(sides) == 1:  # no reference: the [mt:src] input stands for all three
                regression = score * sum(SCORE_WEIGHTS[:3])
                probs = tag_probs
            else:
                regression = regression + score * SCORE_WEIGHTS[k]
                probs = probs + tag_probs * torch.tensor(INPUT_WEIGHTS_SPANS[k], dtype=tag_probs.dtype)
        assert isinstance(regression, torch.Tensor) and isinstance(probs, torch.Tensor)  # sides is never empty
        return regression.float().cpu(), probs.float().cpu()

    def _decode(self, probs: torch.Tensor, offsets: list[tuple[int, int]], target: str) -> tuple[SpanTuple, ...]:
        """Runs of error tags over the MT tokens as spans (see the module docstring)."""
        best, labels = probs.max(dim=-1)
        spans: list[SpanTuple] = []
        run: dict[str, Any] | None = None
        for k, (label, (lo, hi)) in enumerate(zip(labels.tolist(), offsets)):
            if label != 0 and run is None:
                run = {"start": lo, "end": hi, "severity": self.labels[label], "probs": [best[k]]}
            elif label != 0 and run is not None:
                run["end"] = hi
                run["probs"].append(best[k])
            elif label == 0 and run is not None:
                start, end = run["start"], max(run["start"], run["end"])
                spans.append((start, end, target[start:end], run["severity"], float(torch.stack(run["probs"]).mean())))
                run = None
        return tuple(spans)
