"""Learned reference-free quality estimation (``qe``): predicted expert MQM of each link, numpy only.

``load_qe("usem3")`` gives the shipped model (trained by tools/train_qe.py on the public WMT MQM data, see
MODEL_CARD.md); any other encoder gives None and a warning, so ``qe`` stays empty rather than wrong.
``QEModel.predict(src_vecs, tgt_vecs, src_texts, tgt_texts, src_lang, tgt_lang)`` returns one float per
link: predicted MQM, 0 best (no error), about -5 for a major error, more negative worse.
"""

from __future__ import annotations

from .features import link_features
from .model import QEModel, load_qe

__all__ = ["LOW_QE", "QEModel", "link_features", "load_qe"]

# Default `low_qe` threshold, on the length-adjusted qe (`QEModel.predict_adjusted`, predicted MQM of a segment
# of average length): calibrated on held-out expert MQM and the seed, see MODEL_CARD.md.
LOW_QE = -4.5
