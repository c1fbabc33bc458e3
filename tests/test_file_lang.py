"""A file's language (evalkit.lang.line_vote / file_lang): script first, then langid's votes within it; and the
Latin side of a bilingual document (evalkit.io.document).

Before, every Latin-script file was "en": scoring English->German output without --tgt-lang made every
German line off_target and fed the qe model English features (measured on newstest2021 en-de Facebook-AI:
1,002 of 1,002 lines flagged off_target). The sentences are the editor's translations of seed bullets.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.lang import file_lang, line_vote

EN = ["The two leaders likely discussed arms deals and cooperation for defense.",
      "The summit ended with a joint statement on trade.",
      "Both sides agreed to meet again next year in Beijing.",
      "Officials said the talks had been constructive and frank."]
DE = ["Die beiden Staatschefs haben wahrscheinlich über Waffengeschäfte gesprochen.",
      "Der Gipfel endete mit einer gemeinsamen Erklärung zum Handel.",
      "Beide Seiten vereinbarten, sich im nächsten Jahr in Peking wieder zu treffen.",
      "Beamte sagten, die Gespräche seien konstruktiv und offen gewesen."]


@pytest.mark.parametrize(("text", "vote"), [
    (DE[0], "en/de"),  # Latin script ("en" by script), German by langid
    (EN[0], "en/en"),
    ("Guten Morgen, Berlin", "en"),  # under 4 words: the script's vote only
    ("两位领导人可能讨论了武器交易和国防合作问题。", "zh"),  # Han: langid is not asked
    ("Два лидера обсудили торговлю и оборону в Москве.", "ru/ru"),
    ("2024 — 12", "und"),  # no letters
])  # fmt: skip
def test_line_vote(text: str, vote: str) -> None:
    assert line_vote(text) == vote


@pytest.mark.parametrize(("votes", "lang"), [
    (["en/de", "en", "en", "en/de", "zh"], "de"),  # short lines vote for the script, langid names the language
    (["zh", "zh", "en/en"], "zh"),  # the script decides first
    (["en", "en"], "en"),  # no line long enough: the script's language
    (["en/de", "en/fr"], "de"),  # a tie goes to the first seen
    (["", "und"], "und"),
])  # fmt: skip
def test_file_lang(votes: list[str], lang: str) -> None:
    assert file_lang(votes) == lang


def test_english_to_german_line_files_need_no_language_options(tmp_path: Path, cache_dir: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    # One line in English (not a copy of the source, which is `untranslated`) is off-target; the German lines are not.
    src, tgt = tmp_path / "src.txt", tmp_path / "hyp.txt"
    src.write_text("\n".join(EN) + "\n", encoding="utf-8")
    tgt.write_text("\n".join([DE[0], "The meeting finished with a shared declaration about commerce.", DE[2], DE[3]]) + "\n",
                   encoding="utf-8")
    out = tmp_path / "r"
    code = main(["score", "--src", str(src), "--tgt", str(tgt), "--cache-dir", str(cache_dir), "-o", str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["languages"] == {"source": "en", "target": "de"}
    with (out / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["reasons"] for r in rows] == ["", "off_target", "", ""]
    assert "target is en" in rows[1]["details"] and "expected de" in rows[1]["details"]


ZH = ["两位领导人可能讨论了武器交易。", "峰会以一份关于贸易的联合声明结束。", "双方同意明年在北京再次会面。",
      "官员们说，会谈是建设性的和坦诚的。"]


def test_a_chinese_german_document_has_a_german_side(tmp_path: Path) -> None:
    from evalkit.io.document import read_document

    doc = tmp_path / "doc.txt"
    doc.write_text("\n".join(f"• {t}" for t in ZH) + "\n\n" + "\n".join(f"• {t}" for t in DE) + "\n", encoding="utf-8")
    read = read_document(doc)
    assert (read.src_lang, read.tgt_lang) == ("zh", "de")
    assert {s.lang for s in read.tgt} == {"de"}
    seed_like = tmp_path / "en.txt"  # an English side stays English
    seed_like.write_text("\n".join(ZH) + "\n\n" + "\n".join(EN) + "\n", encoding="utf-8")
    assert read_document(seed_like).tgt_lang == "en"
    assert read_document(doc, src_lang="zh").tgt_lang == "de"


def test_a_chinese_german_document_flags_only_the_english_bullet(tmp_path: Path, cache_dir: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.txt"
    tgt = [DE[0], "The meeting finished with a shared declaration about commerce.", DE[2], DE[3]]
    doc.write_text("\n".join(f"• {t}" for t in ZH) + "\n\n" + "\n".join(f"• {t}" for t in tgt) + "\n", encoding="utf-8")
    out = tmp_path / "r"
    code = main(["score", str(doc), "--cache-dir", str(cache_dir), "-o", str(out), "-q"])
    assert code == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["languages"] == {"source": "zh", "target": "de"}
    with (out / "pairs.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert ["off_target" in r["reasons"] for r in rows] == [False, True, False, False]
