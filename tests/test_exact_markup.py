"""Placeholder stripping keeps the words of the text outside the markup exactly (issue 20).

Two checks: a property test over generated markup (placeholders anywhere, whitespace anywhere) against the
plain deletion of the placeholders, and third-party-style TMX/XLIFF fixtures (tests/data/thirdparty, written
for these tests in the style of Okapi, translate-toolkit, Matecat, Trados and the OASIS XLIFF 2 samples)
whose scored text is compared with an independent extraction: lxml's ``itertext`` with the native-code
elements emptied.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from evalkit.io.markup import PLACEHOLDER, local, strip_placeholders
from evalkit.io.tmx import read_tmx_units
from evalkit.io.xliff import read_xliff_units

DATA = Path(__file__).parent / "data" / "thirdparty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # issue 20's two minimal cases (the run "⟦/1⟧ ⟦2⟧" used to vanish with its space)
        ("The big ⟦1⟧black⟦/1⟧ ⟦2⟧cat⟦/2⟧ sleeps.", "The big black cat sleeps."),
        ("⟦1⟧CAT⟦/1⟧ ⟦2⟧(Computer Assisted Translation)⟦/2⟧", "CAT (Computer Assisted Translation)"),
        ("a⟦1⟧\t⟦2⟧b", "a b"),
        ("a⟦1⟧⟦2⟧b", "ab"),
        ("a ⟦1⟧\n⟦2⟧b", "a \nb"),  # the newline is text outside the markup: kept
    ],
)
def test_named_cases(text: str, expected: str) -> None:
    assert strip_placeholders(text) == expected


_WORD = st.text(st.sampled_from("ab猫é1.,'-"), min_size=1, max_size=4)
_SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u3000", " \t "])
_CODE = st.integers(1, 12).flatmap(lambda n: st.sampled_from([f"⟦{n}⟧", f"⟦/{n}⟧"]))
_PIECES = st.lists(st.one_of(_WORD, _SPACE, _CODE), max_size=25)


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_words_outside_markup_are_kept(pieces: list[str]) -> None:
    text = "".join(pieces)
    out = strip_placeholders(text)
    assert out.split() == PLACEHOLDER.sub("", text).split()  # never joined, never split
    assert not PLACEHOLDER.search(out)
    assert strip_placeholders(out) == out  # nothing left to strip
    if not PLACEHOLDER.search(text):
        assert out == text  # text without markup is never touched


# --- third-party-style files against an independent extraction ---------------------------------------------

_NATIVE = {"ph", "bpt", "ept", "it", "ut", "x", "bx", "ex", "sc", "ec", "sm", "em"}  # codes, not text


def _independent(el: etree._Element) -> str:
    """The text of a source/target element by lxml's itertext, codes' native content left out."""
    el = copy.deepcopy(el)
    chars: list[str] = []  # XLIFF 2 <cp hex>: characters XML cannot hold, put back after itertext
    for node in list(el.iter()):
        if node is el or not isinstance(node.tag, str):
            continue
        if local(node.tag) in _NATIVE:
            tail = node.tail
            node.clear()
            node.tail = tail
        elif local(node.tag) == "cp":
            tail = node.tail
            chars.append(chr(int(node.get("hex", ""), 16)))
            node.clear()
            node.text, node.tail = "\ufffc", tail
    text = "".join(el.itertext())
    for char in chars:
        text = text.replace("\ufffc", char, 1)
    return text


def _xml_texts(path: Path) -> list[tuple[str, str]]:
    """(source, target) of every unit, read with plain lxml (no evalkit code)."""
    root = etree.parse(str(path)).getroot()
    out = []
    if local(root.tag) == "tmx":
        xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
        for tu in root.iter("tu"):
            segs = {tuv.get(xml_lang): tuv.find("seg") for tuv in tu.iter("tuv")}
            src, tgt = (segs[k] for k in sorted(segs, key=lambda k: k != root.find("header").get("srclang")))
            out.append((_independent(src), _independent(tgt)))
        return out
    for unit in root.iter():
        if local(unit.tag) in {"trans-unit", "segment"}:
            src = next(c for c in unit if local(c.tag) == "source")
            tgt = next(c for c in unit if local(c.tag) == "target")
            out.append((_independent(src), _independent(tgt)))
    return out


FILES = ["okapi_rainbow.tmx", "translate_toolkit.xlf", "oasis_xliff2.xlf", "trados.sdlxliff", "matecat.xlf"]


@pytest.mark.parametrize("name", FILES)
def test_scored_text_keeps_the_words_of_every_unit(name: str) -> None:
    path = DATA / name
    units = read_tmx_units(path) if path.suffix == ".tmx" else read_xliff_units(path)
    data = units.parallel()
    scored = [(strip_placeholders(s.text), strip_placeholders(t.text)) for s, t in zip(data.src, data.tgt)]
    expected = _xml_texts(path)
    assert len(scored) == len(expected) > 1
    for (s, t), (es, et) in zip(scored, expected):
        assert s.split() == es.split()
        assert t.split() == et.split()
