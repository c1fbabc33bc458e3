"""Sentence alignment: `align` pairs source and target segments; `check_line_pairing` checks line-paired files."""

from __future__ import annotations

from .aligner import AlignParams, align
from .shift import Shift, check_line_pairing

__all__ = ["AlignParams", "Shift", "align", "check_line_pairing"]
