"""Expert MQM segments from ../shared/data, as (test set, system, source, target, reference, MQM) rows.

MQM segment score, as published (google/wmt-mqm-human-evaluation, e.g. ``avg_seg_scores.tsv``): per rater,
the sum of Major 5, Minor 1 (Minor Fluency/Punctuation 0.1), Non-translation 25, Neutral/No-error 0; then
the mean over the segment's raters; 0 is best, more negative is worse. Rows that are not translation errors
weigh 0: ``Source issue`` (an error in the source, not the translation), ``Accuracy/Creative
Reinterpretation`` (a valid free rendering, neutral in the WMT23 guidelines) and the raters' attention checks
(severity ``HOTW-test``). ``test_mqm_data`` checks this against the viewer's own per-segment MQM stored
in each WMT23 row's metadata.
"""

from __future__ import annotations

import csv
import re
import sys
import tarfile
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATA", "MqmRow", "load_all", "load_newstest2021", "load_wmt23", "segment_penalty"]

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_MARK = re.compile(r"</?v>")
# Rows that mark no translation error; the viewer's own MQM (row metadata) also weighs them 0.
_NOT_ERRORS = ("No-error", "Neutral", "Source issue", "Accuracy/Creative Reinterpretation")


@dataclass(frozen=True)
class MqmRow:
    testset: str  # "wmt23" or "wmt21"
    pair: str  # "zh-en" or "en-de"
    system: str
    doc: str
    seg: int
    src: str
    tgt: str
    ref: str | None
    mqm: float  # 0 best, more negative worse


def segment_penalty(category: str, severity: str) -> float:
    """Penalty points of one annotation row (positive; the MQM score is minus their sum)."""
    sev = severity.strip().lower()
    cat = category.strip()
    if sev not in {"major", "minor"} or cat.startswith(_NOT_ERRORS):
        return 0.0
    if cat.startswith("Non-translation"):
        return 25.0
    if sev == "major":
        return 5.0
    return 0.1 if cat == "Fluency/Punctuation" else 1.0


def _read_sxs(path: Path, pair: str) -> list[MqmRow]:
    csv.field_size_limit(sys.maxsize)
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(path) as tar:
            tar.extractall(tmp, filter="data")
        (tsv,) = Path(tmp).glob("*.tsv")
        with tsv.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            next(reader)
            penalties: dict[tuple[str, str, int], dict[str, float]] = defaultdict(dict)
            texts: dict[tuple[str, str, int], tuple[str, str]] = {}
            for row in reader:
                system, doc, seg, _glob, rater, src, tgt, cat, sev = row[:9]
                key = (system, doc, int(seg))
                raters = penalties[key]
                raters[rater] = raters.get(rater, 0.0) + segment_penalty(cat, sev)
                texts.setdefault(key, (_MARK.sub("", src), _MARK.sub("", tgt)))
    refs: dict[tuple[str, int], str] = {}
    for (system, doc, seg), (_src, tgt) in texts.items():
        if system == "refA":
            refs[(doc, seg)] = tgt
    out = []
    for key in sorted(penalties):
        system, doc, seg = key
        raters = penalties[key]
        mqm = -sum(raters.values()) / len(raters)
        src, tgt = texts[key]
        ref = None if system.startswith("refA") or system.endswith("_with_refA") else refs.get((doc, seg))
        out.append(MqmRow("wmt23", pair, system, doc, seg, src, tgt, ref, round(mqm, 6)))
    return out


def load_wmt23(pair: str, data: Path = DATA) -> list[MqmRow]:
    """WMT23 General MT side-by-side MQM (3 raters a segment); ``pair`` "zh-en" or "en-de"."""
    code = pair.replace("-", "")
    return _read_sxs(data / "wmt23-general-mqm-sxs" / f"sxs_mqm_generalMT2023_{code}.3ratingsPerSegment.tsv.tar.gz",
                     pair)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def load_newstest2021(pair: str, data: Path = DATA) -> list[MqmRow]:
    """newstest2021 segment MQM with the system outputs present in ../shared (references rated as systems
    where the file is there: ref-A for zh-en, ref-A/C/D for en-de)."""
    s, t = pair.split("-")
    root = data / f"wmt21-newstest-{pair}-mqm"
    src = _lines(root / "sources" / f"newstest2021.{pair}.src.{s}")
    ref_a = _lines(root / "references" / f"newstest2021.{pair}.ref.A.{t}")
    scores: dict[str, dict[int, float]] = defaultdict(dict)
    for line in (root / "mqm" / f"mqm_newstest2021_{s}{t}.avg_seg_scores.tsv").read_text("utf-8").splitlines()[1:]:
        system, score, seg = line.split()  # the file mixes tabs and spaces
        if score != "None":
            scores[system][int(seg)] = float(score)
    out = []
    for system in sorted(scores):
        name = "NVIDIA-NeMo" if system == "Nemo" else system
        if system.startswith("ref-"):
            path = root / "references" / f"newstest2021.{pair}.ref.{system[4:]}.{t}"
        else:
            path = root / "system-outputs" / pair / f"newstest2021.{pair}.hyp.{name}.{t}"
        if not path.exists():
            continue
        hyp = _lines(path)
        if len(hyp) != len(src):
            raise ValueError(f"{path}: {len(hyp)} lines, source has {len(src)}")
        for seg, mqm in sorted(scores[system].items()):
            ref = None if system == "ref-A" else ref_a[seg - 1]
            out.append(MqmRow("wmt21", pair, system, "", seg, src[seg - 1], hyp[seg - 1], ref, mqm))
    return out


def load_all(data: Path = DATA) -> list[MqmRow]:
    rows: list[MqmRow] = []
    for pair in ("zh-en", "en-de"):
        rows += load_wmt23(pair, data) + load_newstest2021(pair, data)
    return rows
