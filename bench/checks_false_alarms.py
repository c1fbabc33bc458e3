"""False alarms and lift of the ``off_target`` and ``entity_mismatch`` checks (README figures).

1. False alarms on human translations, which are never off-target and (almost) never drop a name:
   WMT22 General zh-en and en-zh references A and B, newstest2021 zh-en reference A, newstest2021
   en-de references A, C and D, each against its source.
2. off_target recall on real text in the wrong language: German references read as English, English
   sources read as German, WMT22 English references read as German.
3. Lift on expert MQM (newstest2021 zh-en and en-de, every system with outputs here): how often each
   check fires on segments with a major error (MQM <= -5) and on error-free ones (MQM = 0).
4. The same on WMT23 side-by-side MQM (zh-en, en-de; 3 raters): segments with a major accuracy error
   (a rater's Accuracy/* error of severity Major) against those every rater marked No-error.

Run: .venv/bin/python bench/checks_false_alarms.py
Data: ../shared/data (see its README). Nothing is cached; about 3 minutes on one core.
"""

from __future__ import annotations

import csv
import io
import sys
import tarfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from evalkit.metrics.entities import check_entities
from evalkit.metrics.offtarget import check_off_target
from evalkit.records import Flag

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
W22, W21ZH, W21DE = DATA / "wmt22-general-zh-en", DATA / "wmt21-newstest-zh-en-mqm", DATA / "wmt21-newstest-en-de-mqm"
W23 = DATA / "wmt23-general-mqm-sxs"
MAJOR = -5.0


def lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8").split("\n")
    return text[:-1] if text and text[-1] == "" else text


def off_target(src: str, tgt: str, src_lang: str, tgt_lang: str) -> Flag | None:
    del src, src_lang
    return check_off_target(tgt, tgt_lang, "Latin")  # every target below is in Latin script or Chinese (skipped)


CHECKS: dict[str, Callable[[str, str, str, str], Flag | None]] = {"off_target": off_target, "entity_mismatch": check_entities}


def references() -> list[tuple[str, list[str], list[str], str, str]]:
    zh22, en22 = lines(W22 / "sources" / "generaltest2022.zh-en.src.zh"), lines(W22 / "sources" / "generaltest2022.en-zh.src.en")
    sets = [(f"WMT22 zh-en ref {r}", zh22, lines(W22 / "references" / f"generaltest2022.zh-en.ref.{r}.en"), "zh", "en") for r in "AB"]
    sets += [(f"WMT22 en-zh ref {r}", en22, lines(W22 / "references" / f"generaltest2022.en-zh.ref.{r}.zh"), "en", "zh") for r in "AB"]
    sets.append(("newstest2021 zh-en ref A", lines(W21ZH / "sources" / "newstest2021.zh-en.src.zh"),
                 lines(W21ZH / "references" / "newstest2021.zh-en.ref.A.en"), "zh", "en"))
    en21 = lines(W21DE / "sources" / "newstest2021.en-de.src.en")
    sets += [(f"newstest2021 en-de ref {r}", en21, lines(W21DE / "references" / f"newstest2021.en-de.ref.{r}.de"), "en", "de") for r in "ACD"]
    return sets


def read_mqm(path: Path) -> dict[str, dict[int, float]]:
    scores: dict[str, dict[int, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        system, score, seg = line.split()  # the file mixes tabs and spaces
        if score != "None":
            scores.setdefault(system, {})[int(seg)] = float(score)
    return scores


def mqm_rows(folder: Path, pair: str) -> list[tuple[str, str, float]]:
    src_lang, tgt_lang = pair.split("-")
    src = lines(folder / "sources" / f"newstest2021.{pair}.src.{src_lang}")
    rows = []
    for system, scores in sorted(read_mqm(folder / "mqm" / f"mqm_newstest2021_{src_lang}{tgt_lang}.avg_seg_scores.tsv").items()):
        name = "NVIDIA-NeMo" if system == "Nemo" else system
        hyp = folder / "system-outputs" / pair / f"newstest2021.{pair}.hyp.{name}.{tgt_lang}"
        if not hyp.exists():
            continue
        out = lines(hyp)
        rows += [(src[seg - 1], out[seg - 1], mqm) for seg, mqm in scores.items()]
    return rows


def sxs_rows(pair: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(major accuracy error, error-free) (source, target) pairs of WMT23 sxs MQM, one per system
    output and segment; "X_with_Y" is system X rated beside Y; refA and HOTW test items are left out."""
    path = W23 / f"sxs_mqm_generalMT2023_{pair.replace('-', '')}.3ratingsPerSegment.tsv.tar.gz"
    with tarfile.open(path) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".tsv"))
        raw = tar.extractfile(member)
        assert raw is not None
        text = io.TextIOWrapper(raw, encoding="utf-8")
        reader = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        segs: dict[tuple[str, str], dict[str, object]] = defaultdict(lambda: {"cats": set()})
        for row in reader:
            system, seg, src, tgt, category, severity = row[0].split("_with_")[0], row[3], row[5], row[6], row[7], row[8]
            if system.startswith("ref"):
                continue
            entry = segs[system, seg]
            entry.setdefault("src", src.replace("<v>", "").replace("</v>", ""))
            entry.setdefault("tgt", tgt.replace("<v>", "").replace("</v>", ""))
            cats = entry["cats"]
            assert isinstance(cats, set)
            cats.add((category, severity))
    major, clean = [], []
    for entry in segs.values():
        cats = entry["cats"]
        assert isinstance(cats, set)
        pair_text = (str(entry["src"]), str(entry["tgt"]))
        if any(sev == "HOTW-test" for _, sev in cats):
            continue
        if any(cat.startswith("Accuracy") and sev == "Major" for cat, sev in cats):
            major.append(pair_text)
        elif all(cat == "No-error" for cat, _ in cats):
            clean.append(pair_text)
    return major, clean


def lift_line(name: str, code: str, check: Callable[[str, str, str, str], Flag | None], pair: str,
              major: list[tuple[str, str]], clean: list[tuple[str, str]]) -> str:
    sl, tl = pair.split("-")
    fm = sum(1 for s, t in major if check(s, t, sl, tl))
    fc = sum(1 for s, t in clean if check(s, t, sl, tl))
    rm, rc = fm / len(major), fc / len(clean)
    lift = f"{rm / rc:.2f}" if rc else ("n/a" if not rm else "no error-free segment flagged")
    return f"- {name} {pair} {code}: major {fm}/{len(major)} ({rm:.2%}), error-free {fc}/{len(clean)} ({rc:.2%}), lift {lift}"


def main() -> None:
    print("## False alarms on human references")
    total = {code: [0, 0] for code in CHECKS}
    for name, src, ref, sl, tl in references():
        if len(src) != len(ref):
            sys.exit(f"{name}: {len(src)} sources but {len(ref)} references")
        cells = []
        for code, check in CHECKS.items():
            fired = [i + 1 for i, (s, r) in enumerate(zip(src, ref)) if check(s, r, sl, tl)]
            total[code][0] += len(fired)
            total[code][1] += len(src)
            cells.append(f"{code} {len(fired)}/{len(src)} ({len(fired) / len(src):.2%})")
        print(f"- {name}: " + ", ".join(cells))
    for code, (n, d) in total.items():
        print(f"- all: {code} {n}/{d} ({n / d:.2%})")

    print("\n## off_target on text in the wrong language")
    de = lines(W21DE / "references" / "newstest2021.en-de.ref.A.de")
    for name, texts, lang in (("newstest2021 German ref A, English expected", de, "en"),
                              ("newstest2021 English source, German expected", lines(W21DE / "sources" / "newstest2021.en-de.src.en"), "de"),
                              ("WMT22 English ref A, German expected", lines(W22 / "references" / "generaltest2022.zh-en.ref.A.en"), "de")):
        caught = sum(1 for t in texts if check_off_target(t, lang, "Latin"))
        print(f"- {name}: {caught}/{len(texts)} ({caught / len(texts):.1%})")

    print("\n## Lift on expert MQM (major error: MQM <= -5; error-free: MQM = 0)")
    for folder, pair in ((W21ZH, "zh-en"), (W21DE, "en-de")):
        rows = mqm_rows(folder, pair)
        major = [(s, t) for s, t, m in rows if m <= MAJOR]
        clean = [(s, t) for s, t, m in rows if m == 0]
        for code, check in CHECKS.items():
            print(lift_line("newstest2021", code, check, pair, major, clean))

    print("\n## Lift on WMT23 sxs MQM (a Major Accuracy/* error from any rater; error-free: No-error from every rater)")
    for pair in ("zh-en", "en-de"):
        major, clean = sxs_rows(pair)
        for code, check in CHECKS.items():
            print(lift_line("WMT23", code, check, pair, major, clean))


if __name__ == "__main__":
    main()
