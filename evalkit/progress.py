"""Progress: the library reports through a callback, the CLI draws it as tqdm bars on stderr.

Bars appear only when stderr is a terminal and the command is not ``--quiet`` (nor ``--json``): a
run whose stderr goes to a file or a pipe, as in CI and in tests, gets no progress output at all.
tqdm is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, Protocol

__all__ = ["Stage", "StageProgress", "Step", "no_progress", "stage_bars", "step_bar"]

# The stages of `evalkit.pipeline`, in the order a run goes through them ("aligning" is skipped for
# TMX/XLIFF, whose units are paired already; "writing" is the CLI's).
Stage = Literal["reading", "aligning", "encoding", "metrics", "checks", "writing"]

Step = Callable[[str], None]
"""One finished step of a run whose number of steps is known up front (``evalkit compare``/``check``)."""


class StageProgress(Protocol):
    """Called with ``done == 0`` when a stage starts, then with a growing ``done`` up to ``total``.

    Units: files for reading and writing, alignments for aligning, texts for encoding, scores for
    metrics, links for checks. One document goes through the stages once each, in the order of
    `Stage`; several documents go through them once per document. ``total`` may grow where it is
    not known up front (a stream).
    """

    def __call__(self, stage: Stage, done: int, total: int) -> None: ...


def no_progress(stage: Stage, done: int, total: int) -> None:
    """The default `StageProgress`: report nothing."""


def _drawn(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def step_bar(total: int, quiet: bool) -> Iterator[Step]:
    """One tqdm bar of ``total`` steps on stderr when it is a terminal (and not quiet); a no-op callback otherwise."""
    if not _drawn(quiet):
        yield lambda _what: None
        return
    from tqdm import tqdm

    with tqdm(total=total, file=sys.stderr, leave=False, unit="step") as bar:
        def step(what: str) -> None:
            bar.set_postfix_str(what)
            bar.update(1)

        yield step


@contextmanager
def stage_bars(quiet: bool) -> Iterator[StageProgress]:
    """A `StageProgress` drawing one tqdm bar per stage on stderr when it is a terminal (and not quiet);
    `no_progress` otherwise. A bar is erased when its stage is done (``done == total``), so what the
    command prints next lands on a clean line; leaving the block erases one left open (an error)."""
    if not _drawn(quiet):
        yield no_progress
        return
    from tqdm import tqdm

    current: dict[str, Any] = {}

    def close() -> None:
        if current.get("bar") is not None:
            current.pop("bar").close()

    def report(stage: Stage, done: int, total: int) -> None:
        if current.get("stage") != stage:
            close()
        elif current.get("bar") is None and done <= current["done"]:
            return  # the stage was done; nothing new
        if current.get("bar") is None:  # a new stage, or one whose total grew after it was done
            current["bar"] = tqdm(total=total, initial=done, desc=stage, file=sys.stderr, leave=False,
                                  unit=_UNITS.get(stage, "it"))
        current.update(stage=stage, done=done)
        bar = current["bar"]
        bar.total = total
        bar.update(done - bar.n)
        if done >= total:
            close()

    try:
        yield report
    finally:
        close()


_UNITS = {"reading": "file", "aligning": "alignment", "encoding": "text", "metrics": "score", "checks": "link", "writing": "file"}
