"""TMX/XLIFF readers, inline markup as placeholders, hostile XML, and the XLIFF 2.1/TMX writers.

Sample files (tests/data/formats/) hold bullets of seeds/xi-putin-defense-ties.zh-en.txt; every
expected text, id and line below is read off those files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from evalkit.errors import InputError, UsageError
from evalkit.io.markup import flatten, strip_placeholders
from evalkit.io.tmx import read_tmx, read_tmx_units
from evalkit.io.xliff import read_xliff, read_xliff_states, read_xliff_units
from evalkit.records import Flag, Link, Report, ScoredLink
from evalkit.report.xliff_out import EK_NS, XLIFF2_NS, target_hash, unit_ids, write_flagged_tmx, write_flagged_xliff

DATA = Path(__file__).parent / "data" / "formats"
HOSTILE = DATA / "hostile"
TMX = DATA / "seed.zh-en.tmx"
XLF12 = DATA / "seed.zh-en.xlf"
XLF2 = DATA / "seed.zh-en.xliff2.xlf"


class _LocalSchemas(etree.Resolver):
    """Serve the W3C xml.xsd the XLIFF core schema imports from tests/data, never the network."""

    def resolve(self, url, pubid, context):  # type: ignore[no-untyped-def]
        if url == "http://www.w3.org/2001/xml.xsd":
            return self.resolve_filename(str(DATA / "schema" / "xml.xsd"), context)
        return None


@pytest.fixture(scope="module")
def xliff_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(_LocalSchemas())
    return etree.XMLSchema(etree.parse(str(DATA / "schema" / "xliff_core_2.0.xsd"), parser))


@pytest.fixture(scope="module")
def tmx_dtd() -> etree.DTD:
    return etree.DTD(str(DATA / "schema" / "tmx14.dtd"))


# ---- placeholders -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click ⟦1⟧here⟦/1⟧ now", "Click here now"),
        ("a ⟦1⟧ b", "a b"),  # the spaces around a removed code shrink to one
        ("a ⟦1⟧⟦2⟧ b", "a b"),  # a run of codes too
        ("a⟦1⟧b", "ab"),  # no space was there: none is added
        ("⟦1⟧Hello ⟦2⟧", "Hello"),  # nothing is left at either end
        ("习近平对⟦1⟧俄罗斯⟦/1⟧的访问", "习近平对俄罗斯的访问"),
        ("no codes [1] {2}", "no codes [1] {2}"),
        ("", ""),
    ],
)
def test_strip_placeholders(text: str, expected: str) -> None:
    assert strip_placeholders(text) == expected


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<s>a <pc id='1'>b <pc id='2'>c</pc></pc> d</s>", "a ⟦1⟧b ⟦2⟧c⟦/2⟧⟦/1⟧ d"),  # nested pairs, numbered by opening
        ("<s>a<!-- note -->b<?pi x?>c</s>", "abc"),  # comments and PIs are not text; what follows them is
        ("<s><ec id='9' isolated='yes'/>a<sc id='1'/>b</s>", "⟦/1⟧a⟦2⟧b"),  # halves without partners
        ("<s><bpt i='1'>&lt;b&gt;</bpt>x<ept i='1'>&lt;/b&gt;</ept><bpt i='2'/>y</s>", "⟦1⟧x⟦/1⟧⟦2⟧y"),
        ("<s>a<unknown>b</unknown><cp hex='ZZ'/></s>", "a⟦1⟧b⟦/1⟧\ufffd"),  # unknown tag keeps its text
    ],
)
def test_flatten_inline_markup(xml: str, expected: str) -> None:
    assert flatten(etree.fromstring(xml)) == expected


# ---- readers ------------------------------------------------------------------------------------


def test_tmx_units_texts_ids_lines_and_notes() -> None:
    units = read_tmx_units(TMX)
    assert (units.src_lang, units.tgt_lang, units.encoding) == ("zh", "en", "utf-8")  # header srclang="zh-CN", tuv en-US
    by_id = {u.id: u for u in units.units}
    assert list(by_id) == ["b1", "b2", "b7", "b8", "#5"]  # the fifth <tu> has no tuid: its position names it
    b1 = by_id["b1"]
    assert b1.source == "习近平上个月对⟦1⟧俄罗斯⟦/1⟧的访问表明了公众对这位陷入困境的俄罗斯领导人的支持。"  # <bpt i=1>/<ept i=1>
    assert b1.target.startswith("Xi Jinping’s last month visit to ⟦1⟧Russia⟦/1⟧ was")
    assert (b1.line, b1.target_line) == (12, 13)  # the <seg> lines in the file
    assert [n.text for n in b1.notes] == ["Summary bullet 1"] and b1.props == {"x-domain": "politics"}
    assert [n.text for n in by_id["b2"].notes] == ["source reviewed"]  # a note on the zh <tuv>
    assert "⟦1⟧并很可能" in by_id["b2"].source  # <ph x="1">&lt;br/&gt;</ph>: the native code is not kept
    assert by_id["b7"].source.endswith("私下谈判的⟦1⟧幕后⟦/1⟧。") and by_id["b7"].state == "needs-review"  # <hi>, prop
    assert by_id["#5"].source.endswith("⟦1⟧") and by_id["#5"].target.endswith("allies.⟦1⟧")  # <it>, <ut>
    assert units.untranslated == {"b7": "empty", "b8": "missing"}


def test_tmx_as_parallel_keeps_every_unit() -> None:
    data = read_tmx(TMX)
    assert len(data.src) == len(data.tgt) == 5 and data.refs == ()
    assert [s.id for s in data.tgt] == ["b1", "b2", "b7", "b8", "#5"]
    assert (data.tgt[2].text, data.tgt[3].text) == ("", "")  # empty and missing targets stay as pairs
    assert data.tgt[3].line == 25  # no target <seg>: the line of the source <seg>
    assert data.src[0].lang == "zh" and data.tgt[0].lang == "en" and data.encodings == {str(TMX): "utf-8"}


def test_tmx_language_choice(tmp_path: Path) -> None:
    text = TMX.read_text(encoding="utf-8").replace(
        '<tuv xml:lang="en-US"><seg></seg></tuv>', '<tuv xml:lang="en-US"><seg></seg></tuv><tuv xml:lang="fr"><seg>Fr</seg></tuv>'
    )
    path = tmp_path / "three.tmx"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match="several target languages"):
        read_tmx(path)
    fr = read_tmx_units(path, tgt_lang="fr")
    assert [u.target for u in fr.units] == [None, None, "Fr", None, None]
    swapped = read_tmx(TMX, src_lang="en", tgt_lang="zh")  # either side can be the source
    assert swapped.src_lang == "en" and swapped.src[0].text.startswith("Xi Jinping")


def test_xliff12_units() -> None:
    units = read_xliff_units(XLF12)
    assert (units.src_lang, units.tgt_lang) == ("zh", "en")  # source-language="zh-CN" target-language="en"
    assert [u.id for u in units.units] == ["b3", "b4", "b5", "b6"] and units.skipped == ("title",)  # translate="no"
    b3, b4, b5, b6 = units.units
    assert "随之而来的⟦1⟧西方对俄罗斯的制裁⟦/1⟧正在" in b3.source and "ensuing ⟦1⟧Western sanctions on Russia⟦/1⟧ are" in b3.target
    assert [n.text for n in b3.notes] == ['check "unprecedented"'] and b3.state == "translated"
    assert b4.source.count("⟦1⟧") == 1 and "Russia⟦1⟧ because" in b4.target  # <x id="2"/>, numbered from 1 per text
    assert (b4.state, b4.sub_state) == ("needs-review-translation", "mt-suggestion")
    assert b5.source == "⟦1⟧习近平此行是为了表明中国在与俄罗斯的关系中看到了许多好处⟦/1⟧。"  # <bx id=3/> ... <ex rid=3/>
    assert "关于⟦1⟧乌克兰危机⟦/1⟧的" in b6.source  # <mrk mtype="term">
    assert (b5.line, b5.target_line, b6.target) == (18, 19, None)
    assert units.untranslated == {"b5": "empty", "b6": "missing"}
    assert read_xliff_states(XLF12) == {"b3": "translated", "b4": "needs-review-translation", "b5": "new", "b6": None}


def test_xliff2_units() -> None:
    units = read_xliff_units(XLF2)
    assert [u.id for u in units.units] == ["b10:1", "b10:2", "b11", "b12", "b13"]  # b10 has two segments
    first, second, b11, b12, b13 = units.units
    assert "签署的⟦1⟧14份文件⟦/1⟧的清单" in first.source and "list of ⟦1⟧14 documents⟦/1⟧ signed" in first.target  # <pc>
    assert second.source == "两国很可能在讨论更深入的⟦1⟧国防合作⟦/1⟧。"  # <sc id=2/> ... <ec startRef=2/>
    assert (second.state, second.sub_state) == ("translated", "acme:mt")
    assert [n.text for n in first.notes] == ["14 documents"] and first.notes[0].category == "terminology"
    assert "交易⟦1⟧,但" in b11.source and b12.source.endswith("⟦1⟧20世纪90年代⟦/1⟧以来,中国一直依赖俄罗斯的军事硬件。\x07")  # <cp hex="0007"/>
    assert (b12.target, b13.target) == ("", None)
    assert units.untranslated == {"b12": "empty", "b13": "missing"}
    data = read_xliff(XLF2)
    assert [s.line for s in data.src] == [11, 18, 25, 31, 37] and data.tgt[4].line == 37


def test_sample_xliff2_is_valid(xliff_schema: etree.XMLSchema, tmx_dtd: etree.DTD) -> None:
    assert xliff_schema.validate(etree.parse(str(XLF2))), xliff_schema.error_log
    assert tmx_dtd.validate(etree.parse(str(TMX))), tmx_dtd.error_log


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("billion_laughs.tmx", "entity expansion"),
        ("xxe.xlf", "declares entities (secret)"),
        ("xxe_attribute.xlf", "external entity 'secret'"),
        ("parameter_entity.xlf", "declares entities (remote)"),
        ("external_dtd_entity.tmx", "entity reference &evil; needs a DTD"),
        ("deep_nesting.xlf", "nested deeper than 256"),
    ],
)
def test_hostile_xml_is_refused(name: str, message: str) -> None:
    read = read_tmx if name.endswith(".tmx") else read_xliff
    with pytest.raises(InputError) as caught:
        read(HOSTILE / name)
    assert message in str(caught.value) and str(HOSTILE / name) in str(caught.value)


def test_a_named_dtd_is_never_loaded() -> None:
    # evil.dtd would give the <tu> a default tuid="injected" if it were read.
    units = read_tmx_units(HOSTILE / "external_dtd_defaults.tmx")
    assert [u.id for u in units.units] == ["#1"] and units.units[0].target == "The two leaders"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('<tmx version="1.4"><body><tu>', "not well-formed XML"),
        ('<html><body/></html>', "expected a <tmx> root element"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.tmx"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_tmx(path)
    assert str(path) in str(caught.value)


# ---- writers ------------------------------------------------------------------------------------


def _report(units_path: Path) -> tuple[Report, tuple[list[str | None], list[str | None]]]:
    """A report over the units of a sample file, with made-up flags on every other pair."""
    data = read_xliff(units_path) if units_path.suffix == ".xlf" else read_tmx(units_path)
    links = []
    for i, (s, t) in enumerate(zip(data.src, data.tgt)):
        flags: tuple[Flag, ...] = ()
        if i % 2 == 0:
            flags = (Flag("low_margin", f"low_margin: {0.9 + i / 100:.2f} < 1.05", 0.9 + i / 100, 1.05),)
        if not t.text:
            flags += (Flag("empty", "empty: the target is empty"),)
        links.append(ScoredLink(Link((i,), (i,)), s.text, t.text, flags=flags))
    report = Report({"document": str(units_path)}, data.src_lang, data.tgt_lang, tuple(links), {}, {}, "defaults", {})
    return report, ([s.id for s in data.src], [t.id for t in data.tgt])


@pytest.mark.parametrize("sample", [XLF2, XLF12, TMX])
def test_flagged_xliff_validates_and_reads_back(tmp_path: Path, xliff_schema: etree.XMLSchema, sample: Path) -> None:
    report, ids = _report(sample)
    out = tmp_path / "flagged.xlf"
    n = write_flagged_xliff(report, out, segment_ids=ids)
    assert n == len(report.flagged) > 0
    assert xliff_schema.validate(etree.parse(str(out))), xliff_schema.error_log
    back = read_xliff_units(out)
    flagged = [(uid, link) for uid, link in zip(unit_ids(report, ids), report.links) if link.flagged]
    assert [u.id for u in back.units] == [uid for uid, _ in flagged]  # the input's own ids ("#5" -> "_5")
    assert [u.source for u in back.units] == [link.source for _, link in flagged]  # placeholders round-trip
    assert [u.target for u in back.units] == [link.target for _, link in flagged]
    assert [[n.text for n in u.notes] for u in back.units] == [[f.detail for f in link.flags] for _, link in flagged]
    assert [(u.state, u.sub_state) for u in back.units] == [
        ("translated" if link.target else "initial", "evalkit:needs-review") for _, link in flagged
    ]  # an empty target is not translated yet
    note = back.units[0].notes[0]
    assert note.category == "evalkit" and note.attrs[f"{{{EK_NS}}}code"] == "low_margin"
    assert float(note.attrs[f"{{{EK_NS}}}value"]) == report.links[0].flags[0].value
    assert back.units[0].attrs[f"{{{EK_NS}}}targetHash"] == target_hash(report.links[0].target)
    root = etree.parse(str(out)).getroot()
    assert (root.get("version"), root.get("srcLang"), root.get("trgLang")) == ("2.1", "zh", "en")
    assert etree.QName(root).namespace == XLIFF2_NS


def test_flagged_tmx_validates_and_reads_back(tmp_path: Path, tmx_dtd: etree.DTD) -> None:
    report, ids = _report(XLF2)
    out = tmp_path / "flagged.tmx"
    assert write_flagged_tmx(report, out, segment_ids=ids) == 4  # pairs 0, 2, 4 (every other) and 3 (empty)
    assert tmx_dtd.validate(etree.parse(str(out))), tmx_dtd.error_log
    back = read_tmx_units(out)
    flagged = [link for link in report.links if link.flagged]
    assert [u.id for u in back.units] == ["b10:1", "b11", "b12", "b13"]
    assert [u.target or "" for u in back.units] == [link.target for link in flagged]
    assert [u.source for u in back.units][2].endswith("硬件。\ufffd")  # TMX cannot carry U+0007: U+FFFD
    assert {u.state for u in back.units} == {"needs-review"}
    assert [[n.text for n in u.notes] for u in back.units] == [[f.detail for f in link.flags] for link in flagged]


def test_unit_ids_without_input_ids() -> None:
    links = (ScoredLink(Link((0, 1), (0,)), "a", "b"), ScoredLink(Link((2,), ()), "c", ""), ScoredLink(Link((), (1,)), "", "d"))
    report = Report({}, "zh", "en", links, {}, {}, "defaults", {})
    assert unit_ids(report) == ["s0_1-t0", "s2-t", "s-t1"]
    assert unit_ids(report, (["u 1", "u 1", "x"], ["u 1", "y"])) == ["u_1", "x", "y"]  # NMTOKEN-safe, merged ids once
    assert unit_ids(report, (["a", "b", "a"], ["a", "a"])) == ["a.b", "a", "a.2"]  # unique even when the input repeats


def test_nothing_flagged_still_writes_valid_files(tmp_path: Path, xliff_schema: etree.XMLSchema, tmx_dtd: etree.DTD) -> None:
    report = Report({}, "zh", "en", (ScoredLink(Link((0,), (0,)), "是", "Yes"),), {}, {}, "defaults", {})
    assert write_flagged_xliff(report, tmp_path / "none.xlf") == 0
    assert xliff_schema.validate(etree.parse(str(tmp_path / "none.xlf"))), xliff_schema.error_log  # XLIFF needs a unit
    assert write_flagged_tmx(report, tmp_path / "none.tmx") == 0
    assert tmx_dtd.validate(etree.parse(str(tmp_path / "none.tmx"))), tmx_dtd.error_log
    assert write_flagged_xliff(report, tmp_path / "all.xlf", only_flagged=False) == 1
    (unit,) = read_xliff_units(tmp_path / "all.xlf").units
    assert (unit.id, unit.source, unit.target, unit.state, unit.sub_state) == ("s0-t0", "是", "Yes", "translated", None)
