"""Common ground of the XML translation formats (TMX, XLIFF): safe parsing, inline markup, units.

Inline codes become numbered placeholders in the text, numbered 1, 2, ... in order of appearance
within each source or target text: a standalone code (``<ph>``, ``<x/>``, ``<it>``, ``<ut>``,
XLIFF 2 ``<ph/>``) is ``⟦n⟧``; a paired code keeps its inner text between ``⟦n⟧`` and ``⟦/n⟧``
(``<g>``, ``<pc>``, ``<mrk>``, ``<hi>``), or pairs by id (``<bpt>``/``<ept>``, ``<bx/>``/``<ex/>``,
``<sc/>``/``<ec/>``, ``<sm/>``/``<em/>``). The native code inside ``<ph>``/``<bpt>``/``<ept>``/``<it>``
(e.g. ``&lt;b&gt;``) is markup, not text, and is not kept. XLIFF 2 ``<cp hex>`` becomes its character.

The pipeline calls `strip_placeholders` on every text before it aligns and scores, so markup counts
neither for nor against a translation; reports keep the placeholders, so a reviewer sees where
codes were, and the XLIFF/TMX writers turn them back into inline codes.

Parsing is safe: no DTD is loaded and no entity is expanded; a file that declares entities
(billion laughs, XXE) or needs an external DTD for its entity references is refused with an
`InputError` naming the file. Nesting deeper than 256 elements is refused (libxml2's limit when
``huge_tree`` is off). A DOCTYPE that only names a DTD (``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``, as
TMX files carry) is allowed; the DTD is never fetched.

Built on lxml (already installed with sacrebleu; it gives element line numbers) rather than
translate-toolkit, which is GPL-2.0-or-later (evalkit is Apache-2.0), pulls ~6 MB for formats
evalkit does not read, and flattens inline codes into its own placeable model.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from evalkit.errors import InputError
from evalkit.io.document import WHITESPACE
from evalkit.io.parallel import Parallel
from evalkit.lang import file_lang, line_vote
from evalkit.records import Segment

__all__ = [
    "Note",
    "PLACEHOLDER",
    "Unit",
    "UnitFile",
    "first",
    "flatten",
    "lang_code",
    "local",
    "majority_lang",
    "parse_xml",
    "strip_placeholders",
    "unit_texts",
]

PLACEHOLDER = re.compile(r"⟦/?\d+⟧")
# A run of placeholders with the spaces around it: "a ⟦1⟧ b" -> "a b", "⟦1⟧a" -> "a".
_PLACEHOLDER_RUN = re.compile(r"[ \t]*⟦/?\d+⟧(?:[ \t]*⟦/?\d+⟧)*[ \t]*")

# Any other element (g, pc, mrk, hi, or one evalkit does not know) keeps its text between ⟦n⟧ and ⟦/n⟧.
_STANDALONE = {"ph", "x", "ut"}  # content (native code) dropped
_OPEN = {"bpt", "bx", "sc", "sm"}  # open half of a code paired by id
_CLOSE = {"ept": "bpt", "ex": "bx", "ec": "sc", "em": "sm"}  # close half -> kind of its open half


def strip_placeholders(text: str) -> str:
    """``text`` without its ``⟦n⟧``/``⟦/n⟧`` placeholders, as scored.

    The words of the text outside the markup are kept exactly: the result splits into the same words as
    the text with its placeholders deleted (``"big ⟦1⟧black⟦/1⟧ ⟦2⟧cat⟦/2⟧"`` -> ``"big black cat"``,
    ``"a⟦1⟧b"`` -> ``"ab"``). A run of placeholders with spaces or tabs anywhere in or around it becomes one
    space (none at either end of the text); a run with none disappears. A literal ``⟦3⟧`` typed in the text
    itself is removed too.
    """

    def repl(m: re.Match[str]) -> str:
        # issue 20: a run such as "⟦/1⟧ ⟦2⟧" holds a space between two words and must leave one.
        if m.start() == 0 or m.end() == len(text):
            return ""
        return " " if " " in m.group(0) or "\t" in m.group(0) else ""

    return _PLACEHOLDER_RUN.sub(repl, text)


def local(tag: object) -> str:
    """The local name of an element tag (``{ns}name`` -> ``name``); "" for comments and PIs."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def lang_code(tag: str | None) -> str | None:
    """The language subtag of a BCP 47 tag, lower case: ``"zh-CN"`` -> ``"zh"``; None for none/``*all*``."""
    if not tag or tag.strip().lower() in {"*all*", "x-unknown", ""}:
        return None
    return re.split(r"[-_]", tag.strip())[0].lower() or None


def parse_xml(path: Path) -> etree._ElementTree:
    """Parse ``path`` without loading a DTD, expanding an entity or touching the network.

    Raises `InputError` (with the line) for malformed XML, entity declarations, entity references
    and nesting deeper than 256 elements.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=False
    )
    try:
        tree = etree.parse(str(path), parser)
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc}", "check the path") from None
    except etree.XMLSyntaxError as exc:
        msg = re.sub(r", line \d+, column \d+$", "", str(exc.msg or exc))
        if "amplification" in msg.lower():
            raise InputError(path, f"refused: entity expansion (billion laughs): {msg}", _NO_ENTITIES, line=exc.lineno) from None
        if "entit" in msg.lower():
            raise InputError(path, f"refused: {msg}", _NO_ENTITIES, line=exc.lineno) from None
        if "depth" in msg.lower():
            raise InputError(path, "refused: elements nested deeper than 256 levels", "flatten the file", line=exc.lineno) from None
        raise InputError(path, f"not well-formed XML: {msg}", "fix the file (e.g. `xmllint --noout FILE`)", line=exc.lineno) from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None:
        names = [e.name for e in dtd.iterentities()]
        if names:
            raise InputError(path, f"refused: the DOCTYPE declares entities ({', '.join(names[:5])})", _NO_ENTITIES, line=1)
    for node in tree.getroot().iter(etree.Entity):
        raise InputError(path, f"refused: entity reference {node.text} needs a DTD, which evalkit never loads",
                         _NO_ENTITIES, line=node.sourceline)  # fmt: skip
    return tree


_NO_ENTITIES = "evalkit does not expand XML entities (billion laughs, XXE): replace them with their text"


class _Codes:
    """Numbering of the inline codes of one text: opens and standalones count 1, 2, ...; a close
    reuses the number of its open half (matched by id), or takes a new one when it has none."""

    def __init__(self) -> None:
        self.count = 0
        self.open: dict[tuple[str, str], int] = {}

    def new(self) -> int:
        self.count += 1
        return self.count


def _pair_key(el: etree._Element, kind: str, closing: bool) -> str:
    # TMX bpt/ept pair by i; XLIFF 1.2 bpt/ept and bx/ex by rid (else id); XLIFF 2 ec/em by startRef.
    if kind == "bpt":
        return el.get("i") or el.get("rid") or el.get("id") or ""
    if kind == "bx":
        return el.get("rid") or el.get("id") or ""
    return (el.get("startRef") or el.get("id") or "") if closing else el.get("id") or ""


def flatten(element: etree._Element) -> str:
    """The text of ``element`` with its inline codes as numbered placeholders (see module doc)."""
    codes = _Codes()
    parts: list[str] = []
    _walk(element, codes, parts, top=True)
    return "".join(parts)


def _walk(el: etree._Element, codes: _Codes, parts: list[str], top: bool = False) -> None:
    name = local(el.tag)
    if top:  # the element itself: its text and children, not its tail
        parts.append(el.text or "")
        for child in el:
            _walk(child, codes, parts)
        return
    if not name:  # a comment or processing instruction: not text, but its tail is
        ...
    elif name == "cp":
        try:
            parts.append(chr(int(el.get("hex", ""), 16)))
        except (ValueError, OverflowError):  # not a code point
            parts.append("\ufffd")
    elif name in _OPEN and not (name in {"sc", "bx"} and el.get("isolated") == "yes"):
        n = codes.new()
        codes.open[(name, _pair_key(el, name, False))] = n
        parts.append(f"⟦{n}⟧")
    elif name in _CLOSE:
        kind = _CLOSE[name]
        n = codes.open.pop((kind, _pair_key(el, kind, True)), 0) or codes.new()
        parts.append(f"⟦/{n}⟧")
    elif name == "it":
        n = codes.new()
        parts.append(f"⟦/{n}⟧" if el.get("pos") in ("end", "close") else f"⟦{n}⟧")  # TMX end, XLIFF 1.2 close
    elif name in _STANDALONE or name in {"sc", "bx"}:
        parts.append(f"⟦{codes.new()}⟧")
    else:  # paired codes, and unknown elements: keep their text between the two halves
        n = codes.new()
        parts.append(f"⟦{n}⟧")
        if el.text:
            parts.append(el.text)
        for child in el:
            _walk(child, codes, parts)
        parts.append(f"⟦/{n}⟧")
    if el.tail:
        parts.append(el.tail)


@dataclass(frozen=True)
class Note:
    """A note of a unit: its text, its category (XLIFF) and every attribute, in Clark notation."""

    text: str
    category: str | None = None
    attrs: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Unit:
    """One translation unit (TMX ``<tu>``, XLIFF ``<trans-unit>`` or XLIFF 2 ``<segment>``).

    ``source``/``target`` hold placeholders for inline codes; ``target`` is None when the unit has
    no target at all (missing), "" when it is empty. ``line``/``target_line`` are 1-based lines of
    the source and target elements. ``state``/``sub_state``: XLIFF ``state`` and XLIFF 2 ``subState``
    (XLIFF 1.2 ``state-qualifier``); TMX's ``x-evalkit-state`` prop. ``attrs``: the unit element's
    attributes (Clark notation for namespaced ones); ``props``: TMX ``<prop type>`` values.
    """

    id: str
    source: str
    target: str | None
    line: int | None = None
    target_line: int | None = None
    state: str | None = None
    sub_state: str | None = None
    notes: tuple[Note, ...] = ()
    attrs: dict[str, str] = field(default_factory=dict, compare=False)
    props: dict[str, str] = field(default_factory=dict, compare=False)


def unit_texts(source: etree._Element | None, target: etree._Element | None, container: etree._Element) -> dict[str, object]:
    """The `Unit` fields read from a unit's source and target elements, the same for TMX and XLIFF:
    a missing source reads as "", a missing target as None (reported, never dropped); ``line`` falls
    back to the ``container`` element's line when there is no source."""
    return {
        "source": flatten(source) if source is not None else "",
        "target": flatten(target) if target is not None else None,
        "line": (source if source is not None else container).sourceline,
        "target_line": target.sourceline if target is not None else None,
    }


@dataclass(frozen=True)
class UnitFile:
    """The units of one TMX or XLIFF file and its language pair (ISO 639-1 codes, "und" unknown).

    ``skipped``: ids of units left out because the file marks them not to translate
    (``translate="no"``); ``warnings``: what was read in a way the user should know about.
    """

    path: str
    src_lang: str
    tgt_lang: str
    units: tuple[Unit, ...]
    encoding: str = "utf-8"
    skipped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    src_tag: str | None = None  # the BCP 47 tags as the file writes them (en-US, zh-TW), when it names them
    tgt_tag: str | None = None

    @property
    def untranslated(self) -> dict[str, str]:
        """Unit id -> ``"missing"`` (no target) or ``"empty"`` (empty target), in file order.
        These units are kept as pairs with an empty target, which the pipeline flags ``empty``."""
        out: dict[str, str] = {}
        for unit in self.units:
            if unit.target is None:
                out[unit.id] = "missing"
            elif not strip_placeholders(unit.target).strip(WHITESPACE):
                out[unit.id] = "empty"
        return out

    @property
    def states(self) -> dict[str, str | None]:
        """Unit id -> state as written (None where the file gives none)."""
        return {unit.id: unit.state for unit in self.units}

    def parallel(self) -> Parallel:
        """Source/target segments, one pair per unit, keeping unit ids and element lines."""
        src = tuple(
            Segment(u.source.strip(WHITESPACE), self.src_lang, i, self.path, u.line, u.id) for i, u in enumerate(self.units)
        )
        tgt = tuple(
            Segment((u.target or "").strip(WHITESPACE), self.tgt_lang, i, self.path, u.target_line or u.line, u.id)
            for i, u in enumerate(self.units)
        )
        return Parallel(src, tgt, (), self.src_lang, self.tgt_lang, {self.path: self.encoding})


def majority_lang(texts: list[str]) -> str:
    """The language most of ``texts`` are written in (placeholders ignored); "und" for none."""
    return file_lang(line_vote(strip_placeholders(t)) for t in texts[:2000] if t)


def first(el: etree._Element, name: str, pred: Callable[[etree._Element], bool] | None = None) -> etree._Element | None:
    """The first child of ``el`` with local name ``name`` (and matching ``pred``), or None."""
    for child in el:
        if local(child.tag) == name and (pred is None or pred(child)):
            return child
    return None
