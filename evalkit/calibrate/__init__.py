"""Calibrate flag thresholds from reviewers' verdicts: fewer false alarms, real problems still caught.

Verdicts come from the report page's JSONL export (one object per line: ``src_ids``, ``tgt_ids``,
``verdict``, ``flags`` or ``reasons``, ``source``, ``target``, ``comment``, ``report``) or from
XLIFF/TMX files written by `evalkit.report.xliff_out` and returned by reviewers. In XLIFF:

- ``subState="evalkit:real-problem"`` / ``"evalkit:false-alarm"`` / ``"evalkit:fixed"`` is that verdict;
- else a target that differs from the one evalkit wrote (``ek:targetHash``) is ``fixed``;
- else ``state="reviewed"`` or ``"final"`` (target unchanged) is ``false_alarm``;
- else (still ``evalkit:needs-review``) the unit is not judged.

In TMX the ``x-evalkit-state`` prop holds ``real-problem``, ``false-alarm`` or ``fixed``.
``fixed`` counts as a real problem: the flag pointed at something worth changing.

`propose` moves the three thresholds that rules compare a value against (low_margin -> margin,
low_similarity -> similarity, low_chrf -> chrf). Judged links are the only ground truth, so a
threshold is only ever lowered (raising it would flag links nobody judged). For each code it
searches the cut points between the observed values (equivalent to trying each observed value,
without landing on one) for the one with the fewest false alarms whose recall of real problems
among that code's judged flags stays >= ``recall``; ties keep the higher threshold. If the
link-level recall then falls below ``recall`` (a real problem caught only by two lowered codes),
thresholds are raised back a step at a time until it does not.

Modules: `evalkit.calibrate.verdicts` (reading verdicts), `evalkit.calibrate.proposal` (proposing thresholds),
`evalkit.calibrate.write` (writing them into the config). Import from ``evalkit.calibrate``.
"""

from __future__ import annotations

from .proposal import THRESHOLD_CODES, Calibration, CodeCalibration, Figures, format_calibration, propose
from .verdicts import Verdict, load_verdict_map, load_verdicts
from .write import config_path_for, write_thresholds

__all__ = [
    "Calibration",
    "CodeCalibration",
    "Figures",
    "THRESHOLD_CODES",
    "Verdict",
    "config_path_for",
    "format_calibration",
    "load_verdict_map",
    "load_verdicts",
    "propose",
    "write_thresholds",
]
