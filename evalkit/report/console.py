"""The one-screen summary printed by ``evalkit score``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click

from ..records import Report

__all__ = ["print_summary"]


# C0/C1 control characters (ESC, BEL, CSI...): a terminal would obey them, so they are never printed.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _clip(text: str, width: int) -> str:
    text = " ".join(_CONTROL.sub("\ufffd", text).split())
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def print_summary(report: Report, paths: dict[str, Path], max_rows: int = 12) -> None:
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    links = report.links
    flagged = report.flagged
    unpaired_src = sum(1 for l in links if l.link.src and not l.link.tgt)
    unpaired_tgt = sum(1 for l in links if l.link.tgt and not l.link.src)
    documents = len(dict.fromkeys(link.document for link in links if link.document))
    click.echo(
        f"{len(links)} links ({report.src_lang}→{report.tgt_lang}{f' in {documents} documents' if documents else ''}), "
        f"{len(flagged)} flagged, "
        f"{unpaired_src} source / {unpaired_tgt} target unpaired  [model {report.model['id']}]"
    )
    for warning in report.warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    if report.scores:
        click.echo("")
        for name, s in report.scores.items():
            ci = f"  [{s.ci95[0]:.2f}, {s.ci95[1]:.2f}]" if s.ci95 else ""
            click.echo(f"  {name:<10} {s.score:8.2f}{ci:<20}  {s.signature}")
    if flagged:
        click.echo("")
        click.echo("Flagged:")
        for link in flagged[:max_rows]:
            ids = f"{' '.join(map(str, link.link.src)) or '-'} ↔ {' '.join(map(str, link.link.tgt)) or '-'}"
            click.echo(f"  {ids:<9} {link.link.kind:<4} " + click.style("; ".join(f.detail for f in link.flags), fg="red"))
            text = link.source or link.target
            click.echo(f"            {_clip(f'{link.document}: {text}' if link.document else text, width - 12)}")
        if len(flagged) > max_rows:
            click.echo(f"  … and {len(flagged) - max_rows} more in {paths['pairs.csv']}")
    click.echo("")
    click.echo("Wrote " + ", ".join(str(p) for p in paths.values()))
