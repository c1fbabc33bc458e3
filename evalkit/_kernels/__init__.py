"""Compiled kernels (optional): ``_fast`` computes sacrebleu's sufficient statistics exactly, in C.

Built by ``pip install`` when a C compiler is present (``setup.py``, an optional extension); without it,
``evalkit.metrics.fast`` falls back to sacrebleu itself and the numbers are the same.
"""
