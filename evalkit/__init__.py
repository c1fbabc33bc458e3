"""evalkit: translation-quality evaluation that aligns before it scores."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
