"""off_target (evalkit.metrics.offtarget): py3langid 0.4.0's real model on real sentences.

The German and French sentences are the editor's translations of seed bullets; the false-alarm
bounds sit just above the rates bench/checks_false_alarms.py measured (stated in each test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.metrics.checks import run_checks
from evalkit.metrics.offtarget import MIN_PROB, check_off_target, lang_probs

from conftest import read_lines

GERMAN = "Die beiden Staatschefs haben wahrscheinlich über Waffengeschäfte und die Zusammenarbeit bei der Verteidigung gesprochen."
FRENCH = "Les deux dirigeants ont probablement discuté d'accords d'armement et de coopération en matière de défense."
ENGLISH = "The two leaders likely discussed arms deals and cooperation for defense."
ZH = "两位领导人可能讨论了武器交易和国防合作问题。"


@pytest.mark.parametrize(
    ("tgt", "tgt_lang", "detected"),
    [(GERMAN, "en", "de"), (FRENCH, "en", "fr"), (ENGLISH, "de", "en"), (FRENCH, "de", "fr")],
)
def test_same_script_wrong_language_is_off_target(tgt: str, tgt_lang: str, detected: str) -> None:
    flag = check_off_target(tgt, tgt_lang, "Latin")
    assert flag is not None and flag.code == "off_target"
    assert flag.detail.startswith(f"off_target: target is {detected} (p=")
    assert flag.value is not None and flag.value >= MIN_PROB and flag.threshold == MIN_PROB
    probs = lang_probs(tgt)
    assert abs(sum(probs.values()) - 1) < 1e-4 and max(probs, key=probs.__getitem__) == detected


@pytest.mark.parametrize(
    ("tgt", "tgt_lang", "script"),
    [
        (ENGLISH, "en", "Latin"),  # the expected language
        (GERMAN, "de", "Latin"),
        ("Guten Morgen, Berlin", "en", "Latin"),  # under 4 words: never judged
        ("Xi Jinping Wladimir Putin Moskau Peking", "en", "Latin"),  # names only: langid is unsure
        (ZH, "en", "Han"),  # other scripts are wrong_language/untranslated's
        (GERMAN, "tlh", "Latin"),  # a language langid does not know
    ],
)
def test_no_off_target(tgt: str, tgt_lang: str, script: str) -> None:
    assert check_off_target(tgt, tgt_lang, script) is None


def test_run_checks_reports_off_target_alone() -> None:
    # A German target for a Chinese source: the script is right (Latin), so only langid sees it,
    # and the number/entity/length checks, which compare two languages, are skipped.
    assert [f.code for f in run_checks(ZH, GERMAN, "zh", "en")] == ["off_target"]
    assert run_checks(ZH, ENGLISH, "zh", "en") == []


@pytest.mark.parametrize(
    # bench/checks_false_alarms.py: 0/1875 on WMT22 zh-en ref A and B, 1/1948 on newstest2021 zh-en
    # ref A (a "Deutsche Presse-Agentur" byline), 0/1002 on each newstest2021 en-de German reference.
    ("path", "lang", "most"),
    [
        ("wmt22-general-zh-en/references/generaltest2022.zh-en.ref.A.en", "en", 0),
        ("wmt22-general-zh-en/references/generaltest2022.zh-en.ref.B.en", "en", 0),
        ("wmt21-newstest-zh-en-mqm/references/newstest2021.zh-en.ref.A.en", "en", 1),
        ("wmt21-newstest-en-de-mqm/references/newstest2021.en-de.ref.A.de", "de", 0),
    ],
)
def test_false_alarms_on_human_references(shared_data: Path, path: str, lang: str, most: int) -> None:
    fired = [i + 1 for i, t in enumerate(read_lines(shared_data / path)) if check_off_target(t, lang, "Latin")]
    assert len(fired) <= most, fired


def test_german_references_read_as_english_are_caught(shared_data: Path) -> None:
    # bench/checks_false_alarms.py: 996 of the 1002 newstest2021 German references (99.4%).
    refs = read_lines(shared_data / "wmt21-newstest-en-de-mqm/references/newstest2021.en-de.ref.A.de")
    assert sum(1 for t in refs if check_off_target(t, "en", "Latin")) >= 990
