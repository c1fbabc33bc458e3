"""Scoring: the per-link kernel (`evalkit.score.kernel`) that every path calls.

Import from the submodules; this package imports nothing heavy.
"""
