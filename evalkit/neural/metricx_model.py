"""MetricX-23/24 regression in plain torch + transformers, read from a MetricX checkpoint (no metricx package).

The computation follows google-research/metricx (``metricx23/models.py`` ``MT5ForRegression``, the same in
``metricx24``; ``metricx23/predict.py`` and ``metricx24/predict.py`` for the inputs), written anew here:

- the model is mT5 (encoder-decoder); the encoder reads the whole input, the decoder runs **one step** whose
  input is token 0 (``<pad>``, T5's decoder start) for every segment;
- the score is the logit of one vocabulary entry at that step, ``lm_logits[:, 0, 250089]`` (250089 is mT5's
  ``<extra_id_10>``), clipped to [0, 25]: a predicted error, lower is better. When the checkpoint's config
  ties the word embeddings the decoder output is first scaled by ``d_model ** -0.5`` (as MetricX, and T5 in
  transformers 4, do); MetricX's own checkpoints are untied (mT5's ``tie_word_embeddings: false``);
- the input is tokenized with the end-of-sequence token, which is then **removed** (``_remove_eos``:
  ``input_ids[:-1]``, ``attention_mask[:-1]``).

MetricX tokenizes with ``truncation=True, max_length=max_input_length`` (1536 for MetricX-24, 1024 for
MetricX-23 in its README's commands). evalkit never truncates: an input whose tokens (with the end-of-sequence
token) are more than ``max_input_length`` gets NaN and is listed in ``too_long``. Batches are formed by length
(longest first) and the scores are put back in input order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["EXTRA_ID_10", "MetricXModel", "Predicted"]

EXTRA_ID_10 = 250089  # the id of <extra_id_10> in mT5's vocabulary: the entry MetricX reads its score from


@dataclass(frozen=True)
class Predicted:
    """Scores in input order (NaN where not scored), each input's token count (with the end-of-sequence token)
    and the positions whose input was longer than ``max_tokens``."""

    scores: np.ndarray
    lengths: tuple[int, ...]
    too_long: tuple[int, ...]
    max_tokens: int

    def __post_init__(self) -> None:
        if not (len(self.scores) == len(self.lengths) and all(0 <= i < len(self.lengths) for i in self.too_long)):
            raise ValueError(f"Predicted: {len(self.scores)} scores, {len(self.lengths)} lengths, too_long {self.too_long}")


class MetricXModel:
    """A loaded MetricX checkpoint (``config.json`` + weights) and its mT5 tokenizer, on one device."""

    def __init__(self, folder: Path, tokenizer: Path, device: str, dtype: str, max_tokens: int) -> None:
        from transformers import AutoTokenizer, MT5ForConditionalGeneration
        from transformers import logging as hf_logging

        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        # transformers 5's MT5Config always ties (its config forces tie_word_embeddings=True), so the checkpoint's
        # own setting is read from the file; absent, it is transformers 4's MT5Config default (False)
        self.tied = bool(raw.get("tie_word_embeddings", False))
        self.model_dim = int(raw["d_model"])
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(tokenizer))
        self.tokenizer.model_max_length = 1 << 30  # lengths are checked here (too_long), never truncated
        probe = self.tokenizer("x")["input_ids"]
        self.eos = self.tokenizer.eos_token_id
        self.pad = self.tokenizer.pad_token_id
        if self.eos is None or self.pad is None or not probe or probe[-1] != self.eos:
            raise ValueError(f"the tokenizer {tokenizer} does not end an input with its end-of-sequence token (mT5's adds </s>)")
        vocab = int(raw["vocab_size"])
        # 250089 is <extra_id_10> of mT5's 250,100-piece vocabulary (250,112 rows in the model). A smaller vocabulary
        # (a test's tiny model) has its <extra_id_10> elsewhere: then the tokenizer says where.
        if vocab > EXTRA_ID_10:
            self.index = EXTRA_ID_10
        else:
            found = self.tokenizer.convert_tokens_to_ids("<extra_id_10>")
            if not isinstance(found, int) or found == self.tokenizer.unk_token_id or not 0 <= found < vocab:
                raise ValueError(f"vocabulary of {vocab} rows has no <extra_id_10> (mT5's id {EXTRA_ID_10}), "
                                 "the entry MetricX reads")  # fmt: skip
            self.index = found
        # MetricX-23's predict.py loads float32; MetricX-24's loads torch_dtype="auto" (the checkpoint's own dtype)
        torch_dtype: Any = "auto" if dtype == "auto" else getattr(torch, dtype)
        import transformers

        key = "dtype" if tuple(int(x) for x in transformers.__version__.split(".")[:2]) >= (4, 56) else "torch_dtype"
        # quiet while loading: transformers 5 warns that an untied mT5 lm_head "will NOT be tied" (it is right not to)
        # and draws a progress bar on stderr
        level, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            loaded: Any = MT5ForConditionalGeneration.from_pretrained(str(folder), output_loading_info=True, **{key: torch_dtype})
        finally:
            hf_logging.set_verbosity(level)
            if bar:
                hf_logging.enable_progress_bar()
        model, info = loaded  # (model, loading info) with output_loading_info=True
        # the embeddings of encoder and decoder are the shared ones, and a tied model's lm_head too
        optional = {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"} | ({"lm_head.weight"} if self.tied else set())
        missing = [k for k in info.get("missing_keys", []) if k not in optional]
        if missing:
            raise ValueError(f"weights missing from the checkpoint: {', '.join(sorted(missing)[:3])}")
        self.model: Any = model
        self.device = torch.device(device)
        self.model.to(self.device).eval()
        self.max_tokens = max_tokens

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each input, with the end-of-sequence token (as MetricX tokenizes, before removing it)."""
        return [list(x) for x in self.tokenizer(list(texts), truncation=False, padding=False)["input_ids"]]

    def predict(self, texts: Sequence[str], batch_size: int) -> Predicted:
        """One MetricX score (0-25, lower is better) per input string, NaN for a too-long one, in input order."""
        seqs = self.ids(texts)
        n = len(seqs)
        lengths = tuple(len(s) for s in seqs)
        too_long = tuple(i for i in range(n) if lengths[i] > self.max_tokens)
        out = np.full(n, np.nan)
        order = sorted((i for i in range(n) if lengths[i] <= self.max_tokens), key=lambda i: -lengths[i])
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                values = self._forward([seqs[i][:-1] for i in batch])  # MetricX's _remove_eos
                out[batch] = values.detach().to("cpu", torch.float64).numpy()
        return Predicted(out, lengths, too_long, self.max_tokens)

    def _forward(self, seqs: list[list[int]]) -> torch.Tensor:
        width = max(1, max(len(s) for s in seqs))
        ids = torch.full((len(seqs), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = 1
        ids, mask = ids.to(self.device), mask.to(self.device)
        encoded = self.model.encoder(input_ids=ids, attention_mask=mask, return_dict=True).last_hidden_state
        start = torch.zeros((len(seqs), 1), dtype=torch.long, device=self.device)  # MetricX: LongTensor([0]) per segment
        decoded = self.model.decoder(input_ids=start, encoder_hidden_states=encoded, encoder_attention_mask=mask,
                                     use_cache=False, return_dict=True).last_hidden_state  # fmt: skip
        if self.tied:
            decoded = decoded * (self.model_dim**-0.5)
        logits = self.model.lm_head(decoded)
        return torch.clamp(logits[:, 0, self.index].float(), 0, 25)
