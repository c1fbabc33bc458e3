"""Which files are translation units (TMX, XLIFF and its tool dialects), and one reader for all of them.

XLIFF dialects are XLIFF 1.2 or 2.x under another suffix: Trados ``.sdlxliff``, memoQ ``.mqxliff``,
Phrase (Memsource) ``.mxliff``, Wordfast ``.txlf``. Their extra elements live in other namespaces and are
ignored; units, inline codes and languages read as in any XLIFF (issue 20: ``.sdlxliff`` files were read as
plain text documents). No lxml import here, so suffix checks stay light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalkit.io.markup import UnitFile

__all__ = ["TMX_SUFFIXES", "UNIT_SUFFIXES", "XLIFF_SUFFIXES", "is_units", "read_units"]

from evalkit.io.formats import FORMATS

TMX_SUFFIXES = frozenset(FORMATS["tmx"].suffixes)
XLIFF_SUFFIXES = frozenset(FORMATS["xliff"].suffixes)  # the suffixes are declared once, in the format registry
UNIT_SUFFIXES = TMX_SUFFIXES | XLIFF_SUFFIXES


def is_units(path: str | Path) -> bool:
    """True for a TMX or XLIFF file name (case-insensitive suffix)."""
    return Path(path).suffix.lower() in UNIT_SUFFIXES


def read_units(path: str | Path, src_lang: str | None = None, tgt_lang: str | None = None) -> UnitFile:
    """The units of a TMX or XLIFF file; ``src_lang``/``tgt_lang`` choose the language pair (BCP 47 tags)."""
    if Path(path).suffix.lower() in TMX_SUFFIXES:
        from evalkit.io.tmx import read_tmx_units

        return read_tmx_units(path, src_lang, tgt_lang)
    from evalkit.io.xliff import read_xliff_units

    return read_xliff_units(path, src_lang, tgt_lang)
