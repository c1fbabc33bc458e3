"""Read XLIFF 1.2 (``<trans-unit id>``) and XLIFF 2.0/2.1 (``<unit id>``/``<segment>``) files.

One pair per XLIFF 1.2 trans-unit, and one per XLIFF 2 ``<segment>``: a unit of one segment keeps
the unit id; a unit of several gives ``UNIT:SEGMENT`` ids (the segment's ``id``, else its 1-based
position). A missing or empty ``<target>`` gives an empty target segment, listed in
`UnitFile.untranslated`; units marked ``translate="no"`` (on the unit or a group/file around it)
are left out and listed in `UnitFile.skipped`. Inline codes become placeholders (see
`evalkit.io.markup`); parsing refuses entities and external DTDs.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from evalkit.errors import InputError
from evalkit.io.markup import Note, Unit, UnitFile, first, lang_code, local, majority_lang, parse_xml, unit_texts
from evalkit.io.parallel import Parallel

__all__ = ["XLIFF2_NS", "read_xliff", "read_xliff_states", "read_xliff_units"]

XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"


def read_xliff(path: str | Path) -> Parallel:
    """The units of an XLIFF 1.2 or 2.x file as source/target segments (ids and lines kept)."""
    return read_xliff_units(path).parallel()


def read_xliff_states(path: str | Path) -> dict[str, str | None]:
    """Unit id -> ``state`` as written (XLIFF 1.2 ``<target state>``, XLIFF 2 ``<segment state>``)."""
    return read_xliff_units(path).states


def read_xliff_units(path: str | Path) -> UnitFile:
    """Every unit with its texts (placeholders for inline codes), state, notes and attributes."""
    path = Path(path)
    tree = parse_xml(path)
    root = tree.getroot()
    if local(root.tag) != "xliff":
        raise InputError(path, f"expected an <xliff> root element, found <{local(root.tag)}>", "give an XLIFF file", line=root.sourceline)
    version = root.get("version", "")
    is2 = etree.QName(root).namespace == XLIFF2_NS or version.startswith("2")
    encoding = (tree.docinfo.encoding or "utf-8").lower()
    warnings: list[str] = []
    skipped: list[str] = []
    if is2:
        units = _units_v2(path, root, skipped, warnings)
        src, tgt = lang_code(root.get("srcLang")), lang_code(root.get("trgLang"))
    else:
        units = _units_v1(path, root, skipped, warnings)
        src, tgt = _langs_v1(path, root)
    seen: set[str] = set()
    for unit in units:
        if unit.id in seen:
            warnings.append(f"unit id {unit.id!r} occurs more than once")
        seen.add(unit.id)
    src = src or majority_lang([u.source for u in units])
    tgt = tgt or majority_lang([u.target or "" for u in units])
    return UnitFile(str(path), src, tgt, tuple(units), encoding, tuple(skipped), tuple(warnings))


def _no_translate(el: etree._Element) -> bool:
    """``translate="no"`` on the element or an element around it (XLIFF 2 inherits it)."""
    node: etree._Element | None = el
    while node is not None:
        value = node.get("translate")
        if value is not None:
            return value == "no"
        node = node.getparent()
    return False


def _notes(el: etree._Element | None) -> tuple[Note, ...]:
    if el is None:
        return ()
    return tuple(
        Note((n.text or "").strip(), n.get("category"), dict(n.attrib)) for n in el if local(n.tag) == "note"
    )


def _langs_v1(path: Path, root: etree._Element) -> tuple[str | None, str | None]:
    pairs = {(lang_code(f.get("source-language")), lang_code(f.get("target-language"))) for f in root if local(f.tag) == "file"}
    if len(pairs) > 1:
        raise InputError(path, f"its <file> elements have different language pairs: {sorted(map(str, pairs))}",
                         "split the file into one file per language pair")  # fmt: skip
    return pairs.pop() if pairs else (None, None)


def _units_v1(path: Path, root: etree._Element, skipped: list[str], warnings: list[str]) -> list[Unit]:
    units: list[Unit] = []
    for n, tu in enumerate((el for el in root.iter() if local(el.tag) == "trans-unit"), 1):
        uid = tu.get("id")
        if not uid:
            uid = f"#{n}"
            warnings.append(f"trans-unit on line {tu.sourceline} has no id; called it {uid!r}")
        if _no_translate(tu):
            skipped.append(uid)
            continue
        source, target = first(tu, "source"), first(tu, "target")
        if source is None:
            warnings.append(f"trans-unit {uid!r} (line {tu.sourceline}) has no <source>; read as empty")
        units.append(
            Unit(
                id=uid,
                **unit_texts(source, target, tu),  # type: ignore[arg-type]
                state=target.get("state") if target is not None else None,
                sub_state=target.get("state-qualifier") if target is not None else None,
                notes=_notes(tu),
                attrs=dict(tu.attrib),
            )
        )
    return units


def _units_v2(path: Path, root: etree._Element, skipped: list[str], warnings: list[str]) -> list[Unit]:
    units: list[Unit] = []
    for unit in (el for el in root.iter() if local(el.tag) == "unit"):
        uid = unit.get("id") or f"line{unit.sourceline}"
        if _no_translate(unit):
            skipped.append(uid)
            continue
        segments = [s for s in unit if local(s.tag) == "segment"]
        if not segments:
            warnings.append(f"unit {uid!r} (line {unit.sourceline}) has no <segment>")
        notes = _notes(first(unit, "notes"))
        for k, seg in enumerate(segments, 1):
            source, target = first(seg, "source"), first(seg, "target")
            sid = uid if len(segments) == 1 else f"{uid}:{seg.get('id') or k}"
            units.append(
                Unit(
                    id=sid,
                    **unit_texts(source, target, seg),  # type: ignore[arg-type]
                    state=seg.get("state"),
                    sub_state=seg.get("subState"),
                    notes=notes,
                    attrs=dict(unit.attrib),
                )
            )
    return units
