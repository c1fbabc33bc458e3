"""``--metric NAME[:key=value,...]`` for score, compare and check, and ``evalkit metrics`` (the list).

Click only: the plug-ins' entry points are read when a command runs with ``--metric`` (or ``evalkit
metrics``), never for ``--help``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

__all__ = ["metric_option", "metrics"]

_RULE_OPTIONS = ("max_drop", "minimum", "maximum")  # evalkit check's METRIC=VALUE options
_HELP = ("Also compute a segment metric or plug-in (repeatable), with its options: e.g. --metric mymetric, "
         "--metric comet:model=Unbabel/wmt22-comet-da,batch_size=32. `evalkit metrics` lists them.")


def metric_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--metric`` to a command: each spec is loaded (`evalkit.metrics.plugins.load`) and registered in
    `METRICS` while the command runs, so every output and rule of that run has it, then unregistered."""

    @functools.wraps(f)
    def run(*args: Any, metric_specs: tuple[str, ...], **kwargs: Any) -> Any:
        specs = list(metric_specs)
        rules = [r for key in _RULE_OPTIONS for r in kwargs.get(key) or ()]
        if rules:  # `check --max-drop comet=1` with no --metric comet: the plug-in with its defaults
            from ..metrics.plugins import rule_plugins

            specs += rule_plugins(rules, [s.partition(":")[0].strip() for s in specs])
        if specs:
            from ..metrics.plugins import registered

            click.get_current_context().with_resource(registered(specs, kwargs.get("cache_dir")))
        return f(*args, **kwargs)

    return click.option("--metric", "metric_specs", multiple=True, metavar="NAME[:key=value,...]", help=_HELP)(run)


@click.command()
def metrics() -> None:
    """List the metrics: built-in ones and installed plug-ins (entry-point group evalkit.metrics).

    \b
    Example:
      evalkit metrics
    """
    from ..metrics.base import METRICS
    from ..metrics.plugins import available

    for name, m in METRICS.items():
        click.echo(f"{name:<12} {m.kind:<10} {'higher' if m.higher_is_better else 'lower'} is better"
                   f"{', needs a reference' if m.needs_reference else ''}")
    for name, ep in available().items():
        click.echo(f"{name:<12} {'plug-in':<10} {ep.value}  (--metric {name})")
