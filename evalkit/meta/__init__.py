"""Meta-evaluation: how far each metric agrees with human judgements, with the WMT metrics task's statistics.

read (`readers`, `human`) -> score (`scoring`) -> statistics (`stats`, `tiecal`, `resample`) and flag validity
(`validity`) -> outputs (`outputs`, `html`); `run.run_meta` wires them.
"""

from __future__ import annotations

from .human import HumanSet, mqm_weight, read_mqm_tsv
from .readers import read_human
from .run import MetaOptions, MetaResult, run_meta

__all__ = ["HumanSet", "MetaOptions", "MetaResult", "mqm_weight", "read_human", "read_mqm_tsv", "run_meta"]
