"""Read TMX 1.4 (also 1.1-1.3) translation memories: one pair per ``<tu>``.

The pair is the ``<tuv>`` of the source language and the one of the target language, matched as BCP 47
tags (`evalkit.io.langtags`): ``en-US`` -> ``en-GB`` and ``zh-CN`` -> ``zh-TW`` are pairs of their own; a
variant tagged ``zh`` serves for ``zh-CN`` when it is the only near match. The source language defaults to the header's ``srclang``, the target to the only
other language in the file. A unit without a target ``<tuv>`` (or with an empty ``<seg>``) gives
an empty target, listed in `UnitFile.untranslated`. Ids are ``tuid``, else ``#N`` (1-based
position). Notes of the unit and of both variants are kept; ``<prop type>`` values of the unit go
to `Unit.props` (``x-evalkit-state`` becomes `Unit.state`).
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from evalkit.errors import InputError, UsageError
from evalkit.io.langtags import base, matches, normalize, resolve
from evalkit.io.markup import Note, Unit, UnitFile, first, local, parse_xml, unit_texts
from evalkit.io.parallel import Parallel

__all__ = ["STATE_PROP", "read_tmx", "read_tmx_units"]

STATE_PROP = "x-evalkit-state"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def read_tmx(path: str | Path, src_lang: str | None = None, tgt_lang: str | None = None) -> Parallel:
    """The units of a TMX file as source/target segments (tuids and lines kept)."""
    return read_tmx_units(path, src_lang, tgt_lang).parallel()


def _tuv_lang(tuv: etree._Element) -> str:
    return tuv.get(_XML_LANG) or tuv.get("lang") or ""  # TMX 1.4 uses xml:lang, 1.1-1.3 lang


def _pick(tuvs: list[etree._Element], want: str | None, other: str | None) -> etree._Element | None:
    """The variant in language ``want``: the same tag (case and ``_`` aside) first, else the only variant whose
    tag is a sub- or super-tag of ``want`` (``zh`` for ``zh-CN``) and not the other side's tag ``other``."""
    if want is None:
        return None
    for tuv in tuvs:
        if normalize(_tuv_lang(tuv)) == normalize(want):
            return tuv
    near = [
        tuv for tuv in tuvs
        if normalize(_tuv_lang(tuv)) != normalize(other) and (matches(want, _tuv_lang(tuv)) or matches(_tuv_lang(tuv), want))
    ]  # fmt: skip
    return near[0] if len(near) == 1 else None


def _one(path: Path, want: str, found: list[str], side: str) -> str:
    """The one tag of ``found`` (``want`` itself when none); several are ambiguous: say which to choose."""
    if len(found) > 1:
        opt = "src" if side == "source" else "tgt"
        raise UsageError(f"{path}: {side} language {want!r} matches {', '.join(found)} (BCP 47: regional variants are "
                         f"languages of their own)", f"choose one with {opt}_lang (--{opt}-lang {found[0]})")  # fmt: skip
    return found[0] if found else want


def read_tmx_units(path: str | Path, src_lang: str | None = None, tgt_lang: str | None = None) -> UnitFile:
    """Every ``<tu>`` with its source and target texts (placeholders for inline codes) and notes.

    Languages are matched as BCP 47 tags (`evalkit.io.langtags`): ``en-US`` -> ``en-GB`` is a pair; ``src_lang``
    or ``tgt_lang`` ``en`` naming both ``en-US`` and ``en-GB`` raises `UsageError` saying which to choose.
    """
    path = Path(path)
    tree = parse_xml(path)
    root = tree.getroot()
    if local(root.tag) != "tmx":
        raise InputError(path, f"expected a <tmx> root element, found <{local(root.tag)}>", "give a TMX file", line=root.sourceline)
    header, body = first(root, "header"), first(root, "body")
    tus = [tu for tu in body if local(tu.tag) == "tu"] if body is not None else []
    by_norm: dict[str, str] = {}
    for tag in (_tuv_lang(v) for tu in tus for v in tu if local(v.tag) == "tuv"):
        if normalize(tag):
            by_norm.setdefault(normalize(tag), tag)  # type: ignore[arg-type]
    langs = list(by_norm.values())
    src = src_lang or (header.get("srclang") if header is not None else None)
    if not normalize(src):
        src = langs[0] if langs else None
    if src is None:
        raise InputError(path, "no source language: the header has no srclang and no <tuv> names one", "pass src_lang")
    src = _one(path, src, resolve(src, langs), "source")
    others = [tag for tag in langs if normalize(tag) != normalize(src)]
    if tgt_lang is None:
        if len(others) > 1:
            raise UsageError(f"{path}: holds several target languages ({', '.join(others)})",
                             f"choose one with tgt_lang (--tgt-lang {others[0]})")  # fmt: skip
        tgt: str | None = others[0] if others else None
    else:
        tgt = _one(path, tgt_lang, resolve(tgt_lang, others), "target")
    units: list[Unit] = []
    warnings: list[str] = []
    for n, tu in enumerate(tus, 1):
        uid = tu.get("tuid") or f"#{n}"
        tuvs = [v for v in tu if local(v.tag) == "tuv"]
        s, t = _pick(tuvs, src, tgt), _pick(tuvs, tgt, src)
        if s is None:
            warnings.append(f"tu {uid!r} (line {tu.sourceline}) has no {src} variant; read as an empty source")
        s_seg = first(s, "seg") if s is not None else None
        t_seg = first(t, "seg") if t is not None else None
        props = {p.get("type", ""): (p.text or "").strip() for p in tu if local(p.tag) == "prop"}
        notes = [Note((x.text or "").strip(), None, dict(x.attrib)) for x in tu if local(x.tag) == "note"]
        for tuv in (s, t):
            if tuv is not None:
                notes += [Note((x.text or "").strip(), None, dict(x.attrib)) for x in tuv if local(x.tag) == "note"]
        units.append(
            Unit(
                id=uid,
                **unit_texts(s_seg, t_seg, tu),  # type: ignore[arg-type]
                state=props.get(STATE_PROP),
                notes=tuple(notes),
                attrs=dict(tu.attrib),
                props=props,
            )
        )
    encoding = (tree.docinfo.encoding or "utf-8").lower()
    return UnitFile(str(path), base(src) or "und", base(tgt) or "und", tuple(units), encoding, (), tuple(warnings),
                    src_tag=src, tgt_tag=tgt)  # fmt: skip
