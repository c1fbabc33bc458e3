"""evalkit.io.document: the seed, each layout and marker, paragraphs, edge cases and fault variants.

Expected texts come from the seed parsed with plain string operations in tests/data/io/make_files.py
(TITLE, ZH = the 15 Chinese bullets, EN = the 15 English bullets), which also wrote the files read here.
Line numbers come from the layouts make_files.py writes: blocked "title, blank, bullet, blank, ..."
puts bullet k (0-based, both languages counted in order) on line 3 + 2k; interleaved "title, blank,
zh, en, blank, ..." puts pair k on lines 3 + 3k and 4 + 3k.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.io import Document, read_document
from evalkit.records import Segment

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "io"
SEED = ROOT / "seeds" / "xi-putin-defense-ties.zh-en.txt"

_spec = importlib.util.spec_from_file_location("make_io_files", DATA / "make_files.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
TITLE, ZH, EN = gen.TITLE, gen.ZH, gen.EN


def texts(segments: tuple[Segment, ...]) -> list[str]:
    return [s.text for s in segments]


def test_seed() -> None:
    doc = read_document(SEED)
    assert (doc.layout, doc.encoding, doc.src_lang, doc.tgt_lang) == ("blocked", "utf-8", "zh", "en")
    assert (len(doc.src), len(doc.tgt)) == (16, 15)  # title + 15 Chinese bullets; 15 English bullets
    # Read off `awk '{print NR": "$0}'` on the seed: title line 1, zh bullets 3..31, en bullets 33..61.
    assert doc.src[0].text == "习近平握手普京幕后:中俄正为一场长期对抗加深防务合作|外交事务"
    assert (doc.src[0].line, doc.src[1].line, doc.src[15].line) == (1, 3, 31)
    assert doc.src[1].text == "习近平上个月对俄罗斯的访问表明了公众对这位陷入困境的俄罗斯领导人的支持。"
    assert (doc.tgt[0].line, doc.tgt[9].line, doc.tgt[14].line) == (33, 51, 61)
    assert doc.tgt[0].text.startswith("Xi Jinping’s last month visit to Russia")
    assert doc.tgt[14].text.endswith("will have to learn how to manage upward in order to survive.")
    assert [s.index for s in doc.src] == list(range(16)) and [s.index for s in doc.tgt] == list(range(15))
    assert {s.lang for s in doc.src} == {"zh"} and {s.lang for s in doc.tgt} == {"en"}
    assert {s.file for s in doc.src + doc.tgt} == {str(SEED)}
    assert texts(doc.src) == [TITLE, *ZH] and texts(doc.tgt) == EN


def test_seed_interleaved_matches_the_seed() -> None:
    doc = read_document(DATA / "seed-interleaved.txt")
    assert doc.layout == "interleaved"
    assert texts(doc.src) == [TITLE, *ZH] and texts(doc.tgt) == EN
    assert [s.line for s in doc.tgt[:3]] == [4, 7, 10]


BLOCKED_LINES = ([1, 3, 5, 7], [9, 11, 13])
INTERLEAVED_LINES = ([1, 3, 6, 9], [4, 7, 10])


@pytest.mark.parametrize("layout", ["blocked", "interleaved"])
@pytest.mark.parametrize("marker", ["bullet", "dash", "star", "num-dot", "num-paren", "none"])
def test_each_layout_and_marker(layout: str, marker: str) -> None:
    doc = read_document(DATA / "layouts" / f"{layout}-{marker}.txt")
    assert doc.layout == layout
    assert texts(doc.src) == [TITLE, *ZH[:3]] and texts(doc.tgt) == EN[:3]  # markers stripped
    lines = BLOCKED_LINES if layout == "blocked" else INTERLEAVED_LINES
    assert ([s.line for s in doc.src], [s.line for s in doc.tgt]) == lines


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("utf8", "utf-8"), ("utf8-bom", "utf-8-sig"), ("utf16le-bom", "utf-16"), ("utf16be-bom", "utf-16"),
     ("gb18030", "gb18030"), ("crlf", "utf-8")],
)  # fmt: skip
def test_each_encoding(name: str, encoding: str) -> None:
    doc = read_document(DATA / "encodings" / f"{name}.txt")
    assert doc.encoding == encoding
    assert texts(doc.src) == [TITLE, *ZH[:3]] and texts(doc.tgt) == EN[:3]
    assert ([s.line for s in doc.src], [s.line for s in doc.tgt]) == BLOCKED_LINES


def test_one_line_per_segment_without_blank_lines_is_not_a_paragraph() -> None:
    # Title, 3 zh lines, 3 en lines, no blank line: one block, yet every line is a segment.
    doc = read_document(DATA / "layouts" / "blocked-none-compact.txt")
    assert texts(doc.src) == [TITLE, *ZH[:3]] and texts(doc.tgt) == EN[:3]
    assert [s.line for s in doc.tgt] == [5, 6, 7]


def test_interleaved_lines_without_blank_lines() -> None:
    # Title, then zh 1, en 1, zh 2, en 2, zh 3, en 3 on consecutive lines 2..7.
    doc = read_document(DATA / "layouts" / "interleaved-none-compact.txt")
    assert doc.layout == "interleaved"
    assert texts(doc.src) == [TITLE, *ZH[:3]] and texts(doc.tgt) == EN[:3]
    assert ([s.line for s in doc.src], [s.line for s in doc.tgt]) == ([1, 2, 4, 6], [3, 5, 7])


def test_unmarked_line_among_bullets_is_a_segment() -> None:
    doc = read_document(DATA / "layouts" / "unmarked-among-bullets.txt")
    assert texts(doc.src) == [ZH[0], "小标题", ZH[1]] and texts(doc.tgt) == [EN[0], "Subheading", EN[1]]
    assert [s.line for s in doc.tgt] == [5, 6, 7]


@pytest.mark.parametrize(
    ("name", "layout"), [("paragraphs-blocked", "blocked"), ("paragraphs-interleaved", "interleaved")]
)
def test_hard_wrapped_paragraphs_join(name: str, layout: str) -> None:
    # Each paragraph is one seed bullet wrapped at 30 Han characters or 60 columns: joined back
    # without a space for Chinese and with one for English, it is the bullet again.
    doc = read_document(DATA / "layouts" / f"{name}.txt")
    assert doc.layout == layout
    assert texts(doc.src) == [TITLE, *ZH[:5]] and texts(doc.tgt) == EN[:5]
    assert doc.src[1].line == 3  # the first paragraph starts after the title and a blank line


def test_wrapped_bullets_continue_on_indented_lines() -> None:
    doc = read_document(DATA / "layouts" / "bullets-wrapped.txt")
    assert texts(doc.src) == [TITLE, *ZH[:3]] and texts(doc.tgt) == EN[:3]
    assert [s.line for s in doc.src] == [1, 2, 4, 6]  # each zh bullet wraps onto 2 lines (30 + rest)


def test_text_that_only_looks_like_a_marker_is_kept() -> None:
    doc = read_document(DATA / "layouts" / "not-markers.txt")
    assert texts(doc.src) == ["1.5亿人。", "2017年,中俄签署了14份文件。"]
    assert texts(doc.tgt) == ["-5% growth.", "*Emphasis* is kept.", "1.1 Scope", "#hashtag stays"]


def test_headings_are_segments() -> None:
    doc = read_document(DATA / "layouts" / "headings.txt")
    assert texts(doc.src) == [TITLE, ZH[0], ZH[1]]
    assert texts(doc.tgt) == ["Summary", EN[0], EN[1]]


def test_edge_cases_keep_every_segment() -> None:
    doc = read_document(DATA / "layouts" / "edge-cases.txt")
    # One-character bullet kept; U+3000/NBSP trimmed; "2017" and the empty bullet stay in their
    # block's language; the Russian bullet sits in the English block and keeps its own language.
    assert texts(doc.src) == [TITLE, "是", ZH[0], "2017", "", ZH[1]]
    assert texts(doc.tgt) == ["Yes.", EN[0], "2017", "", "Россия и Китай.", EN[1]]
    assert [s.lang for s in doc.src] == ["zh"] * 6
    assert [s.lang for s in doc.tgt] == ["en", "en", "en", "en", "ru", "en"]
    assert doc.layout == "blocked"


def test_letterless_segments_take_turns_when_interleaved() -> None:
    # zh 1 / en 1, then "2017" / "2017", then zh 2 / en 2: position decides only for "2017".
    doc = read_document(DATA / "layouts" / "edge-interleaved.txt")
    assert texts(doc.src) == [TITLE, ZH[0], "2017", ZH[1]]
    assert texts(doc.tgt) == [EN[0], "2017", EN[1]]
    assert (doc.src[2].line, doc.tgt[1].line) == (6, 7)


def test_mixed_layout() -> None:
    doc = read_document(DATA / "layouts" / "mixed.txt")  # two sections, each blocked
    assert doc.layout == "mixed"
    assert texts(doc.src) == [TITLE, *ZH[:6]] and texts(doc.tgt) == EN[:6]


def test_src_lang_chooses_the_source() -> None:
    doc = read_document(SEED, src_lang="en")
    assert (doc.src_lang, doc.tgt_lang, len(doc.src), len(doc.tgt)) == ("en", "zh", 15, 16)
    with pytest.raises(InputError, match=r"src_lang='ja'.*found: zh \(16\), en \(15\)"):
        read_document(SEED, src_lang="ja")


def test_latin_source_named_by_src_lang() -> None:
    doc = read_document(SEED, src_lang="fr")  # Latin script read as the language the caller names
    assert (doc.src_lang, doc.tgt_lang, doc.src[0].text) == ("fr", "zh", EN[0])


def test_one_language_only_is_an_error() -> None:
    with pytest.raises(InputError) as info:
        read_document(DATA / "layouts" / "only-zh.txt")
    message = str(info.value)
    assert "only zh segments (16)" in message and "read_parallel(src, tgt)" in message and "\n" not in message


def test_empty_document_is_an_error() -> None:
    with pytest.raises(InputError, match="no text"):
        read_document(DATA / "errors" / "empty.txt")


def test_encoding_errors_pass_through() -> None:
    with pytest.raises(InputError, match="looks binary") as info:
        read_document(DATA / "errors" / "binary.png")
    assert info.value.line == 3


def test_document_checks_its_invariants() -> None:
    seg = Segment("x", "en", 1)
    with pytest.raises(ValueError, match="indices"):
        Document("p", "utf-8", "blocked", (), (seg,), "zh", "en")
    with pytest.raises(ValueError, match="layout"):
        Document("p", "utf-8", "sideways", (), (), "zh", "en")  # type: ignore[arg-type]


def _split_at(text: str, sep: str, keep: bool) -> list[str]:
    cut = text.index(sep) + (len(sep) if keep else 0)
    return [text[:cut], text[cut:].strip()]


# Faults, bullets numbered 1-based as in the issue: bullet 5 dropped, bullets 3 and 4 merged,
# bullet 10 split after its first sentence (English at " However,", Chinese after the first "。").
FAULTS = {
    "dropped-zh": (ZH[:4] + ZH[5:], EN),
    "dropped-en": (ZH, EN[:4] + EN[5:]),
    "merged-en": (ZH, EN[:2] + [EN[2] + " " + EN[3]] + EN[4:]),
    "merged-zh": (ZH[:2] + [ZH[2] + ZH[3]] + ZH[4:], EN),
    "split-en": (ZH, EN[:9] + _split_at(EN[9], " However,", keep=False) + EN[10:]),
    "split-zh": (ZH[:9] + _split_at(ZH[9], "。", keep=True) + ZH[10:], EN),
}
COUNTS = {  # (zh incl. title, en): 16/15 in the seed, one fewer or more where the fault says
    "dropped-zh": (15, 15), "dropped-en": (16, 14), "merged-en": (16, 14),
    "merged-zh": (15, 15), "split-en": (16, 16), "split-zh": (17, 15),
}  # fmt: skip


@pytest.mark.parametrize("suffix", ["", "-interleaved"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_variants(fault: str, suffix: str) -> None:
    doc = read_document(DATA / "faults" / f"{fault}{suffix}.txt")
    assert (len(doc.src), len(doc.tgt)) == COUNTS[fault]
    zh, en = FAULTS[fault]
    assert texts(doc.src) == [TITLE, *zh] and texts(doc.tgt) == en
    assert doc.layout == ("interleaved" if suffix else "blocked")


def test_lone_pasted_source_inside_the_target_block_stays_on_the_target_side() -> None:
    # tests/data/flags/untranslated.txt: English bullet 5 replaced by the Chinese bullet 5 (make_files.py).
    doc = read_document(Path(__file__).parent / "data" / "flags" / "untranslated.txt")
    assert (len(doc.src), len(doc.tgt), doc.layout) == (16, 15, "blocked")
    assert doc.tgt[4].lang == "zh" and doc.tgt[4].text == doc.src[5].text
