"""Scoring: read -> align -> embed -> measure -> the per-link kernel -> Report.

- `evalkit.score.kernel`: what happens to one measured link in every path (checks, too_long, flags), and the
  segment metrics; its docstring lists where the paths differ by design.
- `evalkit.score.pipeline`: the local run (one document, line files, TMX/XLIFF units).
- `evalkit.score.documents`: several documents in one report.
- `evalkit.score.stream`: line files of any size in bounded memory (``--stream``).

Import from the submodules; this package imports nothing heavy.
"""
