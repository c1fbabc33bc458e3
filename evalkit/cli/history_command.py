"""``evalkit history`` (read, export and pin a run history) and the glue `evalkit check --history` uses.

Registered in `evalkit.cli` with ``cli.add_command``. Only click and the standard library at import time.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError

__all__ = ["check_history", "commit_from_env", "gate_history", "history", "history_notes"]

COMMIT_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA")  # GitHub Actions, GitLab CI


def commit_from_env() -> str | None:
    """The commit CI is building: ``$GITHUB_SHA`` or ``$CI_COMMIT_SHA``; None outside CI."""
    return next((os.environ[v] for v in COMMIT_VARIABLES if os.environ.get(v)), None)


def history_notes(settings: Any, history: Path | None, write_file: Path | None) -> list[str]:
    """Check how --history and the cumulative rules were asked for; warnings for config rules left out."""
    if history is not None and write_file is not None:
        raise UsageError("--history records gated runs; --write-baseline records a baseline, not a run",
                         "drop --history when recording a baseline")
    cumulative = [r for r in settings.rules if r.kind == "max_cumulative_drop"]
    if history is not None or not cumulative:
        return []
    asked = [r for r in cumulative if r.origin.startswith("--")]
    if asked:
        raise UsageError(f"--max-cumulative-drop ({asked[0]}) measures from the run history: it needs --history FILE.db",
                         "add --history FILE.db (kept between CI runs)")
    return [f"'{r}' ({r.origin}) not checked: no --history" for r in cumulative]


def check_history(path: Path, report: Any) -> None:
    """Exit 2 (`evalkit.gate.history.HistoryMismatch`) when the history belongs to another test set."""
    from ..compare import report_fingerprints
    from ..gate.history import check_history as check

    check(path, report_fingerprints(report))


def gate_history(path: Path, label: str | None, report: Any, result: Any, old: Any, tgt: Path | None,
                 score_file: Callable[[Path], Any]) -> Any:
    """Judge the cumulative rules and record the run (`evalkit.gate.drift.gate_history`); the result.

    ``tgt`` is the output file when it is a line file (kept in the history for later paired tests);
    ``score_file`` scores another output file of the same test set; ``old`` the baseline output's report.
    """
    from ..compare import report_fingerprints
    from ..gate.drift import gate_history as gate

    def score_output(data: bytes) -> Any:
        with tempfile.TemporaryDirectory(prefix="evalkit-history-") as folder:
            file = Path(folder) / (tgt.name if tgt is not None else "output.txt")
            file.write_bytes(data)
            return score_file(file)

    known = (report_fingerprints(old)["target"], old) if old is not None else (None, None)
    output = tgt.read_bytes() if tgt is not None and tgt.suffix.lower() not in {".tsv", ".csv", ".jsonl"} else None
    full, _run = gate(path, report, result, report_fingerprints(report), label=label, commit=commit_from_env(),
                      output=output, score_output=score_output if output is not None else None, known=known)
    return full


@click.command(context_settings={"ignore_unknown_options": False})
@click.argument("args", nargs=-1, required=True, metavar="[pin|unpin] FILE.db [RUN]")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write history.html, history.csv and history.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print history.json to stdout (for scripts).")
def history(args: tuple[str, ...], out_dir: Path | None, as_json: bool) -> None:
    """Show the run history `evalkit check --history FILE.db` keeps; export it; pin a run.

    \b
    FILE.db alone prints one line per run. `pin FILE.db RUN` (a run id or label)
    makes RUN the run --max-cumulative-drop measures from (instead of the first);
    `unpin FILE.db` goes back to the first run. history.html is one offline page with
    one chart per metric over the runs (95% intervals; failed runs marked).

    \b
    Examples:
      evalkit history mt-history.db -o history/
      evalkit history mt-history.db --json | jq '.runs[-1].scores.chrf'
      evalkit history pin mt-history.db 12
    """
    from ..gate.history import find_run, load_runs, pin_run

    if args[0] in ("pin", "unpin"):
        if len(args) != (3 if args[0] == "pin" else 2):
            raise UsageError(f"usage: evalkit history {args[0]} FILE.db" + (" RUN" if args[0] == "pin" else ""),
                             "e.g. evalkit history pin mt-history.db 12")
        path = Path(args[1])
        if args[0] == "pin":
            find_run(path, args[2])  # an unknown run is a usage error before anything changes
            run = pin_run(path, args[2])
            click.echo(f"Pinned {run.name if run else args[2]}: --max-cumulative-drop measures from it")
        else:
            pin_run(path, None)
            click.echo(f"Unpinned: --max-cumulative-drop measures from the first run of {path}")
        return
    if len(args) != 1:
        raise UsageError(f"expected one FILE.db, got {len(args)} arguments", "e.g. evalkit history mt-history.db -o history/")
    from ..report.history import history_json, history_text, write_history

    path = Path(args[0])
    runs = load_runs(path)
    if out_dir is not None:
        paths = write_history(runs, path, out_dir)
        if not as_json:
            click.echo("Wrote " + ", ".join(str(p) for p in paths))
    if as_json:
        click.echo(history_json(runs, path), nl=False)
    elif out_dir is None:
        click.echo(history_text(runs, path))
