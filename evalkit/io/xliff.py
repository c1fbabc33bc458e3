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

from evalkit.errors import InputError, UsageError
from evalkit.io.langtags import base, matches, normalize
from evalkit.io.markup import Note, Unit, UnitFile, first, local, majority_lang, parse_xml, unit_texts
from evalkit.io.parallel import Parallel

__all__ = ["XLIFF2_NS", "read_xliff", "read_xliff_states", "read_xliff_units"]

XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"


def read_xliff(path: str | Path, src_lang: str | None = None, tgt_lang: str | None = None) -> Parallel:
    """The units of an XLIFF 1.2 or 2.x file as source/target segments (ids and lines kept)."""
    return read_xliff_units(path, src_lang, tgt_lang).parallel()


def read_xliff_states(path: str | Path) -> dict[str, str | None]:
    """Unit id -> ``state`` as written (XLIFF 1.2 ``<target state>``, XLIFF 2 ``<segment state>``)."""
    return read_xliff_units(path).states


def read_xliff_units(path: str | Path, src_lang: str | None = None, tgt_lang: str | None = None) -> UnitFile:
    """Every unit with its texts (placeholders for inline codes), state, notes and attributes.

    XLIFF 1.2 ``<file>`` elements of different language pairs (BCP 47 tags: en-US -> en-GB is a pair of its
    own) are refused with the pairs listed and the option that chooses one; ``src_lang``/``tgt_lang`` choose
    (the units of the other files are named in a warning, not scored). A ``<file>`` with no units never
    counts. Given languages must match the file's (`evalkit.io.langtags.matches`, either way).
    """
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
        src = _given(path, "source", src_lang, root.get("srcLang"))
        tgt = _given(path, "target", tgt_lang, root.get("trgLang"))
    else:
        src, tgt, units = _choose_files(path, _units_v1(path, root, skipped, warnings), src_lang, tgt_lang, warnings)
    seen: set[str] = set()
    for unit in units:
        if unit.id in seen:
            warnings.append(f"unit id {unit.id!r} occurs more than once")
        seen.add(unit.id)
    src_base = base(src) or majority_lang([u.source for u in units])
    tgt_base = base(tgt) or majority_lang([u.target or "" for u in units])
    return UnitFile(str(path), src_base, tgt_base, tuple(units), encoding, tuple(skipped), tuple(warnings),
                    src_tag=normalize(src) and src, tgt_tag=normalize(tgt) and tgt)  # fmt: skip


def _given(path: Path, side: str, given: str | None, written: str | None) -> str | None:
    """The file's language, checked against the one the user gave (either may be more specific)."""
    if given and normalize(written) and not (matches(given, written) or matches(written, given)):
        opt = "src" if side == "source" else "tgt"
        raise UsageError(f"{path}: its {side} language is {written}, not {given}", f"drop --{opt}-lang or pass --{opt}-lang {written}")
    return written if normalize(written) else given


def _pair(f: etree._Element) -> tuple[str | None, str | None]:
    return f.get("source-language"), f.get("target-language")


def _choose_files(
    path: Path, per_file: list[tuple[etree._Element, list[Unit]]], src_lang: str | None, tgt_lang: str | None,
    warnings: list[str],
) -> tuple[str | None, str | None, list[Unit]]:
    """The language pair and units of the ``<file>`` elements to score (see `read_xliff_units`)."""
    def fits(want: str | None, have: str | None) -> bool:
        return not want or not normalize(have) or matches(want, have) or matches(have, want)

    filled = [(f, us) for f, us in per_file if us]  # a <file> without units has no pair to score
    chosen = [(f, us) for f, us in filled if fits(src_lang, _pair(f)[0]) and fits(tgt_lang, _pair(f)[1])]
    def describe(items: list[tuple[etree._Element, list[Unit]]]) -> str:
        return "; ".join(f"<file original={f.get('original')!r}> {_pair(f)[0]} -> {_pair(f)[1]} ({len(us)} units)"
                         for f, us in items)  # fmt: skip

    if filled and not chosen:
        raise UsageError(f"{path}: no <file> has the language pair {src_lang or '*'} -> {tgt_lang or '*'}: {describe(filled)}",
                         "pass --src-lang/--tgt-lang of one of these pairs")  # fmt: skip
    pairs = {(normalize(_pair(f)[0]), normalize(_pair(f)[1])) for f, _ in chosen}
    if len(pairs) > 1:
        first_tgt = _pair(chosen[0][0])[1]
        raise UsageError(f"{path}: its <file> elements have different language pairs: {describe(chosen)}",
                         f"choose one with --tgt-lang (e.g. --tgt-lang {first_tgt}) or --src-lang, or split the file")  # fmt: skip
    left = [(f, us) for f, us in filled if all(f is not c for c, _ in chosen)]
    if left:
        ids = ", ".join(u.id for _, us in left for u in us)
        warnings.append(f"{len(left)} <file> element(s) in another language pair not scored: {describe(left)}; units {ids}")
    if not chosen:  # no units at all: the pair of the first <file>, if any
        src, tgt = _pair(per_file[0][0]) if per_file else (None, None)
    else:
        src, tgt = _pair(chosen[0][0])
    src = src if normalize(src) else src_lang
    tgt = tgt if normalize(tgt) else tgt_lang
    return src, tgt, [u for _, us in chosen for u in us]


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


def _file_of(el: etree._Element, root: etree._Element) -> etree._Element:
    node = el.getparent()
    while node is not None and local(node.tag) != "file":
        node = node.getparent()
    return node if node is not None else root


def _units_v1(path: Path, root: etree._Element, skipped: list[str], warnings: list[str]) -> list[tuple[etree._Element, list[Unit]]]:
    """The units of each ``<file>`` (in document order, files without units included)."""
    per_file: dict[etree._Element, list[Unit]] = {f: [] for f in root if local(f.tag) == "file"}
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
        per_file.setdefault(_file_of(tu, root), []).append(
            Unit(
                id=uid,
                **unit_texts(source, target, tu),  # type: ignore[arg-type]
                state=target.get("state") if target is not None else None,
                sub_state=target.get("state-qualifier") if target is not None else None,
                notes=_notes(tu),
                attrs=dict(tu.attrib),
            )
        )
    return list(per_file.items())


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
