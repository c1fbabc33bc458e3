"""The command line: a thin shell over the library. Heavy modules are imported inside commands,
so ``evalkit --help`` stays fast and never imports torch or sentence-transformers.

Errors: every `EvalkitError` becomes one line on stderr and exit code 2 (see `main`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .metric_list import metric_option, metrics
from .. import __version__
from ..errors import EvalkitError, UsageError

__all__ = ["cli", "main"]

from .options import FILE, OUT_DIR, model_options as _model_options  # noqa: E402  (shared by every command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="evalkit")
def cli() -> None:
    """evalkit: translation-quality evaluation that aligns before it scores.

    \b
    Example:
      evalkit score seeds/xi-putin-defense-ties.zh-en.txt -o reports/seed/
    """


@cli.command()
@click.argument("documents", metavar="[DOCUMENT]...", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--src", type=FILE, help="Source file, one segment per line (with --tgt).")
@click.option("--tgt", type=FILE, help="Target (MT output) file, one segment per line (with --src).")
@click.option("--ref", "refs", type=FILE, multiple=True, help="Reference file; repeat for several references.")
@click.option("-o", "--out", "out_dir", type=OUT_DIR, required=True, help="Folder for pairs.csv, summary.json, report.html.")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="Override a flag threshold, e.g. --threshold margin=1.02 (repeatable).")
@click.option("--src-lang", default=None,
              help="Source language, e.g. ja for kanji-only Japanese (default: detected; a document's first segment's). "
                   "A BCP 47 tag (en-US) chooses the pair in a TMX/XLIFF.")
@click.option("--tgt-lang", default=None,
              help="Target language (default: detected, or the file's). A BCP 47 tag chooses the pair of a TMX/XLIFF "
                   "with several (en-GB and zh-TW are languages of their own).")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(0), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of the bootstrap.")
@click.option("--verdicts", "verdict_files", type=FILE, multiple=True,
              help="Verdicts exported from an earlier report (JSONL) or a reviewed XLIFF: shown in the new report.")
@click.option("--xliff", "xliff_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the flagged pairs as XLIFF 2.1 (state needs-review) for a CAT tool.")
@click.option("--tmx", "tmx_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the flagged pairs as TMX 1.4.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Run on Ray (pip install 'evalkit[ray]'): --src/--tgt corpora of millions of pairs (sharded pairs.csv/, "
                   "same summary.json), or one task per DOCUMENT (the local run's files).")
@click.option("--address", default=None, help="Ray cluster address (with --engine ray); default: a local cluster.")
@click.option("--stream", is_flag=True,
              help="Line files of any size in bounded memory, chunk by chunk: pairs.csv and summary.json (no report.html, "
                   "no intervals; margins within each chunk). See README, 'Large files'.")
@click.option("--chunk", type=click.IntRange(100), default=5000, show_default=True,
              help="Pairs per chunk with --stream (memory, and the margins' neighbourhood).")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json to stdout instead of the table.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_model_options
@metric_option
def score(documents: tuple[Path, ...], src: Path | None, tgt: Path | None, refs: tuple[Path, ...], out_dir: Path,
          thresholds: tuple[str, ...], src_lang: str | None, tgt_lang: str | None, n_bootstrap: int, seed: int,
          verdict_files: tuple[Path, ...], xliff_out: Path | None, tmx_out: Path | None, engine: str,
          address: str | None, stream: bool, chunk: int, as_json: bool, quiet: bool, model: str,
          cache_dir: Path | None) -> None:
    """Score bilingual DOCUMENTs, or --src/--tgt parallel files, and write a flagged-pair report.

    \b
    DOCUMENT is a bilingual text (blocked or interleaved), or a TMX/XLIFF file (one pair per unit).
    --src alone may be a .tsv/.csv/.jsonl table holding both sides (and references).
    Several DOCUMENTs, or a folder (its files sorted by name; hidden files and subfolders are skipped),
    give one report: each document is aligned on its own, pairs.csv gets a `document` column, summary.json
    counts per document and corpus scores pool every document's links. The first bad document stops the
    run (exit 2, naming the file). --ref, --verdicts, --xliff and --tmx take one document.
    Writes pairs.csv (one row per link), summary.json and report.html into the -o folder and
    prints a one-screen summary with the flagged pairs.

    \b
    Examples:
      evalkit score seeds/xi-putin-defense-ties.zh-en.txt --ref references/xi-putin-defense-ties.ref.en.txt -o reports/seed/
      evalkit score --src src.zh --tgt hyp.en --ref ref.en -o reports/run1/
      evalkit score --src crawl.zh --tgt crawl.en -o reports/crawl/ --stream
      evalkit score memory.tmx -o reports/tm/ --xliff reports/tm/flagged.xlf
      evalkit score memory.tmx --src-lang en-US --tgt-lang en-GB -o reports/tm-gb/
      evalkit score articles/ -o reports/articles/ --engine ray
      evalkit score --src crawl.en --tgt crawl.zh -o reports/crawl/ --engine ray --address ray://head:10001
    """
    from ..config import load_thresholds
    from ..score.documents import document_paths, score_documents
    from ..score.pipeline import ScoreOptions, score_parallel
    from ..progress import stage_bars
    from ..report import write_report
    from ..report.console import print_summary

    from ..io.formats import format_of
    paths = document_paths(documents)  # folders expanded
    document = paths[0] if paths else None
    if len(paths) > 1 and (verdict_files or xliff_out or tmx_out):  # they name links by ids, restarting per document
        raise UsageError(f"--verdicts, --xliff and --tmx take one document, got {len(paths)}",
                         "score that document on its own")  # fmt: skip
    if (document is None) == (src is None and tgt is None):
        raise UsageError("give either a DOCUMENT or --src and --tgt", "see `evalkit score --help`")
    if document is None and tgt is None and (src is None or format_of(src).kind != "table"):
        raise UsageError("--src needs --tgt unless it is a .tsv/.csv/.jsonl table", "give --tgt")
    if document is None and src is None:
        raise UsageError("--tgt needs --src", "give --src")
    th, origin = load_thresholds(thresholds)
    options = ScoreOptions(model=model, cache_dir=cache_dir, thresholds=th, thresholds_origin=origin,
                           n_bootstrap=n_bootstrap, seed=seed, src_lang=src_lang, tgt_lang=tgt_lang)
    if stream:
        if paths or tgt is None or engine != "local" or verdict_files or xliff_out or tmx_out:
            raise UsageError("--stream scores --src/--tgt line files on the local engine, without --verdicts/--xliff/--tmx",
                             "give --src and --tgt (line files), or drop --stream")
        _score_streamed(src, tgt, refs, out_dir, options, chunk, as_json, quiet)  # type: ignore[arg-type]
        return
    if engine == "ray":
        _score_on_ray(paths, src, tgt, refs, out_dir, options, address, verdict_files, xliff_out, tmx_out, as_json, quiet)
        return
    # Bars on stderr only on a terminal and without -q/--json; each is erased when its stage is done.
    progress = click.get_current_context().with_resource(stage_bars(quiet or as_json))
    if document is not None:
        report = score_documents(paths, refs, options, progress=progress)
    else:
        assert src is not None  # checked above
        report = score_parallel(src, tgt, refs, options, progress=progress)
    verdicts = None
    if verdict_files:
        from ..calibrate import load_verdict_map

        verdicts = load_verdict_map(verdict_files)
    n_files = 3 + bool(xliff_out) + bool(tmx_out)
    progress("writing", 0, n_files)
    written = write_report(report, out_dir, verdicts=verdicts)
    if xliff_out or tmx_out:
        from ..report.xliff_out import write_flagged_tmx, write_flagged_xliff

        if xliff_out:
            progress("writing", len(written), n_files)
            write_flagged_xliff(report, xliff_out)
            written["flagged.xlf"] = xliff_out
        if tmx_out:
            progress("writing", len(written), n_files)
            write_flagged_tmx(report, tmx_out)
            written["flagged.tmx"] = tmx_out
    progress("writing", n_files, n_files)
    if as_json:
        from ..report.summary import summary_json

        click.echo(summary_json(report), nl=False)
    elif not quiet:
        print_summary(report, written)


def _score_streamed(src: Path, tgt: Path, refs: tuple[Path, ...], out_dir: Path, options: Any, chunk: int, as_json: bool,
                    quiet: bool) -> None:
    """``evalkit score --stream``: `evalkit.stream.score_stream` with the score command's settings."""
    import json

    from ..progress import stage_bars
    from ..score.stream import StreamOptions, score_stream

    from ..io.formats import require

    for path in (src, tgt, *refs):
        require(path, "stream")  # line files only: the registry's one message
    stream_options = StreamOptions(chunk=chunk, metrics=options.metrics, model=options.model, cache_dir=options.cache_dir,
                                   margin_k=options.margin_k, thresholds=options.thresholds,
                                   thresholds_origin=options.thresholds_origin)
    progress = click.get_current_context().with_resource(stage_bars(quiet or as_json))
    from ..io.langtags import base

    run = score_stream(src, tgt, refs, out_dir, base(options.src_lang), base(options.tgt_lang), stream_options,
                       progress=progress)
    if as_json:
        click.echo(json.dumps(run.summary, ensure_ascii=False, indent=2, sort_keys=True))
    elif not quiet:
        per_chunk = sorted(run.seconds_per_chunk)
        click.echo(f"{run.pairs} pairs, {run.flagged} flagged (streamed, {len(per_chunk)} chunks of {chunk}, "
                   f"median {per_chunk[len(per_chunk) // 2] if per_chunk else 0:.2f} s) -> {out_dir}")
        for name, value in run.corpus.items():
            click.echo(f"  {name:<10} {value:8.4f}  {run.signatures[name]}")
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(run.flag_counts.items(), key=lambda kv: -kv[1]))
        if reasons:
            click.echo(f"  flags: {reasons}")


def _score_on_ray(documents: tuple[Path, ...], src: Path | None, tgt: Path | None, refs: tuple[Path, ...], out_dir: Path,
                  options: Any, address: str | None, verdict_files: tuple[Path, ...], xliff_out: Path | None,
                  tmx_out: Path | None, as_json: bool, quiet: bool) -> None:
    """``evalkit score --engine ray``: one task per document (`evalkit.engine.score_documents_ray`), or the
    sharded run of `evalkit.engine.score_parallel_ray` for --src/--tgt."""
    import json

    if verdict_files or xliff_out or tmx_out:
        raise UsageError("--verdicts, --xliff and --tmx need the local engine", "drop them or use --engine local")
    if documents:
        from ..engine import score_documents_ray
        from ..report.console import print_summary
        from ..report.summary import summary_json

        done = score_documents_ray(documents, refs, options, out_dir, address=address)
        if as_json:
            click.echo(summary_json(done.report), nl=False)
        elif not quiet:
            print_summary(done.report, done.paths)
        return
    assert src is not None  # score() checked: documents or --src
    for given, name in ((options.src_lang, "--src-lang"), (options.tgt_lang, "--tgt-lang")):
        if given:  # the Ray engine detects the languages; never ignore the option silently
            raise UsageError(f"{name} needs the local engine", "drop it or use --engine local")
    from ..engine import score_parallel_ray

    run = score_parallel_ray(src, tgt, refs, options, out_dir, address=address)
    if as_json:
        click.echo(json.dumps(run.summary, ensure_ascii=False, indent=2, sort_keys=True))
    elif not quiet:
        counts = run.summary["counts"]
        click.echo(f"{counts['links']} links, {counts['flagged']} flagged (Ray) -> {out_dir}")
        for name, s in run.report.scores.items():
            click.echo(f"  {name:<10} {s.score:8.2f}  {s.signature}")


@cli.command()
@click.argument("document", type=FILE, required=False)
@click.option("--src", type=FILE, help="Source segments, one per line (with --tgt).")
@click.option("--tgt", type=FILE, help="Target segments, one per line; the count may differ from --src.")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .tsv or .jsonl.")
@click.option("--src-lang", default=None, help="Source language of a bilingual document.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@_model_options
def pair(document: Path | None, src: Path | None, tgt: Path | None, out_file: Path, src_lang: str | None,
         quiet: bool, model: str, cache_dir: Path | None) -> None:
    """Align a bilingual DOCUMENT (or --src/--tgt segment files) and write the links.

    \b
    Columns: src_ids, tgt_ids (0-based per-language indices, space-separated, empty for none),
    link (1-1, 1-0, 2-1, ...), confidence, source, target; in document order.

    \b
    Examples:
      evalkit pair seeds/xi-putin-defense-ties.zh-en.txt -o links.tsv
      evalkit pair --src book.en --tgt book.zh -o links.jsonl
    """
    from ..align import align
    from ..embed import get_encoder
    from ..io import read_document, read_lines
    from ..report.links import write_links

    if out_file.suffix not in {".tsv", ".jsonl"}:
        raise UsageError(f"-o {out_file}: unknown format {out_file.suffix!r}", "name the file .tsv or .jsonl")
    if document is not None and (src or tgt):
        raise UsageError("give either a DOCUMENT or --src and --tgt, not both", "see `evalkit pair --help`")
    if document is not None:
        doc = read_document(document, src_lang=src_lang)
        source, target = doc.src, doc.tgt
    elif src is not None and tgt is not None:
        source, target = read_lines(src, side="src"), read_lines(tgt, side="tgt")
    else:
        raise UsageError("give a DOCUMENT or both --src and --tgt", "see `evalkit pair --help`")
    alignment = align(source, target, get_encoder(model, cache_dir))
    write_links(alignment, out_file)
    if not quiet:
        counts: dict[str, int] = {}
        for link in alignment.links:
            counts[link.kind] = counts.get(link.kind, 0) + 1
        kinds = ", ".join(f"{n} × {k}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        click.echo(f"{len(alignment.links)} links ({kinds}) -> {out_file}")


@cli.command()
@click.argument("verdict_files", type=FILE, nargs=-1, required=True)
@click.option("--recall", type=click.FloatRange(0, 1), default=0.9, show_default=True,
              help="Recall of 'real problem' verdicts the proposed thresholds must keep.")
@click.option("--threshold", "thresholds", multiple=True, metavar="NAME=VALUE",
              help="The thresholds the verdicts were made under, if not those of the config file.")
@click.option("--write", is_flag=True, help="Write the proposed thresholds to evalkit.toml / pyproject.toml.")
def calibrate(verdict_files: tuple[Path, ...], recall: float, thresholds: tuple[str, ...], write: bool) -> None:
    """Propose flag thresholds from reviewers' verdicts (JSONL from report.html, or reviewed XLIFF/TMX).

    \b
    Keeps the recall of 'real problem' verdicts at --recall while cutting false alarms, and prints
    precision and recall before and after. With --write, updates [tool.evalkit.thresholds] in
    pyproject.toml or [thresholds] in evalkit.toml (whichever evalkit reads from here).

    \b
    Example:
      evalkit calibrate verdicts-reviewer1.jsonl reviewed.xlf --recall 0.95 --write
    """
    from ..calibrate import config_path_for, format_calibration, load_verdicts, propose, write_thresholds
    from ..config import load_thresholds
    from ..flag import calibrated

    current, _ = load_thresholds(thresholds)
    result = propose(load_verdicts(verdict_files), current, recall=recall)
    click.echo(format_calibration(result))
    if write:
        path = config_path_for(Path.cwd())
        write_thresholds(result.proposed, path, keys=tuple(calibrated().values()))
        click.echo(f"Wrote thresholds to {path}")


from .compare_check import check, compare  # noqa: E402  (click-only module: keeps --help fast)
from .history_command import history  # noqa: E402

cli.add_command(compare)
cli.add_command(check)
cli.add_command(history)
cli.add_command(metrics)
from .meta_command import meta  # noqa: E402

cli.add_command(meta)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 regression, 2 bad input or usage)."""
    try:
        cli.main(args=argv, prog_name="evalkit", standalone_mode=False)
    except EvalkitError as exc:
        click.echo(f"evalkit: error: {exc.message}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"evalkit: error: {exc.format_message()} (see `evalkit --help`)", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("evalkit: aborted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("evalkit: interrupted", err=True)
        return 130
    except Exception as exc:  # a bug in evalkit, not in the input: no traceback unless asked
        if os.environ.get("EVALKIT_DEBUG"):
            raise
        click.echo(
            f"evalkit: internal error: {type(exc).__name__}: {exc} "
            "(a bug in evalkit: rerun with EVALKIT_DEBUG=1 for the traceback and report it)",
            err=True,
        )
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
