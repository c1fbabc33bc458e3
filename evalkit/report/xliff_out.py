"""Flagged pairs for translators' tools: XLIFF 2.1 and TMX 1.4 files a reviewer opens in a CAT tool.

XLIFF 2.1 (core namespace ``urn:oasis:names:tc:xliff:document:2.0``, ``version="2.1"``): one
``<unit>`` per link with one ``<segment>``. XLIFF 2 allows only ``initial|translated|reviewed|final``
in ``state``; tool-specific states go in ``subState`` as ``prefix:value``, so a flagged segment is
``state="translated" subState="evalkit:needs-review"`` (``state="initial"`` when the target is
empty: nothing is translated yet; an unflagged segment, written with ``only_flagged=False``, has no
``subState``). XLIFF 2 requires ``state`` to be set whenever ``subState`` is. Each flag is a ``<note category="evalkit">``
reading like ``low_margin: 0.91 < 1.05``, its code, value and threshold repeated in attributes of
the evalkit namespace (``ek:code``, ``ek:value``, ``ek:threshold``); the unit carries ``ek:srcIds``,
``ek:tgtIds`` (as in pairs.csv) and ``ek:targetHash`` (to tell, on return, whether the reviewer
changed the target). Reviewers record a verdict by setting ``subState`` to ``evalkit:real-problem``,
``evalkit:false-alarm`` or ``evalkit:fixed`` (see `evalkit.calibrate`).

Unit ids are the input's own segment ids when it had them (TMX/XLIFF/JSONL ``id``), joined with
``.`` for merged segments, else ``s{src_ids}-t{tgt_ids}`` (``s3_4-t3`` for a 2-1 link).
Placeholders ``⟦n⟧``/``⟦/n⟧`` become inline codes again: XLIFF 2 ``<ph/>``, ``<sc/>``/``<ec/>``;
TMX ``<ph/>``, ``<bpt/>``/``<ept/>``, so reading the file back gives the same texts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from .. import __version__
from ..records import Report, ScoredLink
from .files import atomic_write, prepare_dir

__all__ = ["EK_NS", "NEEDS_REVIEW", "XLIFF2_NS", "target_hash", "unit_ids", "write_flagged_tmx", "write_flagged_xliff"]

XLIFF2_NS = "urn:oasis:names:tc:xliff:document:2.0"
EK_NS = "urn:evalkit:review:1"
NEEDS_REVIEW = "needs-review"
_XML_NS = "http://www.w3.org/XML/1998/namespace"
_TOKEN = re.compile(r"⟦(/?)(\d+)⟧")
# Characters XML 1.0 cannot carry: XLIFF 2 writes them as <cp hex>, TMX as U+FFFD.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SegmentIds = tuple[Sequence[str | None], Sequence[str | None]]


def target_hash(text: str) -> str:
    """A short fingerprint of a target text (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unit_ids(report: Report, segment_ids: SegmentIds | None = None) -> list[str]:
    """One unique XML NMTOKEN id per link of ``report``, in link order (see module doc).

    ``segment_ids`` gives the input's ids per side, indexed like the segments; by default they
    are taken from ``report.extra["segment_ids"]`` (``{"src": [...], "tgt": [...]}``) when present.
    """
    if segment_ids is None:
        extra = report.extra.get("segment_ids")
        if isinstance(extra, dict):
            segment_ids = (extra.get("src") or [], extra.get("tgt") or [])
    src_ids, tgt_ids = segment_ids or ((), ())
    used: set[str] = set()
    out: list[str] = []
    for scored in report.links:
        link = scored.link
        own = [src_ids[i] for i in link.src if i < len(src_ids)] + [tgt_ids[j] for j in link.tgt if j < len(tgt_ids)]
        named = list(dict.fromkeys(x for x in own if x))
        if named:  # an NMTOKEN: other characters become "_"; merged ids read "a.b"
            uid = ".".join(re.sub(r"[^\w.:-]", "_", x) for x in named)
        else:
            uid = f"s{'_'.join(map(str, link.src))}-t{'_'.join(map(str, link.tgt))}"
        base, k = uid, 2
        while uid in used:
            uid, k = f"{base}.{k}", k + 1
        used.add(uid)
        out.append(uid)
    return out


def _chosen(report: Report, only_flagged: bool, segment_ids: SegmentIds | None) -> list[tuple[str, ScoredLink]]:
    ids = unit_ids(report, segment_ids)
    return [(uid, link) for uid, link in zip(ids, report.links) if link.flagged or not only_flagged]


def _add_text(parent: etree._Element, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _inline(parent: etree._Element, text: str, tmx: bool) -> None:
    """Append ``text`` to ``parent``, its placeholders turned back into inline codes."""
    tokens = list(_TOKEN.finditer(text))
    closes = {(m.group(2), m.start()) for m in tokens if m.group(1)}
    paired = {m.group(2) for m in tokens if not m.group(1) and any(n == m.group(2) and at > m.start() for n, at in closes)}
    opened: set[str] = set()
    pos = 0
    ns = "" if tmx else f"{{{XLIFF2_NS}}}"
    for m in tokens:
        _plain(parent, text[pos : m.start()], tmx, ns)
        pos = m.end()
        n = m.group(2)
        if not m.group(1) and n in paired and n not in opened:
            opened.add(n)
            etree.SubElement(parent, "bpt" if tmx else ns + "sc", ({"i": n, "x": n} if tmx else {"id": n}))
        elif m.group(1) and n in opened:
            opened.discard(n)
            etree.SubElement(parent, "ept" if tmx else ns + "ec", ({"i": n} if tmx else {"startRef": n}))
        elif m.group(1):  # a close without its open
            etree.SubElement(parent, "it" if tmx else ns + "ec", ({"pos": "end", "x": n} if tmx else {"id": f"e{n}", "isolated": "yes"}))
        else:
            etree.SubElement(parent, "ph" if tmx else ns + "ph", ({"x": n} if tmx else {"id": n}))
    _plain(parent, text[pos:], tmx, ns)


def _plain(parent: etree._Element, text: str, tmx: bool, ns: str) -> None:
    pos = 0
    for m in _ILLEGAL.finditer(text):
        _add_text(parent, text[pos : m.start()])
        if tmx:
            _add_text(parent, "\ufffd")
        else:
            etree.SubElement(parent, ns + "cp", {"hex": f"{ord(m.group(0)):04X}"})
        pos = m.end()
    _add_text(parent, text[pos:])


def _indent(el: etree._Element, level: int, leaves: set[str]) -> None:
    """Indent structural elements only; text-bearing leaves (``leaves``) are left untouched."""
    if etree.QName(el).localname in leaves or not len(el):
        return
    pad = "\n" + "  " * (level + 1)
    el.text = pad
    for child in el:
        child.tail = pad
        _indent(child, level + 1, leaves)
    el[-1].tail = "\n" + "  " * level


def _num(value: float | None) -> str | None:
    return None if value is None else repr(float(value))


def write_flagged_xliff(
    report: Report, path: Path, only_flagged: bool = True, segment_ids: SegmentIds | None = None
) -> int:
    """Write the flagged links of ``report`` (every link with ``only_flagged=False``) as XLIFF 2.1.

    Returns the number of units written. The file is written atomically, UTF-8.
    """
    x = f"{{{XLIFF2_NS}}}"
    ek = f"{{{EK_NS}}}"
    root = etree.Element(x + "xliff", nsmap={None: XLIFF2_NS, "ek": EK_NS})
    root.attrib.update({"version": "2.1", "srcLang": report.src_lang, "trgLang": report.tgt_lang})
    original = report.inputs.get("document") or report.inputs.get("target") or report.inputs.get("source") or ""
    file_el = etree.SubElement(root, x + "file", {"id": "f1"})
    if original:
        file_el.set("original", original)
    file_el.set(f"{{{_XML_NS}}}space", "preserve")
    chosen = _chosen(report, only_flagged, segment_ids)
    for uid, scored in chosen:
        unit = etree.SubElement(file_el, x + "unit", {"id": uid})
        unit.set(ek + "srcIds", " ".join(map(str, scored.link.src)))
        unit.set(ek + "tgtIds", " ".join(map(str, scored.link.tgt)))
        unit.set(ek + "targetHash", target_hash(scored.target))
        if scored.flags or scored.info:
            notes = etree.SubElement(unit, x + "notes")
            for flag in scored.flags:
                note = etree.SubElement(notes, x + "note", {"category": "evalkit", ek + "code": flag.code})
                for name, value in (("value", flag.value), ("threshold", flag.threshold)):
                    if value is not None:
                        note.set(ek + name, _num(value) or "")
                note.text = flag.detail
            for info in scored.info:
                etree.SubElement(notes, x + "note", {"category": "evalkit-info"}).text = info
        segment = etree.SubElement(unit, x + "segment", {"state": "translated" if scored.target else "initial"})
        if scored.flagged:
            segment.set("subState", f"evalkit:{NEEDS_REVIEW}")
        _inline(etree.SubElement(segment, x + "source"), scored.source, tmx=False)
        _inline(etree.SubElement(segment, x + "target"), scored.target, tmx=False)
    if not chosen:  # XLIFF 2 requires at least one unit in a file
        unit = etree.SubElement(file_el, x + "unit", {"id": "none"})
        etree.SubElement(unit, x + "notes")
        etree.SubElement(unit[0], x + "note", {"category": "evalkit"}).text = "no flagged pairs"
        etree.SubElement(etree.SubElement(unit, x + "segment"), x + "source")
    _indent(root, 0, {"source", "target", "note"})
    _write(root, path)
    return len(chosen)


def write_flagged_tmx(
    report: Report, path: Path, only_flagged: bool = True, segment_ids: SegmentIds | None = None
) -> int:
    """Write the flagged links of ``report`` as TMX 1.4: a ``<note>`` per flag and
    ``<prop type="x-evalkit-state">needs-review</prop>``. Returns the number of units written."""
    root = etree.Element("tmx", {"version": "1.4"})
    etree.SubElement(root, "header", {
        "creationtool": "evalkit", "creationtoolversion": __version__, "segtype": "sentence", "o-tmf": "evalkit",
        "adminlang": "en", "srclang": report.src_lang, "datatype": "plaintext",
    })  # fmt: skip
    body = etree.SubElement(root, "body")
    chosen = _chosen(report, only_flagged, segment_ids)
    for uid, scored in chosen:
        tu = etree.SubElement(body, "tu", {"tuid": uid})
        for flag in scored.flags:
            etree.SubElement(tu, "note").text = flag.detail
        props = {"x-evalkit-src-ids": " ".join(map(str, scored.link.src)), "x-evalkit-tgt-ids": " ".join(map(str, scored.link.tgt))}
        if scored.flagged:
            props["x-evalkit-state"] = NEEDS_REVIEW
        for name, value in props.items():
            etree.SubElement(tu, "prop", {"type": name}).text = value
        for lang, text in ((report.src_lang, scored.source), (report.tgt_lang, scored.target)):
            tuv = etree.SubElement(tu, "tuv", {f"{{{_XML_NS}}}lang": lang})
            _inline(etree.SubElement(tuv, "seg"), text, tmx=True)
    _indent(root, 0, {"seg", "note", "prop", "header"})
    _write(root, path)
    return len(chosen)


def _write(root: etree._Element, path: Path) -> None:
    path = Path(path)
    prepare_dir(path.parent if str(path.parent) else Path("."))
    atomic_write(path, etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n")
