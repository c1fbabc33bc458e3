"""Several bilingual documents in one report: each aligned and scored on its own, corpus scores over all.

A run over documents A, B, C is three `score_document` runs (alignment, margins' neighbours, the length
model, unpaired/moved/absorbed detection: all within one document, so nothing ever links across two)
whose links are joined in input order, each tagged with its document; `merge_documents` then computes
the corpus similarity and margin with their bootstrap intervals over every document's links, with the
local pipeline's own `embedding_scores`. The Ray engine (`evalkit.engine.ray_documents`) runs the same
`score_document` per document as a task and merges with the same function, so both give the same files.

One document gives `score_document`'s report unchanged (no ``document`` column, no ``documents`` entry).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InputError, UsageError
from ..score.pipeline import UNIT_SUFFIXES, ScoreOptions, embedding_scores, score_document
from ..progress import StageProgress, no_progress
from ..records import Report, ScoredLink

__all__ = ["check_documents", "document_paths", "merge_documents", "score_documents"]


def document_paths(args: Sequence[Path]) -> tuple[Path, ...]:
    """The documents named by ``args`` in order: a file as given; a folder's files sorted by name
    (hidden files, whose names start with ``.``, and subfolders are not read). A folder without any
    such file is an `InputError`."""
    out: list[Path] = []
    for arg in args:
        if not arg.is_dir():
            out.append(arg)
            continue
        files = sorted((p for p in arg.iterdir() if p.is_file() and not p.name.startswith(".")), key=lambda p: p.name)
        if not files:
            raise InputError(arg, "the folder holds no document (hidden files and subfolders are not read)",
                             "put the bilingual documents in it, or name the files")  # fmt: skip
        out += files
    return tuple(out)


def check_documents(paths: Sequence[Path], refs: Sequence[Path] = ()) -> None:
    """Refuse what several documents cannot be scored with: references (a reference file covers one
    document, and which one would be a guess), TMX/XLIFF files (scored one at a time), a document
    named twice (its links would count twice)."""
    if not paths:
        raise UsageError("no document given", "name one or more bilingual documents or folders")
    if len(paths) == 1:
        return
    if refs:
        raise UsageError(f"--ref with {len(paths)} documents: a reference file covers one document",
                         "score each document with its reference on its own, or drop --ref")  # fmt: skip
    seen: dict[Path, Path] = {}
    for path in paths:
        if path.suffix.lower() in UNIT_SUFFIXES:
            raise UsageError(f"{path}: TMX/XLIFF files are scored one at a time, not with other documents",
                             "score it on its own")  # fmt: skip
        key = path.resolve()
        if key in seen:
            raise UsageError(f"{path}: the document is given twice (also as {seen[key]})", "name each document once")
        seen[key] = path


def score_documents(
    paths: Sequence[Path],
    refs: Sequence[Path] = (),
    options: ScoreOptions = ScoreOptions(),
    *,
    progress: StageProgress = no_progress,
) -> Report:
    """Score bilingual documents into one report (see the module doc); ``refs`` only with one document.

    The documents are scored in order and the first bad one stops the run with its `InputError`.
    ``progress`` is told of each document's stages in turn.
    """
    check_documents(paths, refs)
    if len(paths) == 1:
        return score_document(paths[0], refs, options, progress=progress)
    reports = (score_document(path, (), options, progress=progress) for path in paths)
    return merge_documents(paths, reports, options)


def merge_documents(paths: Sequence[Path], reports: Iterable[Report], options: ScoreOptions) -> Report:
    """One report from the reports of ``paths`` (one each, in the same order, consumed in order: a
    generator may score them lazily). Links keep their per-document indices and lines and gain their
    ``document``; similarity and margin are pooled over every document's paired links; counts, scores
    and the length model of each document are kept in ``extra["documents"]``. Documents of another
    language direction than the first are an `InputError` naming the file."""
    links: list[ScoredLink] = []
    entries: list[dict[str, Any]] = []
    warnings: list[str] = []
    first: Report | None = None
    for path, report in zip(paths, reports, strict=True):
        if first is None:
            first = report
        elif (report.src_lang, report.tgt_lang) != (first.src_lang, first.tgt_lang):
            raise InputError(path, f"the document is {report.src_lang}→{report.tgt_lang}, but {paths[0]} is "
                             f"{first.src_lang}→{first.tgt_lang}", "score each language direction on its own, "
                             "or give --src-lang when the direction was guessed from a title")  # fmt: skip
        links += [replace(link, document=str(path)) for link in report.links]
        warnings += [w if str(path) in w else f"{path}: {w}" for w in report.warnings]  # say which document
        entries.append(_entry(str(path), report))
    if first is None:
        raise UsageError("no document given", "name one or more bilingual documents or folders")
    paired = [link for link in links if link.similarity is not None]  # both set on every paired, non-empty link
    scores = embedding_scores([link.similarity for link in paired if link.similarity is not None],
                              [link.margin for link in paired if link.margin is not None],
                              first.model["signature"], options)  # fmt: skip
    return Report(
        inputs={f"document_{k + 1}": str(path) for k, path in enumerate(paths)},
        src_lang=first.src_lang,
        tgt_lang=first.tgt_lang,
        links=tuple(links),
        scores=scores,
        thresholds=first.thresholds,
        thresholds_origin=first.thresholds_origin,
        model=first.model,
        warnings=tuple(warnings),
        extra={"alignment": first.extra.get("alignment", ""), "documents": entries},
    )


def _entry(name: str, report: Report) -> dict[str, Any]:
    """summary.json's ``documents`` item: the document's own counts, reasons, scores and length model."""
    from ..report.summary import summary

    info = summary(report)
    entry: dict[str, Any] = {"document": name, "encoding": report.inputs.get("encoding", ""), "layout": report.inputs.get("layout", "")}
    entry.update({key: info[key] for key in ("counts", "reasons", "scores")})
    entry["length_model"] = report.extra.get("length_model", {})
    return entry
