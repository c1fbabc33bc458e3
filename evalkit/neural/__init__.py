"""First-party neural metrics (``pip install 'evalkit[neural]'``: torch and transformers), as metric plug-ins.

- `evalkit.neural.comet`: COMET estimators read from an unbabel-comet checkpoint folder (``hparams.yaml`` and
  ``checkpoints/model.ckpt``) without unbabel-comet: ``comet`` (reference-based regression, wmt22-comet-da)
  and ``cometkiwi`` (quality estimation without a reference, wmt22-cometkiwi-da).
- `evalkit.neural.metricx`: MetricX-23/24 (google-research/metricx) read from a MetricX checkpoint folder
  (``config.json`` and weights, an mT5 tokenizer) without the metricx package: ``metricx`` (reference-based) and
  ``metricx-qe`` (no reference); a predicted error, 0-25, lower is better.
- `evalkit.neural.xcomet`: ``xcomet`` (XCOMET-XL: a score and the error spans in each target, with or without
  a reference), its computation in `evalkit.neural.xcomet_model`.
- `evalkit.neural.loading`: model folders (local path or Hugging Face hub id, ``HF_HUB_OFFLINE`` respected),
  checkpoint hashes, devices and the one-line errors when the extra or a model is missing.

Nothing here is imported by ``evalkit --help``; torch is imported when a model is loaded.
"""

from __future__ import annotations

__all__: list[str] = []
