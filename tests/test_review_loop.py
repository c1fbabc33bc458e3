"""The reviewer loop end to end: score -> flagged XLIFF -> a reviewer's verdicts -> calibrate -> rescore.

The seed with two English bullets replaced by unrelated sentences is scored with a margin threshold
set too high on purpose (1.45: the seed's good pairs have margins 1.30-1.67), so good pairs are
flagged too. The reviewer marks the two replaced bullets and the untranslated title as real
problems and approves every other flagged pair unchanged. Calibration at recall 1 must lower the
margin threshold so that the rescored document flags fewer pairs and still all three problems.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from evalkit.calibrate import load_verdicts, propose
from evalkit.config import Thresholds
from evalkit.pipeline import ScoreOptions, score_document
from evalkit.records import Report
from evalkit.report.xliff_out import XLIFF2_NS, write_flagged_xliff

SEED = Path(__file__).resolve().parents[1] / "seeds" / "xi-putin-defense-ties.zh-en.txt"
REPLACED = {
    "The real action took place behind the scenes in private negotiations between Putin and Xi.":
        "Heavy rain is expected across the north of the country this weekend.",
    "The two leaders likely discussed arms deals and cooperation for defense.":
        "The museum will stay closed on Mondays until the new roof is finished.",
}  # fmt: skip


def test_review_loop_cuts_false_alarms(tmp_path: Path, cache_dir: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for good, bad in REPLACED.items():
        assert good in text
        text = text.replace(good, bad)
    doc = tmp_path / "corrupt.zh-en.txt"
    doc.write_text(text, encoding="utf-8")
    strict = Thresholds(margin=1.45)
    before = score_document(doc, options=ScoreOptions(thresholds=strict, cache_dir=cache_dir))

    review = tmp_path / "review.xlf"
    assert write_flagged_xliff(before, review) == len(before.flagged)
    tree = etree.parse(str(review))
    for segment in tree.getroot().iter(f"{{{XLIFF2_NS}}}segment"):
        source = segment.find(f"{{{XLIFF2_NS}}}source")
        target = segment.find(f"{{{XLIFF2_NS}}}target")
        if (target.text or "") in REPLACED.values() or not (target.text or "") or not (source.text or ""):
            segment.set("subState", "evalkit:real-problem")
        else:  # approved as it is: a false alarm
            segment.set("state", "final")
            del segment.attrib["subState"]
    tree.write(str(review), xml_declaration=True, encoding="UTF-8")

    calibration = propose(load_verdicts([review]), strict, recall=1.0)
    assert calibration.before.recall == 1.0 and calibration.after.recall == 1.0
    assert calibration.proposed.margin < strict.margin
    after = score_document(doc, options=ScoreOptions(thresholds=calibration.proposed, cache_dir=cache_dir))

    def problems(report: Report) -> set[str]:
        return {l.target for l in report.flagged if l.target in REPLACED.values() or not l.target}

    assert problems(after) == problems(before) and len(problems(before)) == 3  # two replaced bullets, the title
    assert len(after.flagged) < len(before.flagged)
    assert len(after.flagged) - 3 == calibration.after.false_alarms  # the rescore agrees with the calibration
