"""Learned reference-free quality estimation (``qe``): predicted expert MQM of each link, numpy only.

``load_qe("usem3")`` gives the shipped model (trained by tools/train_qe.py on the public WMT MQM data, see
MODEL_CARD.md); any other encoder gives None and a warning, so ``qe`` stays empty rather than wrong.
``QEModel.predict(src_vecs, tgt_vecs, src_texts, tgt_texts, src_lang, tgt_lang)`` returns one float per
link: predicted MQM, 0 best (no error), about -5 for a major error, more negative worse.
"""

from __future__ import annotations

import warnings

from .features import link_features
from .model import QEModel, load_qe

__all__ = ["LOW_QE", "QEModel", "length_adjusted", "link_features", "load_qe"]

# Default `low_qe` threshold, on the length-adjusted qe (`QEModel.predict_adjusted`, predicted MQM of a segment
# of average length): calibrated on held-out expert MQM and the seed, see MODEL_CARD.md.
LOW_QE = -4.0


_USEM3: list[QEModel | None] = []  # the shipped model, loaded once (flag_link calls this for every link)


def length_adjusted(qe: float, source: str, target: str) -> float:
    """``qe`` of one link as if it were of average length (the value `low_qe` compares with its threshold):
    the shipped usem3 model's log-length penalty taken out where negative (`QEModel.predict_adjusted`,
    `QEModel.length_term`). qe values exist only
    where that model scored the link."""
    model = _USEM3[0] if _USEM3 else None
    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = load_qe("usem3")
        _USEM3[:] = [model]
    if model is None:  # pragma: no cover - the weights ship with the package
        return qe
    return qe - min(model.length_term_of(source, target), 0.0)
