"""``evalkit compare`` (a leaderboard of several systems) and ``evalkit check`` (the CI gate).

Registered in `evalkit.cli` with ``cli.add_command``. Heavy modules are imported inside the commands.
Exit codes of ``check``: 0 pass, 1 regression (`evalkit.gate.RegressionError`), 2 bad input or usage.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from .history_command import check_history, gate_history, history_notes
from .metric_list import metric_option
from ..errors import UsageError
from ..gate.formats import annotations as github_annotations  # `annotations` is also the __future__ feature
from ..gate.formats import junit_xml, markdown_summary, terminal
from ..progress import step_bar as _progress  # one bar of N steps on a terminal's stderr (shared with `evalkit score`)

__all__ = ["check", "compare"]

from .options import FILE, model_options as _model_options  # noqa: E402  (shared by every command)


@click.command()
@click.argument("systems", nargs=-1, required=True, metavar="SYSTEM...")
@click.option("--src", type=FILE, required=True, help="Source file, one segment per line.")
@click.option("--ref", "refs", type=FILE, multiple=True, help="Reference file; repeat for several references (chrF keeps the best per segment, ties to the first).")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for leaderboard.csv, leaderboard.json and leaderboard.html.")
@click.option("--baseline", default=None, help="System every other is tested against (default: the best on the main metric).")
@click.option("--all-pairs", is_flag=True, help="Test every pair of systems on every metric, not only against the baseline.")
@click.option("--paired", "method", type=click.Choice(["bs", "ar"]), default="bs", show_default=True,
              help="Paired test: bs (paired bootstrap) or ar (approximate randomization), as sacrebleu.")
@click.option("--samples", "n_samples", type=click.IntRange(1), default=None,
              help="Resamples of the paired test [default: 1000 for bs, 10000 for ar].")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(0), default=1000, show_default=True,
              help="Resamples for the 95% intervals (0: none).")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of every resampling (sacrebleu's default).")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.05, show_default=True,
              help="Significance level for the clusters and the * marks.")
@click.option("--metrics", "metric_list", default="bleu,chrf,chrf++", show_default=True,
              help="Reference metrics, comma-separated, from bleu, chrf, chrf++, ter (TER is slow: ~20-40 ms a segment and reference).")
@click.option("--main", "main_metric", default=None, help="Metric that ranks and clusters [default: chrf with references, else similarity].")
@click.option("--no-embed", is_flag=True, help="Skip similarity, margin and flag rate (no embedding model needed).")
@click.option("--drill", "drills", multiple=True, metavar="A,B",
              help="Also list in leaderboard.html the segments where systems A and B differ most (repeatable).")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE", help="Override a flag threshold (repeatable).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run on Ray (pip install 'evalkit[ray]'): statistics per system and shard on a cluster, the same leaderboard.")
@click.option("--address", default=None, help="Ray cluster address (with --engine ray); default: a local cluster.")
@click.option("--json", "as_json", is_flag=True, help="Print leaderboard.json to stdout instead of the table.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_model_options
@metric_option
def compare(systems: tuple[str, ...], src: Path, refs: tuple[Path, ...], out_dir: Path, baseline: str | None,
            all_pairs: bool, method: str, n_samples: int | None, n_bootstrap: int, seed: int, alpha: float,
            metric_list: str, main_metric: str | None, no_embed: bool, drills: tuple[str, ...],
            thresholds: tuple[str, ...], engine: str, address: str | None, as_json: bool, quiet: bool, model: str,
            cache_dir: Path | None) -> None:
    """Rank several systems' outputs of one test set: scores with 95% intervals, paired tests, clusters.

    \b
    SYSTEM is an output file (named by its file name; WMT files like
    generaltest2022.zh-en.hyp.Online-W.en are named Online-W), NAME=PATH, or a folder
    whose every file is a system. Every file has one segment per line, as --src.
    Systems are sorted by the main metric; a new cluster starts where a system is
    significantly worse than every system in the cluster above.
    --engine ray computes the same leaderboard on a Ray cluster (UTF-8 line files).

    \b
    Examples:
      evalkit compare --src test.zh --ref ref.A.en --ref ref.B.en outputs/ --baseline Online-B -o board/
      evalkit compare --src test.zh --ref ref.en outputs/ -o board/ --engine ray --address auto
    """
    from ..compare import CompareOptions, compare as run_compare, parse_systems
    from ..config import load_thresholds
    from ..report.leaderboard import format_table, leaderboard_json, write_leaderboard

    if address is not None and engine != "ray":
        raise UsageError("--address is the Ray cluster's address: it needs --engine ray", "add --engine ray, or drop --address")
    parsed = parse_systems(systems)
    metrics = tuple(m.strip().lower() for m in metric_list.split(",") if m.strip())
    pairs = []
    for item in drills:
        a, sep, b = item.partition(",")
        if not sep or not a.strip() or not b.strip():
            raise UsageError(f"--drill {item!r} is not A,B", "e.g. --drill Online-A,Online-B")
        pairs.append((a.strip(), b.strip()))
    th, origin = load_thresholds(thresholds)
    options = CompareOptions(
        metrics=metrics, embeddings=not no_embed, main=main_metric, baseline=baseline, all_pairs=all_pairs,
        method=method, n_samples=n_samples, n_bootstrap=n_bootstrap, seed=seed, alpha=alpha, model=model,  # type: ignore[arg-type]
        cache_dir=cache_dir, thresholds=th, thresholds_origin=origin,
    )
    n_metrics = len([m for m in metrics if refs]) + (0 if no_embed else 3)
    with _progress(len(parsed) + n_metrics, quiet or as_json) as step:
        if engine == "ray":
            board = _ray_compare()(src, refs, parsed, options, progress=step, address=address)
        else:
            board = run_compare(src, refs, parsed, options, progress=step)
    for a, b in pairs:
        board.system(a), board.system(b)  # an unknown name is a usage error before anything is written
    paths = write_leaderboard(board, out_dir, pairs)
    if as_json:
        click.echo(leaderboard_json(board), nl=False)
    elif not quiet:
        for warning in board.warnings:
            click.secho(f"warning: {warning}", fg="yellow", err=True)
        click.echo(format_table(board))
        click.echo("Wrote " + ", ".join(str(p) for p in paths.values()))


def _ray_compare() -> Any:
    """`evalkit.engine.compare_ray`, or a usage error saying how to install Ray."""
    try:
        from ..engine import compare_ray
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in {"ray", "pyarrow"}:
            raise
        raise UsageError(f"--engine ray needs Ray ({exc.name} is not installed)", "pip install 'evalkit[ray]'") from None
    return compare_ray


@click.command()
@click.argument("document", type=FILE, required=False)
@click.option("--baseline", "baseline_file", type=FILE, default=None,
              help="summary.json, leaderboard.json or --write-baseline file of an earlier run (kept in your repo).")
@click.option("--src", type=FILE, help="Source file, one segment per line (with --tgt).")
@click.option("--tgt", type=FILE, help="Target (MT output) file, one segment per line (with --src).")
@click.option("--ref", "refs", type=FILE, multiple=True, help="Reference file; repeat for several references.")
@click.option("--baseline-tgt", type=FILE, default=None,
              help="The output the baseline was made from: enables paired significance tests and per-line deltas.")
@click.option("--system", default=None, help="Which system of a leaderboard.json is the baseline [default: its baseline].")
@click.option("--max-drop", multiple=True, metavar="METRIC=VALUE",
              help="Largest allowed worsening (a rise for ter, flag_rate), e.g. chrf=1.0; 'off' drops a rule.")
@click.option("--min", "minimum", multiple=True, metavar="METRIC=VALUE", help="Lowest allowed value, e.g. chrf=50.")
@click.option("--max", "maximum", multiple=True, metavar="METRIC=VALUE", help="Highest allowed value, e.g. flag_rate=10.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="A drop fails only if significant at this level (needs --baseline-tgt) [default: 0.05].")
@click.option("--paired", "method", type=click.Choice(["bs", "ar"]), default=None, help="Paired test [default: bs].")
@click.option("--samples", "n_samples", type=click.IntRange(1), default=None, help="Paired-test resamples [default: 1000 bs, 10000 ar].")
@click.option("--top", type=click.IntRange(0), default=None, help="Regressed segments to name [default: 10].")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE", help="Override a flag threshold (repeatable).")
@click.option("--src-lang", default=None, help="Source language of a bilingual document (a BCP 47 tag for a TMX/XLIFF).")
@click.option("--tgt-lang", default=None, help="Target language; a BCP 47 tag chooses the pair of a TMX/XLIFF with several.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(0), default=1000, show_default=True, help="Resamples for the 95% intervals.")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of every resampling.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write JUnit XML: one testcase per rule.")
@click.option("--write-baseline", "write_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record this run as a baseline file (instead of checking; no --baseline).")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the run's pairs.csv, summary.json and report.html here.")
@click.option("--max-cumulative-drop", "cumulative", multiple=True, metavar="METRIC=VALUE",
              help="Largest allowed worsening since the first (or pinned) run of --history, e.g. chrf=1.5.")
@click.option("--history", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record this run in a SQLite history (made if absent; one per test set); see `evalkit history`.")
@click.option("--label", default=None, help="Name of this run in --history [default: $GITHUB_SHA or $CI_COMMIT_SHA].")
@click.option("--json", "as_json", is_flag=True, help="Print the verdicts as JSON to stdout.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (the exit code still tells).")
@_model_options
@metric_option
def check(document: Path | None, baseline_file: Path | None, src: Path | None, tgt: Path | None, refs: tuple[Path, ...],
          baseline_tgt: Path | None, system: str | None, max_drop: tuple[str, ...], minimum: tuple[str, ...],
          maximum: tuple[str, ...], alpha: float | None, method: str | None, n_samples: int | None, top: int | None,
          thresholds: tuple[str, ...], src_lang: str | None, tgt_lang: str | None, n_bootstrap: int, seed: int,
          junit_file: Path | None, write_file: Path | None, out_dir: Path | None, cumulative: tuple[str, ...],
          history: Path | None, label: str | None, as_json: bool, quiet: bool, model: str, cache_dir: Path | None) -> None:
    """Fail a build when translation quality regressed against a baseline (exit 0 pass, 1 regression, 2 bad input).

    \b
    Input as for `evalkit score`. Rules per metric (bleu, chrf, chrf++, ter, similarity,
    margin, flag_rate = % of links flagged) from the options, then [check] in evalkit.toml or
    [tool.evalkit.check] in pyproject.toml, then the defaults: max drop chrf 0.5, bleu 1.0,
    similarity 0.01, flag_rate 2.0 points. With --baseline-tgt a drop fails only when it is
    also significant (paired test, p < alpha); without it the size of the drop alone decides.
    A run on another source, other references or another segment count exits 2.
    In GitHub Actions it writes $GITHUB_STEP_SUMMARY and ::error/::warning annotations.
    --history FILE.db keeps every run; --max-cumulative-drop then bounds the drop since its
    first run (or the one `evalkit history pin` names), however small each step.

    \b
    Examples:
      evalkit check --src test.zh --tgt out.en --ref ref.en --write-baseline references/mt.json
      evalkit check --baseline references/mt.json --baseline-tgt references/mt.en \\
          --src test.zh --tgt out.en --ref ref.en --max-drop chrf=0.5 --junit check.xml \\
          --history mt-history.db --max-cumulative-drop chrf=1.5
    """
    from ..gate import RegressionError, baseline_record, check_inputs, check_metrics, check_run, load_baseline, load_settings
    from ..report.files import atomic_write

    from ..io.formats import table_suffixes

    table = src is not None and src.suffix.lower() in table_suffixes("local")
    if (document is None) == (src is None and tgt is None):
        raise UsageError("give either a DOCUMENT or --src and --tgt", "see `evalkit check --help`")
    if document is None and (src is None or (tgt is None and not table)):
        raise UsageError("--src and --tgt go together (--src alone only for a .tsv/.csv/.jsonl table)", "give both")
    if write_file is not None and baseline_file is not None:
        raise UsageError("--write-baseline records a baseline; it does not check one", "run it without --baseline")
    if write_file is None and baseline_file is None:
        raise UsageError("missing --baseline", "give the baseline file, or record one with --write-baseline FILE")
    if baseline_tgt is not None and (document is not None or tgt is None):
        raise UsageError("--baseline-tgt pairs outputs line by line: it needs --src/--tgt files", "drop --baseline-tgt")
    settings = load_settings(max_drop, minimum, maximum,
                             {"alpha": alpha, "method": method, "n_samples": n_samples, "top": top, "seed": seed},
                             cumulative=cumulative)
    notes = history_notes(settings, history, write_file)  # --history / --max-cumulative-drop usage
    baseline = load_baseline(baseline_file, system) if baseline_file is not None else None
    metrics = check_metrics(settings)

    with _progress(3 if baseline_tgt else 2, quiet or as_json) as step:
        report = _score(document, src, tgt, refs, thresholds, (src_lang, tgt_lang), n_bootstrap, seed, metrics, model, cache_dir)
        step("scored")
        if write_file is not None:
            import json

            text = json.dumps(baseline_record(report), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            atomic_write(write_file, text)
            if as_json:
                click.echo(text, nl=False)
            elif not quiet:
                click.echo(f"Recorded the baseline of {report.inputs.get('target', document)} in {write_file}")
            return
        if baseline is None:  # not reachable: --baseline or --write-baseline was checked above
            raise UsageError("missing --baseline", "give the baseline file")
        if history is not None:  # another test set than the baseline's, then the history's: exit 2 before more scoring
            check_inputs(baseline, report)
            check_history(history, report)
        old = None
        if baseline_tgt is not None:
            old = _score(None, src, baseline_tgt, refs, thresholds, (src_lang, tgt_lang), n_bootstrap, seed, metrics, model, cache_dir)
            step("baseline scored")
        result = check_run(report, baseline, settings, old, str(baseline_tgt), notes)
        if history is not None:
            result = gate_history(history, label, report, result, old, None if document is not None else tgt,
                                  lambda path: _score(None, src, path, refs, thresholds, (src_lang, tgt_lang),
                                                      n_bootstrap, seed, metrics, model, cache_dir))
        step("checked")
    if out_dir is not None:
        from ..report import write_report

        write_report(report, out_dir)
    if junit_file is not None:
        atomic_write(junit_file, junit_xml(result))
    if summary_file := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(markdown_summary(result))
    if as_json:
        import json

        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, sort_keys=True))
    else:
        if not quiet:
            click.echo(terminal(result))
        if os.environ.get("GITHUB_ACTIONS") == "true":
            for line in github_annotations(result):
                click.echo(line)
    if not result.passed:
        names = ", ".join(f"{v.rule}" for v in result.failed)
        raise RegressionError(f"regression: {len(result.failed)} of {len(result.verdicts)} rules failed ({names})")


def _score(document: Path | None, src: Path | None, tgt: Path | None, refs: tuple[Path, ...], thresholds: tuple[str, ...],
           langs: tuple[str | None, str | None], n_bootstrap: int, seed: int, metrics: tuple[str, ...], model: str,
           cache_dir: Path | None) -> Any:
    from ..config import load_thresholds
    from ..score.pipeline import ScoreOptions, score_document, score_parallel

    th, origin = load_thresholds(thresholds)
    options = ScoreOptions(model=model, cache_dir=cache_dir, thresholds=th, thresholds_origin=origin, metrics=metrics,
                           n_bootstrap=n_bootstrap, seed=seed, src_lang=langs[0], tgt_lang=langs[1])
    if document is not None:
        return score_document(document, refs, options)
    return score_parallel(src, tgt, refs, options)  # type: ignore[arg-type]
